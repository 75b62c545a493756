//! The port through which the dashboard's server functions reach the server's use cases
//! (server side only). `app` cannot depend on the server (the server depends on `app`), so it
//! declares what it needs here; the server implements [`Port`] with one service call per
//! method — the same call the REST handler makes — and provides it through context, both to
//! server functions and to page rendering. The implementation authenticates the request that
//! carries it (the `mm_session` cookie, under the server's rule for cookies), so no server
//! function body decides who may do what.

use std::{future::Future, pin::Pin, sync::Arc};

use leptos::prelude::use_context;

use crate::wire::{
    admin::InstanceHealth,
    analytics::{Overview, TenantUsage},
    audit::{AuditListQuery, AuditPage},
    auth::{
        AddMemberRequest, ApiKeyResponse, ChangePasswordRequest, CreateApiKeyRequest,
        EndedSessions, LoginRequest, MemberResponse, RegisterRequest, SessionResponse,
        UpdateMeRequest, UpdateMemberRequest, UserResponse,
    },
    context::{ContextRequest, ContextResponse},
    error::{ErrorBody, ErrorDetail},
    memory::{
        ConversationListQuery, ConversationPage, ConversationResponse, ConversationStats,
        CreateMessageRequest, MessageListQuery, MessagePage, MessageResponse, SearchRequest,
        SearchResponse, UpdateConversationRequest, UpdateMessageRequest, Weights,
    },
    retention::{
        CreateRetentionRule, RetentionPolicy, RetentionRule, RetentionRun, RetentionRunPage,
        RunMessages, RunRestored, UpdateRetentionPolicy, UpdateRetentionRule,
    },
    tenants::{CreateTenantRequest, TenantList, TenantResponse, UpdateTenantRequest},
};

/// What a port method returns: a use case's answer, or the API's error envelope.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, ErrorBody>> + Send + 'a>>;

/// The use cases the dashboard calls, for the request being served.
pub trait Port: Send + Sync {
    /// `GET /v1/conversations`.
    fn conversations(&self, query: ConversationListQuery) -> Answer<'_, ConversationPage>;

    /// `GET /v1/conversations/{id}`.
    fn conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
    ) -> Answer<'_, ConversationResponse>;

    /// `GET /v1/conversations/{id}/messages`.
    fn conversation_messages(&self, id: String, query: MessageListQuery)
        -> Answer<'_, MessagePage>;

    /// `GET /v1/conversations/{id}/stats`.
    fn conversation_stats(
        &self,
        tenant_id: Option<String>,
        id: String,
    ) -> Answer<'_, ConversationStats>;

    /// `PUT /v1/conversations/{id}`.
    fn edit_conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateConversationRequest,
    ) -> Answer<'_, ConversationResponse>;

    /// `DELETE /v1/conversations/{id}`.
    fn delete_conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
        delete_messages: bool,
    ) -> Answer<'_, ()>;

    /// `POST /v1/messages`.
    fn add_message(&self, message: CreateMessageRequest) -> Answer<'_, MessageResponse>;

    /// `PUT /v1/messages/{id}`.
    fn edit_message(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateMessageRequest,
    ) -> Answer<'_, MessageResponse>;

    /// `DELETE /v1/messages/{id}`.
    fn delete_message(&self, tenant_id: Option<String>, id: String) -> Answer<'_, ()>;

    /// `POST /v1/auth/register`.
    fn register(&self, account: RegisterRequest) -> Answer<'_, UserResponse>;

    /// `POST /v1/auth/session`: checks the credentials and sets the session cookie on the
    /// response.
    fn sign_in(&self, login: LoginRequest) -> Answer<'_, ()>;

    /// `DELETE /v1/auth/session`: ends the session and removes the cookie.
    fn sign_out(&self) -> Answer<'_, ()>;

    /// `GET /v1/auth/me`.
    fn me(&self) -> Answer<'_, UserResponse>;

    /// The address clients reach this server at, as the request names it
    /// (`http://host:port`), for the examples a page shows.
    fn address(&self) -> Answer<'_, String>;

    /// `POST /v1/memory/search`.
    fn search(&self, request: SearchRequest) -> Answer<'_, SearchResponse>;

    /// The ranking weights a search uses when it names none (the server's settings).
    fn ranking_defaults(&self) -> Answer<'_, Weights>;

    /// `POST /v1/memory/context`.
    fn context(&self, request: ContextRequest) -> Answer<'_, ContextResponse>;

    /// `GET /v1/analytics/overview`.
    fn overview(&self, tenant_id: Option<String>, days: Option<i64>) -> Answer<'_, Overview>;
}

/// The use cases of the signed-in person's own account and of the keys they manage.
pub trait AccountPort: Send + Sync {
    /// `PUT /v1/auth/me`.
    fn update_me(&self, change: UpdateMeRequest) -> Answer<'_, UserResponse>;

    /// `POST /v1/auth/change-password` (every other session ends).
    fn change_password(&self, change: ChangePasswordRequest) -> Answer<'_, ()>;

    /// `GET /v1/auth/sessions`.
    fn sessions(&self) -> Answer<'_, Vec<SessionResponse>>;

    /// `DELETE /v1/auth/sessions/{id}`.
    fn end_session(&self, id: String) -> Answer<'_, ()>;

    /// `DELETE /v1/auth/sessions`: every session but the request's.
    fn end_other_sessions(&self) -> Answer<'_, EndedSessions>;

