//! `GET /v1/ws/messages/{tenant_id}` (alias `/ws/messages/{tenant_id}`): a tenant's live events.
//!
//! The upgrade authenticates (401 / 403 as JSON before any WebSocket exists), or, with no
//! credential at all, is accepted and waits for an `{"action":"auth","token":…}` frame. Then the
//! connection subscribes, replays from `?last_event_id=` if asked, and serves `ping`,
//! `subscribe`, `resume` and `auth` frames while it forwards events. It pings the peer, checks
//! its credential again every `MEMORY_WS_RECHECK_SECONDS`, and closes when the peer falls
//! behind. The rules (who may watch, resume points, budgets) are in [`crate::service::watchers`].

use axum::{
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        Path, State,
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use futures_util::{stream::SplitStream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{
    admit, binary_refused, close, error_frame,
    frames::{authenticate_by_frame, authenticated, parse, AuthFrame, ResumeFrame, SubscribeFrame},
    reauthenticate, too_slow, Closing, Full, Incoming, Keepalive, Outbox,
};
use crate::{
    api::{error::ApiError, extract::AppQuery},
    domain::events::event_id,
    live::{LiveEvent, Refused},
    metrics::Metrics,
    service::{
        watchers::{self, Interest, Watcher},
        ServiceError, Services,
    },
};

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    /// A JWT or API key, for clients that cannot set headers (never logged).
    token: Option<String>,
    /// Replay every event after this one first.
    last_event_id: Option<String>,
}

pub async fn upgrade(
    State(svc): State<Services>,
    State(metrics): State<Metrics>,
    Path(tenant): Path<String>,
    AppQuery(q): AppQuery<FeedQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (ws, watcher) = admit(&svc, &tenant, &headers, q.token.as_deref(), ws).await?;
    Ok(ws
        .on_upgrade(move |socket| async move {
            let _open = metrics.ws_opened("feed");
            let ended = serve(socket, svc, tenant, watcher, q.last_event_id).await;
            metrics.ws_closed("feed", ended);
        })
        .into_response())
}

async fn serve(
    socket: WebSocket,
    svc: Services,
    tenant: String,
    watcher: Option<Watcher>,
    resume: Option<String>,
) -> u16 {
    let (sink, mut incoming) = socket.split();
    let (outbox, closing, writer) = super::writer(sink, svc.settings.live.send_queue);
    let ended = Connection::open(&svc, &tenant, watcher, &mut incoming, outbox, resume).await;
    let code = ended.code;
    let _ = closing.send(ended);
    let _ = writer.await;
    code
}

struct Connection<'a> {
    svc: &'a Services,
    watcher: Watcher,
    out: Outbox,
    interest: Interest,
    /// Every event up to here has been queued (or was before this connection began).
    sent: i64,
}

