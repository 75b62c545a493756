//! What feed clients send: the frames' shapes, their parsing (a wrong or unknown field is a
//! validation error naming it), and the first-frame authentication of a connection opened
//! without a credential.

use axum::extract::ws::{Message, WebSocket};
use futures_util::{stream::SplitStream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{close, Closing, Outbox};
use crate::service::{
    watchers::{self, Held, Watcher},
    Presented, ServiceError, Services,
};

/// Frames a client sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubscribeFrame {
    #[allow(dead_code)]
    action: String,
    pub conversation_id: Option<String>,
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResumeFrame {
    #[allow(dead_code)]
    action: String,
    pub last_event_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthFrame {
    #[allow(dead_code)]
    action: String,
    pub token: String,
}

/// A frame as `T`; a wrong or unknown field is a validation error naming it.
pub(super) fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ServiceError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let detail = e.inner().to_string();
        let field = detail
            .split_once('`')
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name.to_owned())
            .filter(|_| path == ".")
            .unwrap_or(path);
        ServiceError::Invalid(crate::domain::Invalid {
            field,
            message: detail,
        })
    })
}

/// Serves only an `auth` frame, within `MEMORY_WS_AUTH_TIMEOUT_SECONDS`: anything else, a
/// failed credential or silence closes with 4401. The caller answers with [`authenticated`]
/// once it is ready (the feed: subscribed, so no event committed after the answer is missed).
pub(super) async fn authenticate_by_frame(
    svc: &Services,
    tenant: &str,
    incoming: &mut SplitStream<WebSocket>,
) -> Result<Watcher, Closing> {
    let refused = |why: &str| Closing::new(close::UNAUTHORIZED, why);
    let first = loop {
        match tokio::time::timeout(svc.settings.live.auth_timeout, incoming.next()).await {
            Err(_) => return Err(refused("no auth frame in time")),
            Ok(Some(Ok(Message::Text(text)))) => break text,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(_) => return Err(refused("the first frame must be {\"action\":\"auth\"}")),
        }
    };
    let frame = serde_json::from_str::<Value>(first.as_str())
        .ok()
        .filter(|v| v.get("action").and_then(Value::as_str) == Some("auth"))
        .and_then(|v| parse::<AuthFrame>(v).ok())
        .ok_or_else(|| refused("the first frame must be {\"action\":\"auth\",\"token\":…}"))?;
    let held = Held::new(Presented::bearer(&frame.token));
    match watchers::open(svc, held, tenant).await {
        Ok(w) => Ok(w),
        Err(e) => Err(Closing::refusal(&e).unwrap_or_else(|| {
            tracing::warn!(error = %e, "feed authentication failed");
            Closing::new(close::INTERNAL, "authentication is unavailable; try again")
        })),
    }
}

/// The answer to a successful `auth` frame.
pub(super) fn authenticated(out: &Outbox, watcher: &Watcher) {
    let _ = out.json(&json!({"type": "authenticated", "tenant_id": watcher.tenant.tenant_id}));
}
