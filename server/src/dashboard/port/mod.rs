//! The server's side of the dashboard's port ([`app::port::Port`]): made for each request (a
//! page being rendered or a server function being called), each method authenticates that
//! request the way the REST API does ([`crate::http_auth`]) and makes the one service call the
//! REST handler makes. A failure becomes the API's status and error envelope.
//!
//! The memory's use cases are here; [`account`] has the account's and its keys', [`tenant`]
//! the tenants', their members' and the audit log's, [`retention`] a tenant's retention.

mod account;
mod retention;
mod tenant;

use std::{net::SocketAddr, sync::Arc};

use app::{
    port::{Answer, Port},
    wire::{
        analytics::Overview,
        auth::{LoginRequest, RegisterRequest, UserResponse},
        context::{ContextRequest, ContextResponse},
        error::ErrorBody,
        memory::{
            ConversationListQuery, ConversationPage, ConversationResponse, ConversationStats,
            CreateMessageRequest, MessageListQuery, MessagePage, MessageResponse, SearchRequest,
            SearchResponse, UpdateConversationRequest, UpdateMessageRequest, Weights,
        },
    },
};
use axum::{
    extract::ConnectInfo,
    http::{header, request::Parts, HeaderMap, HeaderValue, Method},
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::ResponseOptions;
use tokio::sync::OnceCell;

use crate::{
    failure,
    service::{
        accounts, analytics, context, conversations, messages,
        search::{self, Spelling},
        Caller, ServiceError, Services,
    },
    session_cookie,
};

/// The port of one request.
struct RequestPort {
    svc: Services,
    headers: HeaderMap,
    method: Method,
    peer: Option<SocketAddr>,
    /// A server-function call answers with the use case's status; a page being rendered keeps
    /// its own (it shows the failure in its HTML).
    call: bool,
    /// Who the request is, authenticated once for all the use cases it runs (a page loads
    /// several); the sign-in gate already did it for a page.
    caller: OnceCell<Caller>,
}

/// Provides the port of the request being served (its parts are in context, whether a page is
/// rendered or a server function called).
pub fn provide(svc: &Services) {
    let Some(parts) = use_context::<Parts>() else {
        return;
    };
    let peer = (parts.extensions.get::<ConnectInfo<SocketAddr>>()).map(|c| c.0);
    let caller = OnceCell::new_with(parts.extensions.get::<Caller>().cloned());
    let port = RequestPort {
        svc: svc.clone(),
        call: parts.uri.path().starts_with(super::SERVER_FN_PREFIX),
        headers: parts.headers,
        method: parts.method,
        peer,
        caller,
    };
    let port = Arc::new(port);
    provide_context::<Arc<dyn Port>>(port.clone());
    provide_context::<Arc<dyn app::port::AccountPort>>(port.clone());
    provide_context::<Arc<dyn app::port::TenantPort>>(port.clone());
    provide_context::<Arc<dyn app::port::RetentionPort>>(port);
}

impl RequestPort {
    async fn caller(&self) -> Result<&Caller, ServiceError> {
        let authenticate = || crate::http_auth::caller(&self.svc, &self.headers, &self.method);
        self.caller.get_or_try_init(authenticate).await
    }

    /// Runs a use case as the request's caller; a failure sets the response's status.
    async fn answer<T, F>(&self, call: F) -> Result<T, ErrorBody>
    where
        F: AsyncFnOnce(&Services, &Caller) -> Result<T, ServiceError>,
    {
        let outcome = match self.caller().await {
            Ok(caller) => call(&self.svc, caller).await,
            Err(e) => Err(e),
        };
        outcome.map_err(|e| self.fail(e))
    }

    /// The envelope of `e`, with the request's id, and its status on a server function's
    /// response.
    fn fail(&self, e: ServiceError) -> ErrorBody {
        if let ServiceError::Internal(cause) = &e {
            tracing::error!(error.message = %cause, "dashboard use case failed");
        }
        let response = self.call.then(use_context::<ResponseOptions>).flatten();
        if let Some(response) = response {
            response.set_status(failure::status_of(&e));
            response.insert_header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        failure::envelope(&e, failure::request_id(&self.headers))
    }
}

/// Sets the session cookie (or its removal) on the response.
fn set_cookie(cookie: HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::SET_COOKIE, cookie);
    }
}

