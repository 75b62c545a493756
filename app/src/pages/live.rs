//! `/live`: the tenant's events over the WebSocket feed as they commit, newest on top. Pause
//! holds new events back (and shows them on resume); filters narrow by conversation and event
//! type. A dropped connection reconnects with back-off and resumes from the last event id, so
//! nothing is lost; when the server no longer keeps that point (`resume_unavailable`), the gap
//! is announced. Needs JavaScript: the page says so without it.

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    components::{
        feedback::{island_ready, ErrorNote},
        tenant::{encode, use_tenant, with_tenant},
    },
    server_fns::auth::me,
    wire::live::EVENT_NAMES,
};

/// Most events kept on screen.
const KEPT: usize = 500;

/// One event of the feed, as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownEvent {
    pub id: String,
    pub event: String,
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub at: String,
    pub summary: String,
}

/// Reads a feed frame's event, if it is one.
pub fn read_event(frame: &Value) -> Option<ShownEvent> {
    if frame["type"] != "event" {
        return None;
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let data = &frame["data"];
    let event = text(&frame["event"]);
    let message_id = event.starts_with("message.").then(|| text(&data["id"]));
    let summary = match data["content"].as_str() {
        Some(content) => format!("{}: {content}", text(&data["role"])),
        None if data["redacted"] == true => "(deleted since)".to_owned(),
        None => data["title"].as_str().unwrap_or_default().to_owned(),
    };
    Some(ShownEvent {
        id: text(&frame["id"]),
        event,
        conversation_id: text(&frame["conversation_id"]),
        message_id,
        at: text(&frame["at"]),
        summary,
    })
}

/// The live view's state, shared by the connection and the page.
#[derive(Clone, Copy)]
pub struct Feed {
    pub shown: RwSignal<Vec<ShownEvent>>,
    pub held: RwSignal<Vec<ShownEvent>>,
    pub paused: RwSignal<bool>,
    pub status: RwSignal<String>,
    pub gap: RwSignal<Option<String>>,
    pub last_id: StoredValue<Option<String>>,
}

impl Feed {
    fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            held: RwSignal::new(Vec::new()),
            paused: RwSignal::new(false),
            status: RwSignal::new("Connecting…".to_owned()),
            gap: RwSignal::new(None),
            last_id: StoredValue::new(None),
        }
    }

    /// Takes one frame from the server.
    pub fn receive(&self, frame: &Value) {
        if let Some(event) = read_event(frame) {
            self.last_id.set_value(Some(event.id.clone()));
            let list = if self.paused.get_untracked() {
                self.held
            } else {
                self.shown
            };
            list.update(|l| {
                l.insert(0, event);
                l.truncate(KEPT);
            });
        } else if frame["type"] == "error" && frame["code"] == "resume_unavailable" {
            self.gap.set(Some(
                "Some events were missed while the connection was down: the server no longer \
                 keeps them. Reload the conversations to see their current state."
                    .to_owned(),
            ));
        } else if frame["type"] == "subscribed" {
            if !self.status.get_untracked().starts_with("Live") {
                self.status.set("Live".to_owned());
            }
        } else if frame["type"] == "resumed" {
            let n = frame["replayed"].as_u64().unwrap_or(0);
            self.status
                .set(format!("Live · {n} missed events caught up"));
        }
    }

    fn set_paused(&self, paused: bool) {
        self.paused.set(paused);
        if !paused {
            let held = self.held.try_update(std::mem::take).unwrap_or_default();
            self.shown.update(|l| {
                l.splice(0..0, held);
                l.truncate(KEPT);
            });
        }
    }
}

/// `/live`.
#[component]
pub fn LivePage() -> impl IntoView {
    let chosen = use_tenant();
    let user = Resource::new(|| (), |_| me());
    view! {
        <h1>"Live"</h1>
        <p class="muted">"Every change in this tenant as it commits, newest on top."</p>
        <noscript><p class="notice">"The live view needs JavaScript; the other pages work without it."</p></noscript>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new({
                let chosen = chosen.clone();
                async move {
                match user.await {
                    Ok(user) => {
                        let url_tenant = chosen.clone();
                        let tenant = chosen.or_else(|| user.tenants.first().map(|m| m.tenant_id.clone()));
                        match tenant {
                            Some(tenant) => view! { <LiveFeed tenant url_tenant /> }.into_any(),
                            None => view! { <p class="muted">"You belong to no tenant yet."</p> }.into_any(),
                        }
                    }
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            }})}
        </Suspense>
    }
}

