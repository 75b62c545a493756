//! Keyset cursors: `<time in µs>_<id>`, the position after the last row of a page in an order
//! by time, then id. Opaque to clients, cheap to check, stable however deep a listing goes.

use chrono::{DateTime, Utc};

use super::Invalid;

/// The cursor after a row at `at` with `id`.
pub fn encode(at: DateTime<Utc>, id: impl std::fmt::Display) -> String {
    format!("{}_{id}", at.timestamp_micros())
}

/// The 422 for a cursor this server did not issue.
pub fn not_issued() -> Invalid {
    Invalid::new("cursor", "is not one this server issued")
}

/// The `(time, id)` a cursor names, the id parsed as `T`; [`not_issued`] for any other text.
pub fn decode<T: std::str::FromStr>(raw: &str) -> Result<(DateTime<Utc>, T), Invalid> {
    let invalid = not_issued;
    let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    if id.is_empty() {
        return Err(invalid());
    }
    Ok((at, id.parse().map_err(|_| invalid())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_foreign_one_is_refused() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        let raw = encode(at, "trip_2");
        assert_eq!(decode::<String>(&raw).unwrap(), (at, "trip_2".to_owned()));
        for bad in ["", "abc", "12", "x_y", "12_", "99999999999999999999_a"] {
            assert_eq!(decode::<String>(bad).unwrap_err().field, "cursor", "{bad}");
        }
        assert!(decode::<uuid::Uuid>("12_not-a-uuid").is_err());
    }
}
