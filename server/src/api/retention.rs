//! `/v1/retention/…`, `/v1/admin/retention/run` and a message's archive and restore: thin
//! doors onto [`crate::service::retention`].

use app::{
    wire::memory::MessageResponse,
    wire::retention::{
        AdminRetentionRun, ArchiveMessage, CreateRetentionRule, RetentionPolicy, RetentionRule,
        RetentionRun, RetentionRunList, RetentionRunPage, RunMessages, RunRestored,
        UpdateRetentionPolicy, UpdateRetentionRule,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, AppQuery, OptionalJson},
    messages::TenantQuery,
    versioning::{announce_if, Announced},
    Result,
};
use crate::{
    service::{
        retention::{archive, policy, runs},
        Caller, Services,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(execute))
        .routes(routes!(list_runs))
        .routes(routes!(get_run))
        .routes(routes!(run_messages))
        .routes(routes!(restore_run))
        .routes(routes!(admin_run))
        .routes(routes!(archive_message))
        .routes(routes!(restore_message))
}

#[utoipa::path(
    get,
    path = "/v1/retention/policy",
    tag = "retention",
    summary = "The tenant's retention policy (the server's defaults, disabled, until it sets one)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The policy", body = RetentionPolicy), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn get_policy(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<RetentionPolicy>> {
    Ok(Json(
        policy::get(&svc, &caller, q.tenant_id.as_deref()).await?,
    ))
}

#[utoipa::path(
    put,
    path = "/v1/retention/policy",
    tag = "retention",
    summary = "Change the policy (tenant admins): days 1..3650, importance_threshold 0..1, max_items ≥ 1 or null",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = UpdateRetentionPolicy,
    responses((status = 200, description = "The policy now", body = RetentionPolicy), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn put_policy(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<UpdateRetentionPolicy>,
) -> Result<Json<RetentionPolicy>> {
    Ok(Json(
        policy::update(&svc, &caller, q.tenant_id.as_deref(), req).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct RulesQuery {
    tenant_id: Option<String>,
    #[serde(default)]
    enabled_only: bool,
}

#[utoipa::path(
    get,
    path = "/v1/retention/rules",
    tag = "retention",
    summary = "The tenant's rules, in the order they run (priority, then oldest)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("enabled_only" = Option<bool>, Query, description = "Only enabled rules")),
    responses((status = 200, description = "The rules", body = Vec<RetentionRule>), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn list_rules(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<RulesQuery>,
) -> Result<Json<Vec<RetentionRule>>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        policy::list_rules(&svc, &caller, tenant, q.enabled_only).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/retention/rules",
    tag = "retention",
    summary = "Add a rule (tenant admins); conditions are checked against its type",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = CreateRetentionRule,
    responses((status = 201, description = "The rule", body = RetentionRule), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn create_rule(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<CreateRetentionRule>,
) -> Result<(StatusCode, Json<RetentionRule>)> {
    let tenant = q.tenant_id.as_deref();
    let rule = policy::create_rule(&svc, &caller, tenant, req).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[utoipa::path(
    get,
    path = "/v1/retention/rules/{id}",
    tag = "retention",
    summary = "A rule",
    params(("id" = String, Path, description = "Rule id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The rule", body = RetentionRule), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn get_rule(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<RetentionRule>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(policy::get_rule(&svc, &caller, tenant, &id).await?))
}

#[utoipa::path(
    put,
    path = "/v1/retention/rules/{id}",
    tag = "retention",
    summary = "Change a rule (tenant admins; its type stays)",
    params(("id" = String, Path, description = "Rule id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = UpdateRetentionRule,
    responses((status = 200, description = "The rule", body = RetentionRule), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn update_rule(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<UpdateRetentionRule>,
) -> Result<Json<RetentionRule>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        policy::update_rule(&svc, &caller, tenant, &id, req).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/retention/rules/{id}",
    tag = "retention",
    summary = "Delete a rule (tenant admins)",
    params(("id" = String, Path, description = "Rule id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 204, description = "Deleted"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn delete_rule(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<StatusCode> {
    policy::delete_rule(&svc, &caller, q.tenant_id.as_deref(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct ExecuteQuery {
    tenant_id: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(
    post,
    path = "/v1/retention/execute",
    tag = "retention",
    summary = "Run the enabled rules by priority, then the policy if enabled (dry: what it would do)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("dry_run" = Option<bool>, Query, description = "Change nothing; report what a real run would do now (default false)")),
    responses((status = 200, description = "The run", body = RetentionRun), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Conflict)
)]
async fn execute(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<ExecuteQuery>,
) -> Result<Json<RetentionRun>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(runs::execute(&svc, &caller, tenant, q.dry_run).await?))
}

#[derive(Debug, Deserialize)]
struct RunsQuery {
    tenant_id: Option<String>,
    page_size: Option<u64>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/retention/runs",
    tag = "retention",
    summary = "The tenant's retention runs, dry and real, newest first",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("page_size" = Option<u64>, Query, description = "Runs per page (1..200, default 50)"), ("cursor" = Option<String>, Query, description = "A previous page's `next_cursor`")),
    responses((status = 200, description = "One page", body = RetentionRunPage), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn list_runs(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<RunsQuery>,
) -> Result<Json<RetentionRunPage>> {
    let tenant = q.tenant_id.as_deref();
    let page = runs::list(&svc, &caller, tenant, q.page_size, q.cursor.as_deref()).await?;
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/v1/retention/runs/{id}",
    tag = "retention",
    summary = "A retention run: who, when, counts, affected ids",
    params(("id" = String, Path, description = "Run id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The run", body = RetentionRun), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn get_run(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<RetentionRun>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(runs::get(&svc, &caller, tenant, &id).await?))
}

#[utoipa::path(
    get,
    path = "/v1/retention/runs/{id}/messages",
    tag = "retention",
    summary = "The messages a run sampled (the first 100 per action) that still exist: for a dry run, what a real run would touch",
    params(("id" = String, Path, description = "Run id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The messages per action, oldest first", body = RunMessages), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn run_messages(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<RunMessages>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(runs::messages(&svc, &caller, tenant, &id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/retention/runs/{id}/restore",
    tag = "retention",
    summary = "Restore everything a run archived or moved to cold storage (cold ones are embedded again)",
    params(("id" = String, Path, description = "Run id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "Restored", body = RunRestored), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn restore_run(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<RunRestored>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(runs::restore(&svc, &caller, tenant, &id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/admin/retention/run",
    tag = "retention",
    summary = "Run the policy (even if not enabled) of one tenant, or of every tenant the caller administers",
    request_body = AdminRetentionRun,
    responses((status = 200, description = "One run per tenant", body = RetentionRunList), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Conflict)
)]
async fn admin_run(
    State(svc): State<Services>,
    caller: Caller,
    OptionalJson(req): OptionalJson<AdminRetentionRun>,
) -> Result<(Announced, Json<RetentionRunList>)> {
    // `actions` is the original API's field.
    let announced = announce_if(req.actions.is_some(), "/v1/admin/retention/run");
    let runs = runs::admin_run(&svc, &caller, req).await?;
    Ok((announced, Json(runs)))
}

#[utoipa::path(
    post,
    path = "/v1/messages/{id}/archive",
    tag = "retention",
    summary = "Archive a message (out of search; `cold_storage` also drops its vector)",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body(content = Option<ArchiveMessage>, description = "Optional: reason and cold_storage"),
    responses((status = 200, description = "The message", body = MessageResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn archive_message(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
    OptionalJson(req): OptionalJson<ArchiveMessage>,
) -> Result<Json<MessageResponse>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        archive::archive(&svc, &caller, tenant, &id, req).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/messages/{id}/restore",
    tag = "retention",
    summary = "Restore an archived message (a cold one is embedded again)",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The message", body = MessageResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn restore_message(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<MessageResponse>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(archive::restore(&svc, &caller, tenant, &id).await?))
}
