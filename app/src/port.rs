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
    auth::{LoginRequest, RegisterRequest, UserResponse},
    error::{ErrorBody, ErrorDetail},
    memory::{
        ConversationListQuery, ConversationPage, ConversationResponse, ConversationStats,
        CreateMessageRequest, MessageListQuery, MessagePage, MessageResponse, SearchRequest,
        SearchResponse, UpdateConversationRequest, UpdateMessageRequest, Weights,
    },
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
}

/// The request's port, from context.
pub fn port() -> Result<Arc<dyn Port>, ErrorBody> {
    use_context::<Arc<dyn Port>>().ok_or_else(|| ErrorBody {
        error: ErrorDetail {
            code: "internal_error".into(),
            message: "The server did not provide the dashboard's port.".into(),
            request_id: String::new(),
            field: None,
        },
    })
}
