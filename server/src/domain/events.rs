//! What subscribers are told: the kinds of event a change emits, and event ids.

use super::Invalid;

/// The kinds of event, as subscribers name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    MessageCreated,
    MessageUpdated,
    MessageDeleted,
    /// The message's vector was stored: it can be found by meaning.
    MessageEmbedded,
    /// The model refused the message's text: it will not be found by meaning.
    MessageEmbeddingFailed,
    MessageArchived,
    MessageRestored,
    ConversationCreated,
    ConversationUpdated,
    ConversationDeleted,
    RetentionApplied,
}

impl EventKind {
    pub const ALL: [Self; 11] = [
        Self::MessageCreated,
        Self::MessageUpdated,
        Self::MessageDeleted,
        Self::MessageEmbedded,
        Self::MessageEmbeddingFailed,
        Self::MessageArchived,
        Self::MessageRestored,
        Self::ConversationCreated,
        Self::ConversationUpdated,
        Self::ConversationDeleted,
        Self::RetentionApplied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::MessageDeleted => "message.deleted",
            Self::MessageEmbedded => "message.embedded",
            Self::MessageEmbeddingFailed => "message.embedding_failed",
            Self::MessageArchived => "message.archived",
            Self::MessageRestored => "message.restored",
            Self::ConversationCreated => "conversation.created",
            Self::ConversationUpdated => "conversation.updated",
            Self::ConversationDeleted => "conversation.deleted",
            Self::RetentionApplied => "retention.applied",
        }
    }

    /// `field` names the value in errors (`events[2]`).
    pub fn parse(raw: &str, field: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Invalid::new(field, format!("is not an event name: '{raw}'")))
    }
}

/// Width of an event id: fixed, so ids also sort as strings.
const ID_DIGITS: usize = 16;

/// The opaque id subscribers see for the event numbered `seq`.
pub fn event_id(seq: i64) -> String {
    format!("{seq:0width$x}", width = ID_DIGITS)
}

/// The number behind an id this server issued; `None` for anything else.
pub fn parse_event_id(raw: &str) -> Option<i64> {
    if raw.len() != ID_DIGITS || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(raw, 16).ok().filter(|seq| *seq > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dashboard offers the names the wire types list: they must be the ones sent.
    #[test]
    fn the_wire_lists_every_event_name() {
        let names = EventKind::ALL.map(EventKind::as_str);
        assert_eq!(names, app::wire::live::EVENT_NAMES);
    }

    #[test]
    fn event_ids_round_trip_and_sort_as_strings() {
        assert_eq!(parse_event_id(&event_id(42)), Some(42));
        assert!(event_id(9) < event_id(10));
        assert!(event_id(255) < event_id(4096));
        assert_eq!(parse_event_id("42"), None);
        assert_eq!(parse_event_id("zzzzzzzzzzzzzzzz"), None);
        assert_eq!(parse_event_id(&event_id(0)), None);
    }

    #[test]
    fn every_kind_parses_from_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str(), "events[0]"), Ok(kind));
        }
        let err = EventKind::parse("message.exploded", "events[1]").unwrap_err();
        assert_eq!(err.field, "events[1]");
    }
}