impl Port for RequestPort {
    fn conversations(&self, query: ConversationListQuery) -> Answer<'_, ConversationPage> {
        Box::pin(self.answer(async |svc, caller| conversations::list(svc, caller, query).await))
    }

    fn conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
    ) -> Answer<'_, ConversationResponse> {
        Box::pin(self.answer(async move |svc, caller| {
            conversations::get(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn conversation_messages(
        &self,
        id: String,
        query: MessageListQuery,
    ) -> Answer<'_, MessagePage> {
        Box::pin(self.answer(async move |svc, caller| {
            conversations::messages(svc, caller, &id, query).await
        }))
    }

    fn conversation_stats(
        &self,
        tenant_id: Option<String>,
        id: String,
    ) -> Answer<'_, ConversationStats> {
        Box::pin(self.answer(async move |svc, caller| {
            conversations::stats(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn edit_conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateConversationRequest,
    ) -> Answer<'_, ConversationResponse> {
        Box::pin(self.answer(async move |svc, caller| {
            conversations::update(svc, caller, tenant_id.as_deref(), &id, change).await
        }))
    }

    fn delete_conversation(
        &self,
        tenant_id: Option<String>,
        id: String,
        delete_messages: bool,
    ) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| {
            conversations::delete(svc, caller, tenant_id.as_deref(), &id, delete_messages).await
        }))
    }

    fn add_message(&self, message: CreateMessageRequest) -> Answer<'_, MessageResponse> {
        Box::pin(self.answer(async |svc, caller| {
            messages::create(svc, caller, message, Default::default()).await
        }))
    }

    fn edit_message(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateMessageRequest,
    ) -> Answer<'_, MessageResponse> {
        Box::pin(self.answer(async move |svc, caller| {
            messages::update(svc, caller, tenant_id.as_deref(), &id, change, None).await
        }))
    }

    fn delete_message(&self, tenant_id: Option<String>, id: String) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| {
            messages::delete(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn register(&self, account: RegisterRequest) -> Answer<'_, UserResponse> {
        Box::pin(async move {
            accounts::register(&self.svc, account)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn sign_in(&self, login: LoginRequest) -> Answer<'_, ()> {
        Box::pin(async move {
            let origin = crate::http_auth::login_origin(self.peer, &self.headers);
            let tokens = accounts::login(&self.svc, login, origin)
                .await
                .map_err(|e| self.fail(e))?;
            set_cookie(session_cookie::for_tokens(&self.svc.settings, &tokens));
            Ok(())
        })
    }

    fn sign_out(&self) -> Answer<'_, ()> {
        Box::pin(async move {
            self.answer(async |svc, caller| accounts::logout(svc, caller).await)
                .await?;
            set_cookie(session_cookie::clear(&self.svc.settings));
            Ok(())
        })
    }

    fn me(&self) -> Answer<'_, UserResponse> {
        Box::pin(self.answer(async |svc, caller| accounts::me(svc, caller).await))
    }

    fn address(&self) -> Answer<'_, String> {
        let header = |name: &str| self.headers.get(name).and_then(|v| v.to_str().ok());
        let scheme = header("x-forwarded-proto").unwrap_or(
            if self.svc.settings.environment.is_production_like() {
                "https"
            } else {
                "http"
            },
        );
        let address = match header(header::HOST.as_str()) {
            Some(host) => format!("{scheme}://{host}"),
            None => format!("{scheme}://{}", self.svc.settings.bind_address()),
        };
        Box::pin(async move { Ok(address) })
    }

    fn context(&self, request: ContextRequest) -> Answer<'_, ContextResponse> {
        Box::pin(self.answer(async |svc, caller| context::build(svc, caller, request).await))
    }

    fn search(&self, request: SearchRequest) -> Answer<'_, SearchResponse> {
        Box::pin(
            self.answer(async |svc, caller| {
                search::run(svc, caller, request, Spelling::Json).await
            }),
        )
    }

    fn ranking_defaults(&self) -> Answer<'_, Weights> {
        Box::pin(self.answer(async |svc, _| Ok(search::default_weights(svc))))
    }

    fn overview(&self, tenant_id: Option<String>, days: Option<i64>) -> Answer<'_, Overview> {
        Box::pin(self.answer(async move |svc, caller| {
            analytics::overview(svc, caller, tenant_id.as_deref(), days).await
        }))
    }
}
