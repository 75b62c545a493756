//! `GET /v1/ws/stream/{tenant_id}` (alias `/ws/stream/{tenant_id}`): streaming search.
//!
//! Authenticated like the feed. Each text frame is a query — the REST search body
//! (`POST /v1/memory/search`) plus an optional `query_id` — answered with one
//! `{"type":"result","query_id":…,"rank":n,"result":{…}}` per result, best first, then
//! `{"type":"done","query_id":…,"count":N,"took_ms":…}`. Queries run concurrently, up to
//! `MEMORY_WS_MAX_QUERIES_IN_FLIGHT` per socket; a bad one answers an error frame naming its
//! field, and the socket stays open. `?conversation_id=` (the original's clients) is the default
//! filter of queries that name none.

use std::time::Instant;

use app::wire::memory::SearchRequest;
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
use tokio::task::JoinSet;

use super::{
    admit, binary_refused, close, error_frame,
    frames::{authenticate_by_frame, authenticated, parse, AuthFrame},
    reauthenticate, too_slow, Closing, Incoming, Keepalive, Outbox,
};
use crate::{
    api::{error::ApiError, extract::AppQuery},
    metrics::Metrics,
    service::{search::streaming, watchers::Watcher, Services},
};

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// A JWT or API key, for clients that cannot set headers (never logged).
    token: Option<String>,
    /// The default conversation filter of the socket's queries.
    conversation_id: Option<String>,
}

pub async fn upgrade(
    State(svc): State<Services>,
    State(metrics): State<Metrics>,
    Path(tenant): Path<String>,
    AppQuery(q): AppQuery<StreamQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (ws, watcher) = admit(&svc, &tenant, &headers, q.token.as_deref(), ws).await?;
    Ok(ws
        .on_upgrade(move |socket| async move {
            let _open = metrics.ws_opened("stream");
            let ended = serve(socket, svc, tenant, watcher, q.conversation_id).await;
            metrics.ws_closed("stream", ended);
        })
        .into_response())
}

async fn serve(
    socket: WebSocket,
    svc: Services,
    tenant: String,
    watcher: Option<Watcher>,
    conversation: Option<String>,
) -> u16 {
    let (sink, mut incoming) = socket.split();
    let (out, closing, writer) = super::writer(sink, svc.settings.live.send_queue);
    let watcher = match watcher {
        Some(w) => Ok(w),
        None => authenticate_by_frame(&svc, &tenant, &mut incoming)
            .await
            .inspect(|w| authenticated(&out, w)),
    };
    let ended = match watcher {
        Ok(watcher) => {
            let mut socket = Socket {
                svc: &svc,
                watcher,
                out,
                conversation,
                running: JoinSet::new(),
            };
            socket.run(&mut incoming).await
        }
        Err(c) => c,
    };
    let code = ended.code;
    let _ = closing.send(ended);
    let _ = writer.await;
    code
}

struct Socket<'a> {
    svc: &'a Services,
    watcher: Watcher,
    out: Outbox,
    conversation: Option<String>,
    /// The queries in flight.
    running: JoinSet<()>,
}

impl Socket<'_> {
    async fn run(&mut self, incoming: &mut SplitStream<WebSocket>) -> Closing {
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
                Some(_) = self.running.join_next(), if !self.running.is_empty() => Ok(()),
                due = keepalive.due() => keepalive.run(due, self.svc, &mut self.watcher, &self.out).await,
            };
            if let Err(c) = step {
                return c;
            }
        }
    }

    fn reply(&self, value: Value) -> Result<(), Closing> {
        self.out.json(&value).map_err(|_| too_slow())
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Closing> {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return self.reply(
                json!({"type": "error", "code": "invalid_json", "message": "Invalid JSON"}),
            );
        };
        let Value::Object(mut frame) = value else {
            return self.reply(json!({
                "type": "error", "code": "invalid_frame",
                "message": "a frame is a JSON object: a query, or an \"action\"",
            }));
        };
        if let Some(action) = frame.get("action").and_then(Value::as_str) {
            return match action {
                "ping" => self.reply(json!({"type": "pong"})),
                "auth" => match parse::<AuthFrame>(Value::Object(frame)) {
                    Ok(f) => {
                        let answer = reauthenticate(self.svc, &mut self.watcher, &f.token).await?;
                        self.reply(answer)
                    }
                    Err(e) => self.reply(error_frame(&e, None)),
                },
                other => self.reply(json!({
                    "type": "error", "code": "unknown_action", "field": "action",
                    "message": format!("Unknown action: {other}"),
                })),
            };
        }
        let query_id = frame.remove("query_id").unwrap_or(Value::Null);
        let admitted = streaming::admit(self.svc, &self.watcher, self.running.len()).await;
        if let Err(e) = admitted {
            return self.reply(error_frame(&e, Some(&query_id)));
        }
        let req = match parse::<SearchRequest>(Value::Object(frame)) {
            Ok(req) => req,
            Err(e) => return self.reply(error_frame(&e, Some(&query_id))),
        };
        let (svc, tenant, conversation, out) = (
            self.svc.clone(),
            self.watcher.tenant.clone(),
            self.conversation.clone(),
            self.out.clone(),
        );
        self.running.spawn(async move {
            let started = Instant::now();
            let found = streaming::run(&svc, &tenant, conversation.as_deref(), req).await;
            let frames = match found {
                Ok(found) => {
                    let count = found.items.len();
                    let mut frames: Vec<Value> = (found.items.into_iter().enumerate())
                        .map(|(i, hit)| {
                            json!({"type": "result", "query_id": query_id, "rank": i + 1, "result": hit})
                        })
                        .collect();
                    let mut done = json!({
                        "type": "done", "query_id": query_id, "count": count,
                        "took_ms": started.elapsed().as_secs_f64() * 1000.0,
                    });
                    if let Some(notice) = found.notice {
                        done["notice"] = notice.into();
                    }
                    frames.push(done);
                    frames
                }
                Err(e) => vec![error_frame(&e, Some(&query_id))],
            };
            for frame in frames {
                // A full queue waits here, pacing this query by the reader; a closed socket
                // ends it.
                if out
                    .send(Message::Text(frame.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        Ok(())
    }
}
