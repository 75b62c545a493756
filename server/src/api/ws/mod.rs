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
    extract::ws::{
        rejection::WebSocketUpgradeRejection, CloseFrame, Message, Utf8Bytes, WebSocket,
        WebSocketUpgrade,
    },
    http::{HeaderMap, Method},
};
use futures_util::{stream::SplitSink, SinkExt};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::error::ApiError;
use crate::live::access::AccessChange;
use crate::service::{
    watchers::{self, Held, Watcher},
    Presented, ServiceError, Services,
};
use crate::session_cookie;

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

    /// How a connection ends when a use case refuses its credential — one policy for both
    /// doors, at the `auth` frame and at every re-check: 4401 when the credential is missing,
    /// invalid, expired or revoked; 4403 when a valid credential may not read the tenant
    /// (it never could, or its membership was removed). `None` for failures that are not the
    /// credential's (the database or Redis away).
    pub fn refusal(e: &ServiceError) -> Option<Self> {
        match e {
            ServiceError::Unauthenticated(_) => Some(Self::new(
                close::UNAUTHORIZED,
                "the credential is not (or no longer) valid",
            )),
            ServiceError::Forbidden(_) => Some(Self::new(
                close::FORBIDDEN,
                "the credential may not read this tenant",
            )),
            _ => None,
        }
    }
}

