//! Stored rows in the wire form every door returns (and every event carries): the one place
//! an entity becomes a response, so a message reads the same from REST, a WebSocket event or
//! any other door.

use app::wire::memory::{ConversationResponse, EmbeddingProgress, MessageResponse};

use crate::{
    domain::{
        embedding::{JobState, Reason},
        messages::EmbeddingStatus,
    },
    store::{
        entities::{conversations, messages},
        jobs::Progress,
    },
};

/// The wire form of a stored message (without its vector).
pub fn view_message(m: messages::Model) -> MessageResponse {
    MessageResponse {
        id: m.id.to_string(),
        tenant_id: m.tenant_id,
        conversation_id: m.conversation_id,
        role: m.role,
        content: m.content,
        metadata: m.metadata,
        importance_score: m.importance_score,
        embedding_status: m.embedding_status,
        archived: m.archived,
        archived_at: m.archived_at.map(|t| t.to_rfc3339()),
        archive_reason: m.archive_reason,
        cold_storage: m.cold,
        created_at: m.created_at.to_rfc3339(),
        updated_at: m.updated_at.to_rfc3339(),
        embedding_job: None,
    }
}

/// The wire form of a message's embedding job: its state, and the reason of a failed attempt
/// as a code and a sentence (never the provider's own words).
pub fn view_progress(p: &Progress) -> EmbeddingProgress {
    // A claim whose lease is over is due again from the lease's end.
    let ended_lease = p.locked_until.filter(|until| *until < chrono::Utc::now());
    let state = JobState::of(&p.status, p.attempts, ended_lease.is_some());
    let due = ended_lease.unwrap_or(p.run_at);
    let reason = p.reason.as_deref().and_then(Reason::from_stored);
    EmbeddingProgress {
        state: state.as_str().into(),
        attempts: p.attempts,
        next_attempt_at: state.is_scheduled().then(|| due.to_rfc3339()),
        reason: reason.map(|r| r.as_str().into()),
        detail: reason.map(|r| r.detail().into()),
    }
}

/// Whether a written message's vector is already stored (the door's 201) or queued (202).
pub fn is_embedded(m: &MessageResponse) -> bool {
    EmbeddingStatus::from_stored(&m.embedding_status) == EmbeddingStatus::Completed
}

/// [`is_embedded`] for a stored row.
pub fn is_stored_embedded(m: &messages::Model) -> bool {
    EmbeddingStatus::from_stored(&m.embedding_status) == EmbeddingStatus::Completed
}

/// The wire form of a stored conversation.
pub fn view_conversation(c: conversations::Model) -> ConversationResponse {
    ConversationResponse {
        id: c.id,
        tenant_id: c.tenant_id,
        title: c.title,
        metadata: c.metadata,
        // Active by default, as every count is; the other states beside it.
        message_count: c.message_count - c.archived_count,
        archived_count: c.archived_count - c.cold_count,
        cold_count: c.cold_count,
        last_message_at: c.last_message_at.map(|t| t.to_rfc3339()),
        archived: c.archived,
        user_id: c.user_id.map(|u| u.to_string()),
        created_at: c.created_at.to_rfc3339(),
        updated_at: c.updated_at.to_rfc3339(),
    }
}
