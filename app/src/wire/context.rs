//! `POST /v1/memory/context`: the memories to put in a prompt, packed into a token budget.

use serde::{Deserialize, Serialize};

/// What to remember for: a query, the current conversation, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ContextRequest {
    /// Tenant; defaults to the credential's.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// What the memories should be about (searched in every conversation of the tenant).
    #[serde(default)]
    pub query: Option<String>,
    /// The conversation being held: its recent turns come first.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// The budget, in tokens, of `text` (16..32000, default 1000).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// How many of the conversation's latest turns to include first (0..50; default 10 with a
    /// `conversation_id`, else 0).
    #[serde(default)]
    pub recent_turns: Option<u32>,
    /// How many memories to consider, best first (1..100, default 20).
    #[serde(default)]
    pub top_k: Option<u32>,
    /// Turns before and after each memory to add when they fit (0..5, default 1).
    #[serde(default)]
    pub neighbours: Option<u32>,
}

/// One message in the context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContextMessage {
    pub message_id: String,
    pub conversation_id: String,
    pub role: String,
    pub content: String,
    pub created_at: String,
    /// `recent` (a latest turn of the conversation), `memory` (found by the query) or
    /// `neighbour` (a turn beside a memory).
    pub source: String,
    /// A memory's search score.
    pub score: Option<f64>,
    /// Tokens of its line in `text`.
    pub tokens: u32,
}

/// A memory left out because it did not fit the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DroppedMemory {
    pub message_id: String,
    pub score: f64,
    /// Tokens it would have taken.
    pub tokens: u32,
}

/// The context: ready-to-paste text and the same messages as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContextResponse {
    /// The messages in the documented template (`docs/context.md`).
    pub text: String,
    /// Tokens of `text`, counted as `token_counter` says; never above `max_tokens`.
    pub tokens: u32,
    pub max_tokens: u32,
    /// `tokenizer` (the local model's `tokenizer.json`) or `chars/4` (4 characters a token).
    pub token_counter: String,
    /// The messages of `text`, in its order.
    pub messages: Vec<ContextMessage>,
    /// Memories found but left out for the budget, best first.
    pub dropped: Vec<DroppedMemory>,
}