/// Decides an upgrade before any WebSocket exists, so refusals are the usual JSON answers: a
/// presented credential (`x-api-key`, a bearer token, `?token=` — a JWT or a key, for the
/// original's clients — or the dashboard's session cookie from this server's own pages, see
/// [`crate::session_cookie`]) must be valid (401) and may read the tenant (403). Without one the
/// tenant id must be well-formed, and the connection authenticates by its first frame.
pub async fn admit(
    svc: &Services,
    tenant: &str,
    headers: &HeaderMap,
    token: Option<&str>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<(WebSocketUpgrade, Option<Watcher>), ApiError> {
    let query_token = token.filter(|t| !t.trim().is_empty());
    let held = match crate::http_auth::presented(headers) {
        Some(presented) => Some(Held::new(presented)),
        None => match query_token {
            Some(t) => Some(Held::new(Presented::bearer(t))),
            None => session_cookie::token(headers, &Method::GET, &svc.settings)?
                .map(|t| Held::new(Presented::bearer(&t))),
        },
    };
    let watcher = watchers::admit(svc, held, tenant).await?;
    let ws = ws.map_err(|r| {
        ServiceError::BadRequest(format!("This address speaks WebSocket: {}", r.body_text()))
    })?;
    Ok((ws, watcher))
}

/// A frame from the peer, as a connection's loop treats it.
pub enum Incoming {
    Text(Utf8Bytes),
    /// Binary frames carry nothing this protocol understands.
    Binary,
    /// Closed, or the connection broke.
    Gone,
    /// Ping or pong (axum answers pings itself).
    Control,
}

impl Incoming {
    pub fn of(frame: Option<Result<Message, axum::Error>>) -> Self {
        match frame {
            Some(Ok(Message::Text(text))) => Self::Text(text),
            Some(Ok(Message::Binary(_))) => Self::Binary,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Self::Gone,
            Some(Ok(_)) => Self::Control,
        }
    }
}

/// The answer to a binary frame.
pub fn binary_refused() -> Value {
    json!({"type": "error", "code": "invalid_frame", "message": "frames are JSON text"})
}

/// The close of a peer that reads slower than its frames come.
pub fn too_slow() -> Closing {
    Closing::new(
        close::TOO_SLOW,
        "too slow: frames came faster than they were read; a feed can resume from its last event id",
    )
}

/// What keeps a connection honest besides its own traffic: the server stopping, pings to a
/// peer that must answer something before the next one, and re-checks of its credential —
/// periodic, and at once when a committed change narrows its user's or tenant's access.
pub struct Keepalive {
    ping: tokio::time::Interval,
    recheck: tokio::time::Interval,
    access: tokio::sync::broadcast::Receiver<AccessChange>,
    closing: tokio_util::sync::CancellationToken,
    heard: bool,
}

/// What [`Keepalive::due`] found due.
pub enum Due {
    Stopping,
    Ping,
    Recheck,
    /// A change to someone's access (`None`: notices were missed, so it may be this one's).
    AccessChanged(Option<AccessChange>),
}

impl Keepalive {
    pub fn new(svc: &Services) -> Self {
        let live = &svc.settings.live;
        let start = tokio::time::Instant::now();
        Self {
            ping: tokio::time::interval_at(start + live.ping_interval, live.ping_interval),
            recheck: tokio::time::interval_at(start + live.recheck_interval, live.recheck_interval),
            access: svc.hub.access.listen(),
            closing: svc.hub.closing.clone(),
            heard: true,
        }
    }

    /// The peer sent something.
    pub fn heard(&mut self) {
        self.heard = true;
    }

    pub async fn due(&mut self) -> Due {
        tokio::select! {
            () = self.closing.cancelled() => Due::Stopping,
            _ = self.ping.tick() => Due::Ping,
            _ = self.recheck.tick() => Due::Recheck,
            change = self.access.recv() => match change {
                Ok(change) => Due::AccessChanged(Some(change)),
                Err(broadcast::error::RecvError::Lagged(_)) => Due::AccessChanged(None),
                // The hub outlives every connection; a closed channel means it is stopping.
                Err(broadcast::error::RecvError::Closed) => Due::Stopping,
            },
        }
    }

    /// Does what came due: closes for a stopping server or a silent peer, pings, re-checks.
    pub async fn run(
        &mut self,
        due: Due,
        svc: &Services,
        watcher: &mut Watcher,
        out: &Outbox,
    ) -> Result<(), Closing> {
        match due {
            Due::Stopping => Err(Closing::new(close::GOING_AWAY, "the server is restarting")),
            Due::Ping if !self.heard => Err(Closing::new(close::GOING_AWAY, "no answer to pings")),
            Due::Ping => {
                self.heard = false;
                out.push(Message::Ping(Default::default()))
                    .map_err(|_| too_slow())
            }
            Due::Recheck => recheck(svc, watcher, None).await,
            Due::AccessChanged(change) => {
                let (user, tenant) = (watcher.caller.user_id, &watcher.tenant.tenant_id);
                if change.is_none_or(|c| c.concerns(user, tenant)) {
                    recheck(svc, watcher, None).await
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// An `auth` frame mid-connection: the new credential replaces the held one if it is the same
/// user's and may still read the tenant; the answer frame, or the close.
pub async fn reauthenticate(
    svc: &Services,
    watcher: &mut Watcher,
    token: &str,
) -> Result<Value, Closing> {
    let held = Held::new(Presented::bearer(token));
    recheck(svc, watcher, Some(held)).await?;
    Ok(json!({"type": "authenticated", "tenant_id": watcher.tenant.tenant_id}))
}

/// The error frame of a failed use case: `{"type":"error","code":…,"message":…}` — the same
/// `code` and `message` as the REST envelope — with the `field` of a validation error,
/// `retry_after` of a rate limit, and the `query_id` it answers.
pub fn error_frame(e: &ServiceError, query_id: Option<&Value>) -> Value {
    let (code, message) = match e {
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
/// longer allowed closes it ([`Closing::refusal`]); the database or Redis being away keeps
/// the connection open until the next check.
pub async fn recheck(
    svc: &Services,
    watcher: &mut Watcher,
    new: Option<Held>,
) -> Result<(), Closing> {
    match watchers::recheck(svc, watcher, new).await {
        Ok(()) => Ok(()),
        Err(e) => match Closing::refusal(&e) {
            Some(closing) => Err(closing),
            None => {
                tracing::warn!(error = %e, "could not re-check a WebSocket credential");
                Ok(())
            }
        },
    }
}

/// The sending half of a connection: frames queue here for the writer task.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Message>,
}

/// The queue is full (the peer reads too slowly), or the writer is gone; the frame comes back.
#[derive(Debug)]
pub struct Full(pub Message);

impl Outbox {
    /// Queues a frame unless the queue is full.
    pub fn push(&self, frame: Message) -> Result<(), Full> {
        self.queue.try_send(frame).map_err(|e| Full(e.into_inner()))
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
        self.queue.send(frame).await.map_err(|e| Full(e.0))
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
        // The close, when it comes (while waiting for a frame or while sending one).
        let close = loop {
            tokio::select! {
                biased;
                c = &mut closing => break c.ok(),
                frame = frames.recv() => {
                    let Some(frame) = frame else { break None };
                    tokio::select! {
                        biased;
                        c = &mut closing => break c.ok(),
                        sent = send_queued(&mut sink, frame, &mut frames) => if sent.is_err() { break None },
                    }
                }
            }
        };
        // Bounded as a whole: a peer that stopped reading would hold the close (and this task,
        // and the socket) forever. Dropping the sink then drops the connection.
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if let Some(c) = close {
                sink.send(close_with(c)).await?;
            }
            sink.close().await
        })
        .await;
    });
    (Outbox { queue }, closing_tx, task)
}

/// Most frames written to a socket at once.
const MAX_WRITE: usize = 64;

/// Sends `first` and the frames queued behind it (up to [`MAX_WRITE`]) with one flush: a burst
/// of events costs the socket one write, not one per frame.
async fn send_queued(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Message,
    frames: &mut mpsc::Receiver<Message>,
) -> Result<(), axum::Error> {
    sink.feed(first).await?;
    for _ in 1..MAX_WRITE {
        match frames.try_recv() {
            Ok(frame) => sink.feed(frame).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

/// At most `max` bytes of `s`, cut at a character boundary (close reasons hold 123 bytes).
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
