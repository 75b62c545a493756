//! The turns around given messages of their conversations, for a prompt's context: for every
//! position, up to `n` live messages before it and `n` after it, all read in one statement —
//! two keyset reads of `ix_messages_conversation` per position, joined with `UNION ALL`, so a
//! context with twenty memories is one round trip, not forty.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use uuid::Uuid;

use super::{entities::messages, StoreError};

/// A message's place in its conversation: its conversation, time and id.
pub type Position<'a> = (&'a str, DateTime<Utc>, Uuid);

/// For each of `positions`, its conversation's live messages nearest to it — up to `n` before
/// and `n` after, in time order (the message itself excluded) — in the order of `positions`.
pub async fn around(
    db: &impl ConnectionTrait,
    tenant: &str,
    positions: &[Position<'_>],
    n: u64,
) -> Result<Vec<Vec<messages::Model>>, StoreError> {
    if positions.is_empty() || n == 0 {
        return Ok(vec![Vec::new(); positions.len()]);
    }
    let backend = db.get_database_backend();
    let live = super::messages::live_in_conversation(backend);
    let mut values: Vec<Value> = vec![tenant.into()];
    let mut parts = Vec::with_capacity(positions.len() * 2);
    for &(conversation, at, id) in positions {
        values.extend([conversation.into(), at.into(), id.into()]);
        let (c, t, i) = (values.len() - 2, values.len() - 1, values.len());
        for (cmp, order) in [("<", "DESC"), (">", "ASC")] {
            parts.push(format!(
                "SELECT * FROM (SELECT {columns} FROM messages WHERE messages.tenant_id = $1 \
                 AND messages.conversation_id = ${c} AND {live} AND (messages.created_at {cmp} ${t} \
                 OR (messages.created_at = ${t} AND messages.id {cmp} ${i})) \
                 ORDER BY messages.created_at {order}, messages.id {order} LIMIT {n}) AS p{k}",
                columns = messages::COLUMNS,
                k = parts.len(),
            ));
        }
    }
    let sql = parts.join(" UNION ALL ");
    let rows = db
        .query_all_raw(crate::store::statement(backend, sql, values))
        .await?;
    // Per conversation, each message once, in time order.
    let mut by_conversation: BTreeMap<String, Vec<messages::Model>> = BTreeMap::new();
    let mut seen = HashSet::new();
    for row in &rows {
        let m = messages::Model::from_query_result(row, "")?;
        if seen.insert(m.id) {
            by_conversation
                .entry(m.conversation_id.clone())
                .or_default()
                .push(m);
        }
    }
    for turns in by_conversation.values_mut() {
        turns.sort_by_key(|m| (m.created_at, m.id));
    }
    // What a position's two reads returned are its nearest: no other row of the conversation
    // lies between it and them, so taking the nearest `n` each side of the merged rows is exact.
    let n = n as usize;
    Ok(positions
        .iter()
        .map(|&(conversation, at, id)| {
            let Some(turns) = by_conversation.get(conversation) else {
                return Vec::new();
            };
            let split = turns.partition_point(|m| (m.created_at, m.id) < (at, id));
            let after = turns[split..].iter().skip_while(|m| m.id == id).take(n);
            turns[split.saturating_sub(n)..split]
                .iter()
                .chain(after)
                .cloned()
                .collect()
        })
        .collect())
}
