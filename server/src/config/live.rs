//! Settings of the event stream and the WebSocket doors.

use std::time::Duration;

use super::{values::number, ConfigError};

/// How long events are kept, and how WebSocket connections are kept honest.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// Events younger than this are kept for replay (`MEMORY_EVENTS_KEEP_SECONDS`, at least 10
    /// minutes)…
    pub keep_events: Duration,
    /// …but no more than this many per tenant (`MEMORY_EVENTS_MAX_PER_TENANT`).
    pub max_events_per_tenant: u64,
    /// Server pings; a peer silent for two of them is dropped (`MEMORY_WS_PING_SECONDS`).
    pub ping_interval: Duration,
    /// How often a connection's credential is checked again (`MEMORY_WS_RECHECK_SECONDS`).
    pub recheck_interval: Duration,
    /// How long a connection without a credential has to send its `auth` frame
    /// (`MEMORY_WS_AUTH_TIMEOUT_SECONDS`).
    pub auth_timeout: Duration,
    /// Feed connections per tenant on one instance (`MEMORY_WS_MAX_CONNECTIONS_PER_TENANT`).
    pub max_connections_per_tenant: usize,
    /// Frames a connection may have waiting to be sent before it counts as too slow and is
    /// closed (`MEMORY_WS_SEND_QUEUE`).
    pub send_queue: usize,
    /// Streaming-search queries running at once on one socket
    /// (`MEMORY_WS_MAX_QUERIES_IN_FLIGHT`).
    pub max_queries_in_flight: usize,
}

pub(super) fn live(get: &dyn Fn(&str) -> Option<String>) -> Result<LiveSettings, ConfigError> {
    let seconds = |key, default, range| number(get, key, default, range).map(Duration::from_secs);
    Ok(LiveSettings {
        keep_events: seconds("MEMORY_EVENTS_KEEP_SECONDS", 600u64, 600..=30 * 86_400)?,
        max_events_per_tenant: number(
            get,
            "MEMORY_EVENTS_MAX_PER_TENANT",
            100_000u64,
            1..=100_000_000,
        )?,
        ping_interval: seconds("MEMORY_WS_PING_SECONDS", 30, 1..=3600)?,
        recheck_interval: seconds("MEMORY_WS_RECHECK_SECONDS", 60, 1..=3600)?,
        auth_timeout: seconds("MEMORY_WS_AUTH_TIMEOUT_SECONDS", 10, 1..=300)?,
        max_connections_per_tenant: number(
            get,
            "MEMORY_WS_MAX_CONNECTIONS_PER_TENANT",
            1000usize,
            1..=1_000_000,
        )?,
        send_queue: number(get, "MEMORY_WS_SEND_QUEUE", 8192usize, 16..=1_000_000)?,
        max_queries_in_flight: number(get, "MEMORY_WS_MAX_QUERIES_IN_FLIGHT", 4usize, 1..=64)?,
    })
}
