//! What each tool takes. The descriptions are what a model reads to fill them in; bounds and
//! meanings are checked by the use case each tool calls, which names the offending field.
//! `context` takes the REST body itself ([`app::wire::context::ContextRequest`]); the others
//! are narrower than their REST requests (no ranking weights, no page numbers), to keep a
//! model's choices few.

use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// `remember`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct RememberArgs {
    /// The conversation these messages belong to: any id of yours (a chat, thread or session
    /// id; letters, digits, `-`, `_`, `.`, `:`). It is created if it is new.
    pub conversation_id: String,
    /// The messages to store, oldest first (1 to 1000).
    pub messages: Vec<NewMemory>,
    /// The tenant to store in; leave it out to use the credential's own.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// One message to remember.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct NewMemory {
    /// Who said it: `user`, `assistant` or `system`.
    pub role: String,
    /// What was said.
    pub content: String,
    /// Facts about the message to filter on later (`{"topic": "travel"}`).
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// How important it is, 0 to 1, in place of the computed score (leave out normally).
    #[serde(default)]
    pub importance: Option<f64>,
    /// When it was said (RFC 3339); now if left out.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `recall`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct RecallArgs {
    /// What to remember: a question or keywords in plain language.
    pub query: String,
    /// How many results, best first (1 to 100; default 10).
    #[serde(default)]
    pub top_k: Option<u32>,
    /// Only this conversation's messages.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Only messages of this role: `user`, `assistant` or `system`.
    #[serde(default)]
    pub role: Option<String>,
    /// Only messages at least this important (0 to 1).
    #[serde(default)]
    pub importance_min: Option<f64>,
    /// Only messages created at or after this time (RFC 3339).
    #[serde(default)]
    pub start: Option<String>,
    /// Only messages created at or before this time (RFC 3339).
    #[serde(default)]
    pub end: Option<String>,
    /// Only messages whose metadata has these exact values (`{"topic": "travel"}`).
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// `hybrid` (meaning and words; the default), `vector` (meaning only) or `lexical` (words
    /// only).
    #[serde(default)]
    pub mode: Option<String>,
    /// Also archived messages (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// The tenant to search; leave it out to use the credential's own.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// `forget` and `get_message`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct MessageArgs {
    /// The message's id (`message_id` in `recall` results, `id` in stored messages).
    pub message_id: String,
    /// The message's tenant; leave it out to use the credential's own.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// `list_conversations`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct ListConversationsArgs {
    /// Only conversations whose id or title contains this text (any case).
    #[serde(default)]
    pub q: Option<String>,
    /// Only archived (`true`) or only active (`false`) conversations; both if left out.
    #[serde(default)]
    pub archived: Option<bool>,
    /// Conversations per page, most recently active first (1 to 100; default 20).
    #[serde(default)]
    pub page_size: Option<u64>,
    /// The `next_cursor` of the previous page, to read the next one.
    #[serde(default)]
    pub cursor: Option<String>,
    /// The tenant to list; leave it out to use the credential's own.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// `get_conversation_messages`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct ConversationMessagesArgs {
    /// The conversation's id.
    pub conversation_id: String,
    /// `asc` (oldest first; the default) or `desc` (newest first).
    #[serde(default)]
    pub order: Option<String>,
    /// Messages per page (1 to 100; default 50).
    #[serde(default)]
    pub page_size: Option<u64>,
    /// The `next_cursor` of the previous page, in the same order.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Also archived messages (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// The conversation's tenant; leave it out to use the credential's own.
    #[serde(default)]
    pub tenant_id: Option<String>,
}
