//! The events a change emits, what each carries, and how long they are kept ([`prune`]). The use cases hand them to the store with
//! the change, so they are written in its transaction; subscribers read them through a live
//! connection ([`super::watchers`]).
//!
//! A message event's `data` is the message as `GET /v1/messages/{id}` returns it at that moment;
//! a conversation event's, the conversation as `GET /v1/conversations/{id}` does. A deletion
//! carries only what was deleted (its id and conversation), and scrubs the content of the
//! message's earlier events.

use chrono::Utc;

use super::{Result, Services};
use crate::{
    domain::events::EventKind,
    store::{
        entities::{conversations, messages},
        events::{self as store, NewEvent},
        ingest::Prepared,
    },
};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("wire types serialise")
}

/// An event about message `m`, carrying it whole.
pub fn message(kind: EventKind, m: &messages::Model) -> NewEvent {
    NewEvent {
        tenant_id: m.tenant_id.clone(),
        conversation_id: Some(m.conversation_id.clone()),
        message_id: Some(m.id),
        name: kind.as_str(),
        data: json(&super::views::view_message(m.clone())),
    }
}

/// `message.deleted`: which message, nothing of what it said.
pub fn message_deleted(m: &messages::Model) -> NewEvent {
    NewEvent {
        tenant_id: m.tenant_id.clone(),
        conversation_id: Some(m.conversation_id.clone()),
        message_id: Some(m.id),
        name: EventKind::MessageDeleted.as_str(),
        data: json(&serde_json::json!({
            "id": m.id.to_string(),
            "tenant_id": m.tenant_id,
            "conversation_id": m.conversation_id,
        })),
    }
}

/// An event about conversation `c`, carrying it whole.
pub fn conversation(kind: EventKind, c: &conversations::Model) -> NewEvent {
    NewEvent {
        tenant_id: c.tenant_id.clone(),
        conversation_id: Some(c.id.clone()),
        message_id: None,
        name: kind.as_str(),
        data: json(&super::views::view_conversation(c.clone())),
    }
}

/// `conversation.deleted`, with how many messages went with it.
pub fn conversation_deleted(c: &conversations::Model) -> NewEvent {
    NewEvent {
        tenant_id: c.tenant_id.clone(),
        conversation_id: Some(c.id.clone()),
        message_id: None,
        name: EventKind::ConversationDeleted.as_str(),
        data: json(&serde_json::json!({
            "id": c.id,
            "tenant_id": c.tenant_id,
            "messages_deleted": c.message_count,
        })),
    }
}

/// A new batch's events, in order: `conversation.created` for each conversation it creates
/// (marked: written only if the conversation is new), then per message `message.created` and,
/// when its vector was stored with it, `message.embedded`.
pub fn created(prepared: &Prepared) -> Vec<(NewEvent, bool)> {
    let conversations = prepared
        .conversations_if_new()
        .into_iter()
        .map(|c| (conversation(EventKind::ConversationCreated, &c), true));
    let messages = prepared.messages.iter().flat_map(|m| {
        let embedded = super::views::is_stored_embedded(m);
        std::iter::once((message(EventKind::MessageCreated, m), false))
            .chain(embedded.then(|| (message(EventKind::MessageEmbedded, m), false)))
    });
    conversations.chain(messages).collect()
}

/// An edit's events: `message.updated` when content, metadata or importance changed,
/// `message.archived` / `message.restored` when the flag flipped, `message.embedded` when the
/// new content's vector was stored with it.
pub fn updated(before: &messages::Model, after: &messages::Model, embedded: bool) -> Vec<NewEvent> {
    let mut events = Vec::new();
    let edited = before.content != after.content
        || before.metadata != after.metadata
        || before.importance_score != after.importance_score;
    if edited {
        events.push(message(EventKind::MessageUpdated, after));
    }
    match (before.archived, after.archived) {
        (false, true) => events.push(message(EventKind::MessageArchived, after)),
        (true, false) => events.push(message(EventKind::MessageRestored, after)),
        _ => {}
    }
    if embedded {
        events.push(message(EventKind::MessageEmbedded, after));
    }
    events
}

/// Deletes events older than the kept window (`MEMORY_EVENTS_KEEP_SECONDS`), and each tenant's
/// beyond its newest `MEMORY_EVENTS_MAX_PER_TENANT`: a subscriber resuming from an event that
/// is gone is told to reload. Returns how many went.
pub async fn prune(svc: &Services) -> Result<u64> {
    let live = &svc.settings.live;
    let keep_since =
        Utc::now() - chrono::Duration::from_std(live.keep_events).unwrap_or(chrono::Duration::MAX);
    let cap = live.max_events_per_tenant;
    svc.upkeep(async |db| store::prune(db, keep_since, cap).await)
        .await
}
