//! Raw statements for either backend, written once with PostgreSQL's `$N` placeholders.
//!
//! SQLite accepts `$N` too, but as a *named* parameter: it looks each one up in a list by name
//! while parsing the statement and by number each time a value is bound (sqlx binds by asking
//! every parameter's name), so a statement of n parameters costs n² steps — a batch of 1000
//! messages carries 13 000 values, and those lookups were most of its CPU. SQLite's anonymous
//! `?` needs no lookup; [`statement`] rewrites the placeholders to it on SQLite, with the
//! values in the order the placeholders appear.

use sea_orm::{DbBackend, Statement, Value};

/// A raw statement for `backend`, from SQL with `$N` placeholders and the values they number.
pub fn statement<I>(backend: DbBackend, sql: impl Into<String>, values: I) -> Statement
where
    I: IntoIterator<Item = Value>,
{
    let sql = sql.into();
    let values: Vec<Value> = values.into_iter().collect();
    if backend != DbBackend::Sqlite {
        return Statement::from_sql_and_values(backend, sql, values);
    }
    match anonymous(&sql, values.len()) {
        Some((sql, order)) => {
            Statement::from_sql_and_values(backend, sql, in_order(values, &order))
        }
        None => Statement::from_sql_and_values(backend, sql, values),
    }
}

/// `sql` with each `$N` outside string literals replaced by `?`, and the 0-based value index
/// each `?` takes; `None` (leave the statement as it is) when it already holds a `?` or names
/// a value that is not there.
fn anonymous(sql: &str, count: usize) -> Option<(String, Vec<usize>)> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut order = Vec::with_capacity(count);
    let (mut in_literal, mut copied, mut i) = (false, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_literal = !in_literal,
            b'?' if !in_literal => return None,
            b'$' if !in_literal => {
                let digits = (bytes[i + 1..].iter())
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let n: usize = sql[i + 1..i + 1 + digits].parse().ok()?;
                    if n == 0 || n > count {
                        return None;
                    }
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    order.push(n - 1);
                    i += 1 + digits;
                    copied = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    Some((out, order))
}

/// The values as `order` uses them: each moved at its last use, cloned before it.
fn in_order(values: Vec<Value>, order: &[usize]) -> Vec<Value> {
    // Most statements use each value once, in order: nothing to move.
    if order.iter().copied().eq(0..values.len()) {
        return values;
    }
    let mut uses = vec![0usize; values.len()];
    for &k in order {
        uses[k] += 1;
    }
    let mut values: Vec<Option<Value>> = values.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(order.len());
    for &k in order {
        uses[k] -= 1;
        let value = if uses[k] == 0 {
            values[k].take()
        } else {
            values[k].clone()
        };
        out.push(value.expect("a value is moved only at its last use"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(statement: &Statement) -> Vec<i64> {
        let values = statement.values.as_ref().map_or(&[][..], |v| &v.0[..]);
        (values.iter())
            .map(|v| match v {
                Value::BigInt(Some(n)) => *n,
                other => panic!("not an integer: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn sqlite_gets_anonymous_placeholders_with_the_values_in_their_order() {
        let sql = "INSERT INTO t VALUES ($2, $1, '$3 stays', $2) RETURNING '?'";
        let s = statement(DbBackend::Sqlite, sql, [1i64.into(), 2i64.into()]);
        assert_eq!(
            s.sql,
            "INSERT INTO t VALUES (?, ?, '$3 stays', ?) RETURNING '?'"
        );
        assert_eq!(ints(&s), [2, 1, 2]);
    }

    #[test]
    fn postgres_and_statements_it_cannot_rewrite_stay_as_written() {
        let sql = "SELECT $1, $2";
        let pg = statement(DbBackend::Postgres, sql, [1i64.into(), 2i64.into()]);
        assert_eq!((pg.sql.as_str(), ints(&pg)), (sql, vec![1, 2]));
        for sql in ["SELECT ?, $1", "SELECT $3", "SELECT $0"] {
            let s = statement(DbBackend::Sqlite, sql, [1i64.into(), 2i64.into()]);
            assert_eq!((s.sql.as_str(), ints(&s)), (sql, vec![1, 2]));
        }
    }
}