/// The feed itself (an island: it runs in the browser).
#[island]
fn LiveFeed(tenant: String, url_tenant: Option<String>) -> impl IntoView {
    island_ready();
    let feed = Feed::new();
    let conversation = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    {
        let tenant = tenant.clone();
        Effect::new(move |_| connection::connect(feed, tenant.clone(), 0));
    }
    let visible = move || {
        let (c, k) = (conversation.get(), kind.get());
        feed.shown
            .get()
            .into_iter()
            .filter(|e| c.is_empty() || e.conversation_id.contains(&c))
            .filter(|e| k.is_empty() || e.event == k)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="filters">
            <p role="status" data-testid="live-status">{move || feed.status.get()} <span class="muted">{format!(" · tenant {tenant}")}</span></p>
            <label>"Conversation " <input data-testid="live-conversation" on:input=move |ev| conversation.set(event_target_value(&ev)) /></label>
            <label>"Event "
                <select on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="">"all"</option>
                    {EVENT_NAMES.map(|k| view! { <option value=k>{k}</option> })}
                </select>
            </label>
            <button type="button" class="secondary" data-testid="live-pause" on:click=move |_| feed.set_paused(!feed.paused.get_untracked())>
                {move || if feed.paused.get() { format!("Resume ({} held)", feed.held.get().len()) } else { "Pause".to_owned() }}
            </button>
        </div>
        {move || feed.gap.get().map(|g| view! { <p class="notice" role="alert" data-testid="live-gap">{g}</p> })}
        <ol class="events" aria-live="polite">
            <For each=visible key=|e| e.id.clone() let:e>
                <li data-testid="live-event">
                    <span class="tag">{e.event.clone()}</span>
                    <time datetime=e.at.clone()>{crate::pages::conversations::short_time(Some(&e.at))}</time>
                    <a href=with_tenant(&format!("/conversations/{}{}", encode(&e.conversation_id), e.message_id.as_ref().map(|m| format!("#m-{m}")).unwrap_or_default()), url_tenant.as_deref())>
                        {e.conversation_id.clone()}
                    </a>
                    <span class="content">{e.summary.clone()}</span>
                </li>
            </For>
        </ol>
        {move || feed.shown.get().is_empty().then(|| view! { <p class="muted">"No events yet: store a message and it shows here."</p> })}
    }
}

/// The WebSocket connection (in the browser only).
#[cfg(feature = "hydrate")]
mod connection {
    use futures_util::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
    use leptos::prelude::{GetValue, Set};

    use super::Feed;

    /// The back-off before attempt `n`: doubling from half a second, at most 15 s.
    fn delay(attempt: u32) -> std::time::Duration {
        std::time::Duration::from_millis((500u64 << attempt.min(5)).min(15_000))
    }

    fn url(feed: &Feed, tenant: &str) -> String {
        let location = leptos::prelude::window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let mut url = format!("{scheme}://{host}/v1/ws/messages/{}", super::encode(tenant));
        if let Some(last) = feed.last_id.get_value() {
            url.push_str(&format!("?last_event_id={}", super::encode(&last)));
        }
        url
    }

    /// Opens the feed; when it ends, tries again after the back-off (unless the credential
    /// was refused, which another attempt cannot mend).
    pub fn connect(feed: Feed, tenant: String, attempt: u32) {
        let Ok(socket) = WebSocket::open(&url(&feed, &tenant)) else {
            return retry(feed, tenant, attempt + 1);
        };
        leptos::task::spawn_local(async move {
            let (mut write, mut read) = socket.split();
            // Sent once the socket is open; its answer says the feed is live.
            let subscribe = Message::Text(r#"{"action":"subscribe"}"#.to_owned());
            if write.send(subscribe).await.is_err() {
                return retry(feed, tenant, attempt + 1);
            }
            let mut live = false;
            while let Some(frame) = read.next().await {
                match frame {
                    Ok(Message::Text(text)) => {
                        live = true;
                        if let Ok(value) = serde_json::from_str(&text) {
                            feed.receive(&value);
                        }
                    }
                    Ok(Message::Bytes(_)) => {}
                    Err(WebSocketError::ConnectionClose(close))
                        if matches!(close.code, 4401 | 4403) =>
                    {
                        feed.status
                            .set("Disconnected: sign in again to follow this tenant.".to_owned());
                        return;
                    }
                    Err(_) => break,
                }
            }
            retry(feed, tenant, if live { 0 } else { attempt + 1 });
        });
    }

    fn retry(feed: Feed, tenant: String, attempt: u32) {
        let wait = delay(attempt);
        feed.status.set(format!(
            "Connection lost: reconnecting in {:.1} s…",
            wait.as_secs_f64()
        ));
        leptos::prelude::set_timeout(move || connect(feed, tenant, attempt), wait);
    }
}

#[cfg(test)]
mod tests {
    use leptos::prelude::*;
    use serde_json::json;

    use super::read_event;

    #[test]
    fn feed_frames_read_as_events() {
        let frame = json!({"type": "event", "event": "message.created", "id": "2a",
            "conversation_id": "trip", "at": "2026-12-02T06:00:00Z",
            "data": {"id": "m1", "role": "user", "content": "hello"}});
        let e = read_event(&frame).unwrap();
        assert_eq!((e.id.as_str(), e.message_id.as_deref()), ("2a", Some("m1")));
        assert_eq!(e.summary, "user: hello");
        assert!(read_event(&json!({"type": "pong"})).is_none());
    }

    #[test]
    fn a_gap_is_announced_and_paused_events_are_held_in_order() {
        // Signals live in a reactive owner, as under a mounted page.
        Owner::new().with(gap_and_pause);
    }

    fn gap_and_pause() {
        let feed = super::Feed::new();
        let event = |id: &str| {
            json!({"type": "event", "event": "message.created", "id": id,
            "conversation_id": "c", "at": "2026-12-02T06:00:00Z", "data": {"id": id}})
        };
        feed.receive(&event("1"));
        feed.set_paused(true);
        feed.receive(&event("2"));
        feed.receive(&event("3"));
        assert_eq!(feed.shown.get_untracked().len(), 1, "held while paused");
        feed.set_paused(false);
        let ids: Vec<String> = feed
            .shown
            .get_untracked()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, ["3", "2", "1"], "newest on top");
        assert_eq!(feed.last_id.get_value().as_deref(), Some("3"));
        assert!(feed.gap.get_untracked().is_none());
        feed.receive(&json!({"type": "error", "code": "resume_unavailable"}));
        assert!(feed.gap.get_untracked().is_some(), "the gap is announced");
    }
}
