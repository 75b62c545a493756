//! `/v1/audit`: the audit log, onto [`crate::service::audit`].

use app::wire::audit::AuditPage;
use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppQuery, Result};
use crate::{
    service::{
        audit::{self, ListAudit},
        Caller, Services,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    tenant_id: Option<String>,
    action: Option<String>,
    page_size: Option<u64>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    summary = "Who did what and when: keys, members, tenants, failed logins (newest first)",
    params(("tenant_id" = Option<String>, Query, description = "One tenant (its admins); default: every tenant the caller administers, or everything for an instance administrator"), ("action" = Option<String>, Query, description = "Only this action, e.g. `api_key.created`"), ("page_size" = Option<u64>, Query, description = "Entries per page (1..500, default 50)"), ("cursor" = Option<String>, Query, description = "A previous page's `next_cursor`")),
    responses((status = 200, description = "One page", body = AuditPage), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn list(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let listing = ListAudit {
        tenant_id: q.tenant_id,
        action: q.action,
        page_size: q.page_size,
        cursor: q.cursor,
    };
    Ok(Json(audit::list(&svc, &caller, listing).await?))
}
