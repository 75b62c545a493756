//! The server's side of the dashboard's port ([`app::port::Port`]): made for each request (a
//! page being rendered or a server function being called), each method authenticates that
//! request the way the REST API does ([`crate::http_auth`]) and makes the one service call the
//! REST handler makes. A failure becomes the API's status and error envelope.

use std::{net::SocketAddr, sync::Arc};

use app::{
    port::{Answer, Port},
    wire::{
        auth::LoginRequest,
        error::ErrorBody,
        memory::{
            ConversationListQuery, ConversationPage, ConversationResponse, MessageListQuery,
            MessagePage, SearchRequest, SearchResponse,
        },
    },
};
use axum::{
    extract::ConnectInfo,
    http::{header, request::Parts, HeaderMap, HeaderValue, Method},
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::ResponseOptions;

use crate::{
    failure,
    service::{
        accounts, conversations,
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
}

/// Provides the port of the request being served (its parts are in context, whether a page is
/// rendered or a server function called).
pub fn provide(svc: &Services) {
    let Some(parts) = use_context::<Parts>() else {
        return;
    };
    let peer = (parts.extensions.get::<ConnectInfo<SocketAddr>>()).map(|c| c.0);
    let port = RequestPort {
        svc: svc.clone(),
        headers: parts.headers,
        method: parts.method,
        peer,
    };
    provide_context::<Arc<dyn Port>>(Arc::new(port));
}

impl RequestPort {
    async fn caller(&self) -> Result<Caller, ServiceError> {
        crate::http_auth::caller(&self.svc, &self.headers, &self.method).await
    }

    /// Runs a use case as the request's caller; a failure sets the response's status.
    async fn answer<T, F>(&self, call: F) -> Result<T, ErrorBody>
    where
        F: AsyncFnOnce(&Services, &Caller) -> Result<T, ServiceError>,
    {
        let outcome = match self.caller().await {
            Ok(caller) => call(&self.svc, &caller).await,
            Err(e) => Err(e),
        };
        outcome.map_err(fail)
    }
}

/// The envelope of `e`, with its status on the response.
fn fail(e: ServiceError) -> ErrorBody {
    if let ServiceError::Internal(cause) = &e {
        tracing::error!(error.message = %cause, "server function failed");
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(failure::status_of(&e));
        response.insert_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    failure::envelope(&e, "")
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

    fn sign_in(&self, login: LoginRequest) -> Answer<'_, ()> {
        Box::pin(async move {
            let origin = crate::http_auth::login_origin(self.peer, &self.headers);
            let tokens = accounts::login(&self.svc, login, origin)
                .await
                .map_err(fail)?;
            let settings = &self.svc.settings;
            let cookie = session_cookie::set(settings, &tokens.access_token, tokens.expires_in);
            if let Some(response) = use_context::<ResponseOptions>() {
                response.insert_header(header::SET_COOKIE, cookie);
            }
            Ok(())
        })
    }

    fn search(&self, request: SearchRequest) -> Answer<'_, SearchResponse> {
        Box::pin(
            self.answer(async |svc, caller| {
                search::run(svc, caller, request, Spelling::Json).await
            }),
        )
    }
}
