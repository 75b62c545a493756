//! `/v1/audit`: the audit log, onto [`crate::service::audit`].

use app::wire::audit::{AuditListQuery, AuditPage};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppQuery, Result};
use crate::{
    service::{audit, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    summary = "Who did what and when: keys, members, tenants, failed logins (newest first)",
    params(AuditListQuery),
    responses((status = 200, description = "One page", body = AuditPage), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn list(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<AuditListQuery>,
) -> Result<Json<AuditPage>> {
    Ok(Json(audit::list(&svc, &caller, q).await?))
}
