//! `GET /v1/export`: a tenant's data as JSON lines (tenant admins), onto
//! [`crate::service::export`]. The body streams as it is read; an export cut short lacks its
//! final `end` record (docs/export.md).

use app::wire::export::ExportRecord;
use axum::{
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppQuery, Result};
use crate::{
    service::{export, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenant))
}

/// `?tenant_id=…&vectors=true`.
#[derive(Debug, Deserialize)]
struct ExportQuery {
    tenant_id: Option<String>,
    #[serde(default)]
    vectors: bool,
}

#[utoipa::path(
    get,
    path = "/v1/export",
    tag = "tenants",
    summary = "A tenant's conversations, messages (archived and cold too) and retention settings as JSON lines (tenant admins)",
    params(
        ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"),
        ("vectors" = Option<bool>, Query, description = "Each embedded message's vector too (`embedding`); an import with the same model then embeds nothing"),
    ),
    responses((status = 200, description = "One `ExportRecord` per line: `export`, `tenant`, each `conversation`, each `message`, `retention_policy`, each `retention_rule`, then `end` with the counts", body = ExportRecord, content_type = "application/x-ndjson"), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn tenant(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response> {
    let tenant = q.tenant_id.clone();
    let options = export::Options { vectors: q.vectors };
    let records = export::tenant(&svc, &caller, tenant.as_deref(), options).await?;
    let lines = records.map(|record| {
        record
            .map_err(std::io::Error::other)
            .and_then(|r| serde_json::to_vec(&r).map_err(std::io::Error::other))
            .map(|mut line| {
                line.push(b'\n');
                line
            })
    });
    let name = tenant.unwrap_or_else(|| "tenant".into());
    let disposition = format!(
        "attachment; filename=\"memory-mesh-{}.jsonl\"",
        name.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_"
        )
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(lines),
    )
        .into_response())
}
