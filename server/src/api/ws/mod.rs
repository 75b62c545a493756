//! The WebSocket doors: [`feed`] (`/v1/ws/messages/{tenant_id}`, a tenant's live events) and
//! their shared parts — the credential on the upgrade, the bounded writer, frames.
//!
//! A connection's outgoing frames go through a bounded queue to a writer task, so a peer that
//! reads slowly never blocks the connection's own loop (or anyone else's): when the queue is
//! full the connection is closed with 4008 and can resume. See docs/websocket.md.

pub mod feed;
mod frames;

use std::time::Duration;

use axum::{
    extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket},
    http::HeaderMap,
};
use futures_util::{stream::SplitSink, SinkExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::service::{feed::Held, Presented};

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

/// The sending half of a connection: frames queue here for the writer task.
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
/// frame (waiting at most a second for a peer that no longer reads).
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
                        let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close_with(c))).await;
                    }
                    break;
                }
                frame = frames.recv() => {
                    let Some(frame) = frame else { break };
                    tokio::select! {
                        biased;
                        c = &mut closing => {
                            if let Ok(c) = c {
                                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close_with(c))).await;
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
