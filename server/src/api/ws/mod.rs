//! The WebSocket doors: [`feed`] (`/v1/ws/messages/{tenant_id}`, a tenant's live events),
//! [`stream`] (`/v1/ws/stream/{tenant_id}`, streaming search) and their shared parts — the credential on the upgrade, the bounded writer, frames.
//!
//! A connection's outgoing frames go through a bounded queue to a writer task, so a peer that
//! reads slowly never blocks the connection's own loop (or anyone else's): when the queue is
//! full the connection is closed with 4008 and can resume. See docs/websocket.md.

pub mod feed;
mod frames;
pub mod stream;

use std::time::Duration;

use axum::{
    extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket},
    http::HeaderMap,
};
use futures_util::{stream::SplitSink, SinkExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::service::{
    feed::{Held, Watcher},
    Presented, ServiceError, Services,
};

/// How long the close frame may wait for a peer that does not read.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Close codes.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const INTERNAL: u16 = 1011;
    /// No valid credential (missing, failed, expired, or revoked since).
    pub const UNAUTHORIZED: u16 = 4401;
    /// The credential may not read this tenant.
    pub const FORBIDDEN: u16 = 4403;
    /// The connection fell behind its send queue.
    pub const TOO_SLOW: u16 = 4008;
    /// The tenant has too many connections on this instance.
    pub const TOO_MANY: u16 = 4029;
}

/// How a connection ends: a close code and its reason.
#[derive(Debug, Clone)]
pub struct Closing {
    pub code: u16,
    pub reason: String,
}

impl Closing {
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// The credential of an upgrade request: `x-api-key`, a bearer token, or `?token=` (a JWT or a
/// key, for the original's clients).
pub fn held_credential(headers: &HeaderMap, token: Option<&str>) -> Option<Held> {
    if let Some(presented) = super::extract::presented(headers) {
        return Some(Held::new(presented));
    }
    token
        .filter(|t| !t.trim().is_empty())
        .map(|t| Held::new(Presented::bearer(t)))
}

/// The error frame of a failed use case: `{"type":"error","code":…,"message":…}` with the
/// `field` of a validation error, `retry_after` of a rate limit, and the `query_id` it answers.
pub fn error_frame(e: &ServiceError, query_id: Option<&Value>) -> Value {
    let (code, message) = match e {
        ServiceError::Invalid(i) => ("validation_error", i.message.clone()),
        ServiceError::Internal(_) => {
            tracing::error!(error = %e, "a WebSocket frame failed");
            (
                "internal_error",
                "The server could not answer this frame.".to_owned(),
            )
        }
        other => (other.code(), other.to_string()),
    };
    let mut frame = json!({"type": "error", "code": code, "message": message});
    if let Some(field) = e.field() {
        frame["field"] = field.into();
    }
    if let ServiceError::RateLimited { retry_after, .. } = e {
        frame["retry_after"] = (*retry_after).into();
    }
    if let Some(id) = query_id {
        frame["query_id"] = id.clone();
    }
    frame
}

/// Checks a connection's credential again (or a new one, from an `auth` frame): gone or no
/// longer allowed → close 4401; the database or Redis being away keeps the connection open
/// until the next check.
pub async fn recheck(
    svc: &Services,
    watcher: &mut Watcher,
    new: Option<Held>,
) -> Result<(), Closing> {
    match crate::service::feed::recheck(svc, watcher, new).await {
        Ok(()) => Ok(()),
        Err(ServiceError::Unauthenticated(_)) => Err(Closing::new(
            close::UNAUTHORIZED,
            "the credential is no longer valid",
        )),
        Err(ServiceError::Forbidden(_)) => Err(Closing::new(
            close::UNAUTHORIZED,
            "the credential no longer has access to this tenant",
        )),
        Err(e) => {
            tracing::warn!(error = %e, "could not re-check a WebSocket credential");
            Ok(())
        }
    }
}

/// The sending half of a connection: frames queue here for the writer task.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Message>,
}

/// The queue is full: the peer reads too slowly.
#[derive(Debug)]
pub struct Full;

impl Outbox {
    /// Queues a frame unless the queue is full.
    pub fn push(&self, frame: Message) -> Result<(), Full> {
        self.queue.try_send(frame).map_err(|_| Full)
    }

    /// Queues a JSON frame.
    pub fn json(&self, value: &Value) -> Result<(), Full> {
        self.push(Message::Text(value.to_string().into()))
    }

    /// Queues an error frame: `{"type":"error","code":…,"message":…}`.
    pub fn error(
        &self,
        code: &str,
        message: &str,
        extra: Option<(&str, Value)>,
    ) -> Result<(), Full> {
        let mut frame = json!({"type": "error", "code": code, "message": message});
        if let Some((key, value)) = extra {
            frame[key] = value;
        }
        self.json(&frame)
    }

    /// Waits for room (replay paces itself by the peer instead of failing).
    pub async fn send(&self, frame: Message) -> Result<(), Full> {
        self.queue.send(frame).await.map_err(|_| Full)
    }
}

/// Starts the writer task for `sink`: it sends queued frames in order, and on `closing` a close
/// frame, skipping what is still queued. A peer too slow for its queue gets the close frame once
/// it has read what its socket holds, if it does so within [`CLOSE_WAIT`].
pub fn writer(
    mut sink: SplitSink<WebSocket, Message>,
    capacity: usize,
) -> (
    Outbox,
    oneshot::Sender<Closing>,
    tokio::task::JoinHandle<()>,
) {
    let (queue, mut frames) = mpsc::channel::<Message>(capacity);
    let (closing_tx, mut closing) = oneshot::channel::<Closing>();
    let task = tokio::spawn(async move {
        let close_with = |c: Closing| {
            Message::Close(Some(CloseFrame {
                code: c.code,
                reason: Utf8Bytes::from(truncate(&c.reason, 120)),
            }))
        };
        loop {
            tokio::select! {
                biased;
                c = &mut closing => {
                    if let Ok(c) = c {
                        let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(close_with(c))).await;
                    }
                    break;
                }
                frame = frames.recv() => {
                    let Some(frame) = frame else { break };
                    tokio::select! {
                        biased;
                        c = &mut closing => {
                            if let Ok(c) = c {
                                let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(close_with(c))).await;
                            }
                            break;
                        }
                        sent = sink.send(frame) => if sent.is_err() { break },
                    }
                }
            }
        }
        let _ = sink.close().await;
    });
    (Outbox { queue }, closing_tx, task)
}

/// At most `max` bytes of `s`, cut at a character boundary (close reasons hold 123 bytes).
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