    /// `GET /v1/auth/api-keys`.
    fn api_keys(&self, include_revoked: bool) -> Answer<'_, Vec<ApiKeyResponse>>;

    /// `POST /v1/auth/api-keys`: the new key's secret is kept for the next page the browser
    /// loads ([`AccountPort::new_api_key`]), which shows it once.
    fn create_api_key(&self, key: CreateApiKeyRequest) -> Answer<'_, ()>;

    /// The secret of the key this browser just created, once: later calls answer `None`.
    fn new_api_key(&self) -> Answer<'_, Option<String>>;

    /// `DELETE /v1/auth/api-keys/{id}`.
    fn revoke_api_key(&self, id: String) -> Answer<'_, ()>;
}

/// The use cases of running a tenant — the caller's tenants, their members, the audit log — and
/// of the instance administrators' view.
pub trait TenantPort: Send + Sync {
    /// `GET /v1/tenants`.
    fn tenants(&self) -> Answer<'_, TenantList>;

    /// `POST /v1/tenants`.
    fn create_tenant(&self, tenant: CreateTenantRequest) -> Answer<'_, TenantResponse>;

    /// `PUT /v1/tenants/{id}`.
    fn rename_tenant(&self, id: String, change: UpdateTenantRequest) -> Answer<'_, TenantResponse>;

    /// `DELETE /v1/tenants/{id}`.
    fn delete_tenant(&self, id: String) -> Answer<'_, ()>;

    /// `GET /v1/tenants/{id}/members`.
    fn members(&self, tenant: String) -> Answer<'_, Vec<MemberResponse>>;

    /// `POST /v1/tenants/{id}/members`.
    fn add_member(&self, tenant: String, member: AddMemberRequest) -> Answer<'_, MemberResponse>;

    /// `PUT /v1/tenants/{id}/members/{user_id}`.
    fn change_member(
        &self,
        tenant: String,
        user_id: String,
        change: UpdateMemberRequest,
    ) -> Answer<'_, ()>;

    /// `DELETE /v1/tenants/{id}/members/{user_id}`.
    fn remove_member(&self, tenant: String, user_id: String) -> Answer<'_, ()>;

    /// `GET /v1/audit`.
    fn audit(&self, query: AuditListQuery) -> Answer<'_, AuditPage>;

    /// `GET /v1/analytics/tenants` (instance administrators).
    fn instance_tenants(&self) -> Answer<'_, Vec<TenantUsage>>;

    /// `GET /v1/admin/instance` (instance administrators).
    fn instance_health(&self) -> Answer<'_, InstanceHealth>;
}

/// The use cases of a tenant's retention: its policy, its rules, its runs (dry and real) and
/// their restore. `tenant_id: None` is the caller's own tenant.
pub trait RetentionPort: Send + Sync {
    /// `GET /v1/retention/policy`.
    fn retention_policy(&self, tenant_id: Option<String>) -> Answer<'_, RetentionPolicy>;

    /// `PUT /v1/retention/policy`.
    fn update_retention_policy(
        &self,
        tenant_id: Option<String>,
        change: UpdateRetentionPolicy,
    ) -> Answer<'_, RetentionPolicy>;

    /// `GET /v1/retention/rules`.
    fn retention_rules(&self, tenant_id: Option<String>) -> Answer<'_, Vec<RetentionRule>>;

    /// `POST /v1/retention/rules`.
    fn create_retention_rule(
        &self,
        tenant_id: Option<String>,
        rule: CreateRetentionRule,
    ) -> Answer<'_, RetentionRule>;

    /// `PUT /v1/retention/rules/{id}`.
    fn update_retention_rule(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateRetentionRule,
    ) -> Answer<'_, RetentionRule>;

    /// `DELETE /v1/retention/rules/{id}`.
    fn delete_retention_rule(&self, tenant_id: Option<String>, id: String) -> Answer<'_, ()>;

    /// `POST /v1/retention/execute`.
    fn run_retention(&self, tenant_id: Option<String>, dry_run: bool) -> Answer<'_, RetentionRun>;

    /// `GET /v1/retention/runs`.
    fn retention_runs(
        &self,
        tenant_id: Option<String>,
        cursor: Option<String>,
    ) -> Answer<'_, RetentionRunPage>;

    /// `GET /v1/retention/runs/{id}`.
    fn retention_run(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RetentionRun>;

    /// `GET /v1/retention/runs/{id}/messages`.
    fn run_messages(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RunMessages>;

    /// `POST /v1/retention/runs/{id}/restore`.
    fn restore_run(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RunRestored>;
}

/// The request's port, from context.
pub fn port() -> Result<Arc<dyn Port>, ErrorBody> {
    provided()
}

/// The request's account port, from context.
pub fn account() -> Result<Arc<dyn AccountPort>, ErrorBody> {
    provided()
}

/// The request's retention port, from context.
pub fn retention() -> Result<Arc<dyn RetentionPort>, ErrorBody> {
    provided()
}

/// The request's tenant port, from context.
pub fn tenant() -> Result<Arc<dyn TenantPort>, ErrorBody> {
    provided()
}

fn provided<P: ?Sized + Send + Sync + 'static>() -> Result<Arc<P>, ErrorBody> {
    use_context::<Arc<P>>().ok_or_else(|| ErrorBody {
        error: ErrorDetail {
            code: "internal_error".into(),
            message: "The server did not provide the dashboard's port.".into(),
            request_id: String::new(),
            field: None,
        },
    })
}