/// How long a full send queue may take to make room before its peer counts as too slow.
const SLOW_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl<'a> Connection<'a> {
    async fn open(
        svc: &'a Services,
        tenant: &str,
        watcher: Option<Watcher>,
        incoming: &mut SplitStream<WebSocket>,
        out: Outbox,
        resume: Option<String>,
    ) -> Closing {
        let by_frame = watcher.is_none();
        let watcher = match watcher {
            Some(w) => w,
            None => match authenticate_by_frame(svc, tenant, incoming).await {
                Ok(w) => w,
                Err(c) => return c,
            },
        };
        let subscription = match watchers::subscribe(svc, &watcher).await {
            Ok(s) => s,
            Err(Refused::TooMany(limit)) => {
                return Closing::new(
                    close::TOO_MANY,
                    format!("too many connections to this tenant (limit {limit} per instance)"),
                )
            }
        };
        // Only now: every event committed after the client reads this reaches it.
        if by_frame {
            authenticated(&out, &watcher);
        }
        let mut conn = Connection {
            svc,
            watcher,
            out,
            interest: Interest::default(),
            sent: subscription.position,
        };
        if let Some(id) = resume {
            if let Err(c) = conn.resume(&id).await {
                return c;
            }
        }
        conn.run(subscription, incoming).await
    }

    async fn run(
        &mut self,
        mut subscription: crate::live::Subscription,
        incoming: &mut SplitStream<WebSocket>,
    ) -> Closing {
        let mut keepalive = Keepalive::new(self.svc);
        loop {
            let step = tokio::select! {
                frame = incoming.next() => {
                    keepalive.heard();
                    match Incoming::of(frame) {
                        Incoming::Text(text) => self.on_text(text.as_str()).await,
                        Incoming::Binary => self.reply(binary_refused()),
                        Incoming::Gone => Err(Closing::new(close::NORMAL, "")),
                        Incoming::Control => Ok(()),
                    }
                }
                batch = subscription.events.recv() => match batch {
                    Ok(batch) => self.forward_all(&batch).await,
                    Err(RecvError::Lagged(_)) => Err(too_slow()),
                    Err(RecvError::Closed) => Err(Closing::new(close::INTERNAL, "the feed stopped")),
                },
                due = keepalive.due() => keepalive.run(due, self.svc, &mut self.watcher, &self.out).await,
            };
            if let Err(c) = step {
                return c;
            }
        }
    }

    /// Queues each of `batch`'s events, as [`Self::forward`] does.
    async fn forward_all(&mut self, batch: &[LiveEvent]) -> Result<(), Closing> {
        for e in batch {
            self.forward(e).await?;
        }
        Ok(())
    }

    /// Queues `e` if it is new to this connection and passes the filter. A full queue may
    /// drain for [`SLOW_GRACE`] (a burst, such as a large batch); a peer that reads no faster
    /// is too slow.
    async fn forward(&mut self, e: &LiveEvent) -> Result<(), Closing> {
        if e.seq <= self.sent {
            return Ok(());
        }
        self.sent = e.seq;
        if !self.interest.admits(e) {
            return Ok(());
        }
        match self.out.push(Message::Text(e.frame.clone())) {
            Ok(()) => {}
            Err(Full(frame)) => {
                match tokio::time::timeout(SLOW_GRACE, self.out.send(frame)).await {
                    Ok(Ok(())) => {}
                    _ => return Err(too_slow()),
                }
            }
        }
        self.svc.metrics.ws_sent();
        Ok(())
    }

    fn reply(&self, value: Value) -> Result<(), Closing> {
        self.out.json(&value).map_err(|_| too_slow())
    }

    fn reply_error(&self, code: &str, message: &str, field: Option<&str>) -> Result<(), Closing> {
        let extra = field.map(|f| ("field", Value::from(f)));
        self.out.error(code, message, extra).map_err(|_| too_slow())
    }

    fn reply_service_error(&self, e: &ServiceError) -> Result<(), Closing> {
        self.reply(error_frame(e, None))
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Closing> {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return self.reply_error("invalid_json", "Invalid JSON", None);
        };
        let Some(action) = value.get("action").and_then(Value::as_str) else {
            return self.reply_error(
                "invalid_frame",
                "a frame is a JSON object with an \"action\"",
                Some("action"),
            );
        };
        let action = action.to_owned();
        if let Err(e) = watchers::charge_frame(self.svc, &self.watcher).await {
            return self.reply_service_error(&e);
        }
        match action.as_str() {
            "ping" => self.reply(json!({"type": "pong"})),
            "subscribe" => match parse::<SubscribeFrame>(value) {
                Ok(f) => self.subscribe(f),
                Err(e) => self.reply_service_error(&e),
            },
            "resume" => match parse::<ResumeFrame>(value) {
                Ok(f) => self.resume(&f.last_event_id).await,
                Err(e) => self.reply_service_error(&e),
            },
            "auth" => match parse::<AuthFrame>(value) {
                Ok(f) => {
                    let answer = reauthenticate(self.svc, &mut self.watcher, &f.token).await?;
                    self.reply(answer)
                }
                Err(e) => self.reply_service_error(&e),
            },
            other => self.reply_error(
                "unknown_action",
                &format!("Unknown action: {other}"),
                Some("action"),
            ),
        }
    }

    fn subscribe(&mut self, f: SubscribeFrame) -> Result<(), Closing> {
        match Interest::new(f.conversation_id.as_deref(), f.events.as_deref()) {
            Ok(interest) => self.interest = interest,
            Err(e) => return self.reply_service_error(&e),
        }
        self.reply(json!({
            "type": "subscribed",
            "tenant_id": self.watcher.tenant.tenant_id,
            "conversation_id": self.interest.conversation_id,
            "events": self.interest.names(),
        }))
    }

    /// Replays every event after `last_event_id` (that passes the filter), then
    /// `{"type":"resumed","replayed":N}`; a point not kept → `resume_unavailable`.
    async fn resume(&mut self, last_event_id: &str) -> Result<(), Closing> {
        let mut replay = match watchers::replay(self.svc, &self.watcher, last_event_id).await {
            Ok(Some(replay)) => replay,
            Ok(None) => {
                return self.reply_error(
                    "resume_unavailable",
                    "That event is not kept (too old, or not one of this tenant's): the feed \
                     continues live from now.",
                    Some("last_event_id"),
                )
            }
            Err(e) => return self.reply_service_error(&e),
        };
        let mut replayed = 0u64;
        loop {
            let page = match replay.next_page(self.svc, &self.watcher).await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => return self.reply_service_error(&e),
            };
            for e in page.iter().filter(|e| self.interest.admits(e)) {
                replayed += 1;
                self.out
                    .send(Message::Text(e.frame.clone()))
                    .await
                    .map_err(|_| too_slow())?;
            }
        }
        self.sent = self.sent.max(replay.upto);
        let last = event_id(replay.upto);
        self.reply(json!({"type": "resumed", "replayed": replayed, "last_event_id": last}))
    }
}
