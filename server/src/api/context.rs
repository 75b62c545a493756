//! `/v1/memory/context`: the memories to put in a prompt, packed into a token budget, onto
//! [`crate::service::context`].

use app::wire::context::{ContextRequest, ContextResponse};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppJson, Result};
use crate::{
    service::{context, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(build))
}

#[utoipa::path(
    post,
    path = "/v1/memory/context",
    tag = "search",
    summary = "The best memories for a query and/or the latest turns of a conversation, packed into max_tokens, as text and as data",
    request_body = ContextRequest,
    responses((status = 200, description = "The context (its template: docs/context.md)", body = ContextResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn build(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<ContextRequest>,
) -> Result<Json<ContextResponse>> {
    Ok(Json(context::build(&svc, &caller, req).await?))
}
