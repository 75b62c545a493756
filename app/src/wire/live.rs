//! The live feed's wire form (`/v1/ws/messages/{tenant_id}`): an event frame as every
//! subscriber receives it. The other frames of the WebSocket protocols are in
//! `docs/websocket.md`.

/// Every event's name, as the feed sends it in `event` (`docs/websocket.md` says what each
/// carries).
pub const EVENT_NAMES: [&str; 11] = [
    "message.created",
    "message.updated",
    "message.deleted",
    "message.embedded",
    "message.embedding_failed",
    "message.archived",
    "message.restored",
    "conversation.created",
    "conversation.updated",
    "conversation.deleted",
    "retention.applied",
];

/// `{"type":"event","event":…,"id":…,"tenant_id":…,"conversation_id":…,"at":…,"data":…}`.
/// `data` is JSON text (as the event table stores it) and is spliced in as it is: an event is
/// formatted once for all its subscribers, and never parsed and written again.
pub fn event_frame(
    name: &str,
    id: &str,
    tenant_id: &str,
    conversation_id: Option<&str>,
    at: &str,
    data: &str,
) -> String {
    let text = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let conversation = conversation_id.map_or_else(|| "null".to_owned(), text);
    format!(
        r#"{{"type":"event","event":{},"id":{},"tenant_id":{},"conversation_id":{conversation},"at":{},"data":{data}}}"#,
        text(name),
        text(id),
        text(tenant_id),
        text(at),
    )
}
