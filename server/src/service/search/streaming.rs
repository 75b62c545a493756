//! Streaming search: the rules of a connection that sends queries one frame at a time,
//! whichever door carries it. Each query counts against the tenant's (and key's) budget like a
//! request, at most `MEMORY_WS_MAX_QUERIES_IN_FLIGHT` run at once on one connection, and a
//! query that names no conversation takes the connection's default one.

use app::wire::memory::{SearchRequest, SearchResponse};

use super::{run_in, Spelling};
use crate::service::{
    watchers::{self, Watcher},
    Result, ServiceError, Services, TenantContext,
};

/// Admits one more query on a connection that has `in_flight` running: charged first (a query
/// refused for any reason still spent a frame), then held to the connection's cap.
pub async fn admit(svc: &Services, watcher: &Watcher, in_flight: usize) -> Result<()> {
    watchers::charge_frame(svc, watcher).await?;
    let limit = svc.settings.live.max_queries_in_flight;
    if in_flight >= limit {
        return Err(ServiceError::TooManyQueries(format!(
            "at most {limit} queries run at once on one socket"
        )));
    }
    Ok(())
}

/// Runs an admitted query in the connection's tenant; `default_conversation` fills a query
/// that names no conversation.
pub async fn run(
    svc: &Services,
    tenant: &TenantContext,
    default_conversation: Option<&str>,
    mut req: SearchRequest,
) -> Result<SearchResponse> {
    if req.conversation_id.is_none() {
        req.conversation_id = default_conversation.map(str::to_owned);
    }
    run_in(svc, tenant, req, Spelling::Json).await
}
