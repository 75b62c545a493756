//! Messages, conversations and search (`/v1/messages`, `/v1/conversations`, `/v1/memory`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages` (and each item of a batch).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateMessageRequest {
    /// Optional: the credential's tenant is used when omitted.
    #[serde(default)]
    pub tenant_id: Option<String>,
    pub conversation_id: String,
    /// `user`, `assistant` or `system`.
    pub role: String,
    pub content: String,
    #[serde(default)]
    pub metadata: Option<Value>,
    /// 0..1; replaces the computed importance. `importance` is accepted as its alias (the
    /// original API's integration guide sends it).
    #[serde(default, alias = "importance")]
    pub importance_override: Option<f64>,
    /// RFC 3339; for importing history with its real times. Defaults to now.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `PUT /v1/messages/{id}`: every field optional. `"metadata": null` clears metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMessageRequest {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "some_value")]
    pub metadata: Option<Value>,
    /// `importance` is accepted as its alias.
    #[serde(default, alias = "importance")]
    pub importance_override: Option<f64>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// Distinguishes a present `null` (`Some(Value::Null)`) from an absent field (`None`).
pub(crate) fn some_value<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageResponse {
    pub id: String,
    pub tenant_id: String,
    pub conversation_id: String,
    pub role: String,
    pub content: String,
    pub metadata: Value,
    pub importance_score: f64,
    /// `pending`, `completed` or `failed`.
    pub embedding_status: String,
    /// Archived messages are out of search and of the active counts; restore brings them back.
    pub archived: bool,
    /// When and why it was archived (`manual`, `policy`, or a retention rule's name).
    #[serde(default)]
    pub archived_at: Option<String>,
    #[serde(default)]
    pub archive_reason: Option<String>,
    /// In cold storage: archived without its vector; restore embeds it again.
    #[serde(default)]
    pub cold_storage: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Where its embedding stands while `embedding_status` is `pending` or `failed`, on a
    /// single message and a conversation's pages; absent elsewhere (events, search, writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_job: Option<Box<EmbeddingProgress>>,
}

/// A message's embedding job, and why its last attempt failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmbeddingProgress {
    /// `queued` (not tried yet), `embedding` (being embedded now), `retrying` (an attempt
    /// failed; tried again at `next_attempt_at`) or `refused` (the model refused the text: not
    /// tried again until the content is edited).
    pub state: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (`queued` and `retrying`).
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    /// Why the last attempt failed: `provider_unavailable` (down, too slow, rate-limiting or
    /// returning malformed vectors), `provider_misconfigured` (an operator must correct the
    /// provider's key, address, model or width) or `input_refused`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The reason in a sentence, with what happens next.
    #[serde(default)]
    pub detail: Option<String>,
}

/// `GET /v1/conversations/{id}/messages`: one page of a conversation's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessagePage {
    pub messages: Vec<MessageResponse>,
    /// Pass as `cursor` for the next page, in the same order; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A conversation with its exact counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationResponse {
    pub id: String,
    pub tenant_id: String,
    pub title: Option<String>,
    pub metadata: Value,
    /// Its active messages (those search finds); archived and cold ones are counted apart.
    pub message_count: i64,
    /// Archived messages, not in cold storage (`include_archived` searches find them).
    #[serde(default)]
    pub archived_count: i64,
    /// Messages in cold storage (no vector; found by no search until restored).
    #[serde(default)]
    pub cold_count: i64,
    pub last_message_at: Option<String>,
    pub archived: bool,
    /// Who created it (unknown for conversations created before this was recorded).
    #[serde(default)]
    pub user_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    pub conversations: Vec<ConversationResponse>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    /// Pass as `cursor` for the next page (keyset paging: stable and fast at any depth);
    /// absent on the last page.
    pub next_cursor: Option<String>,
}

/// Which conversations to list: `GET /v1/conversations`'s query, and the dashboard's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationListQuery {
    /// Tenant; defaults to the credential's.
    pub tenant_id: Option<String>,
    /// Only archived (`true`) or active (`false`) conversations.
    pub archived: Option<bool>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page (1..100, default 20).
    pub page_size: Option<u64>,
    /// RFC 3339: only conversations updated at or after it.
    pub updated_since: Option<String>,
    /// A previous page's `next_cursor` (keyset paging).
    pub cursor: Option<String>,
    /// Only conversations whose id or title contains this text (any case; up to 200
    /// characters).
    pub q: Option<String>,
}

/// Which of a conversation's messages to list: `GET /v1/conversations/{id}/messages`'s query,
/// and the dashboard's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageListQuery {
    /// Tenant; defaults to the credential's.
    pub tenant_id: Option<String>,
    /// `asc` (oldest first, the default) or `desc`.
    pub order: Option<String>,
    /// Also archived messages.
    pub include_archived: bool,
    /// Messages per page (1..100, default 50).
    pub page_size: Option<u64>,
    /// A previous page's `next_cursor`, in the same order.
    pub cursor: Option<String>,
}

/// `POST /v1/conversations`: creates one ahead of its messages (idempotent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateConversationRequest {
    pub conversation_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// `PUT /v1/conversations/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateConversationRequest {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// `GET /v1/conversations/{id}/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationStats {
    pub conversation_id: String,
    pub tenant_id: String,
    /// Active messages; the role counts, importance and times are theirs too.
    pub total_messages: i64,
    /// Archived messages not in cold storage, and messages in cold storage.
    #[serde(default)]
    pub archived_messages: i64,
    #[serde(default)]
    pub cold_messages: i64,
    pub user_messages: i64,
    pub assistant_messages: i64,
    pub system_messages: i64,
    pub avg_importance: Option<f64>,
    pub first_message_at: Option<String>,
    pub last_message_at: Option<String>,
}

/// `POST /v1/memory/search` (the GET form takes the same fields as query parameters, with
/// metadata filters as `metadata.<key>=<value>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    #[serde(default)]
    pub tenant_id: Option<String>,
    pub query: String,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// `min_importance` (the original dashboard's name) is accepted as its alias.
    #[serde(default, alias = "min_importance")]
    pub importance_min: Option<f64>,
    /// RFC 3339 bounds on `created_at`, inclusive.
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// Equality filters on metadata keys, typed as JSON is: numbers compare as numbers,
    /// booleans, strings and `null` match only their own type (`null` an explicit null, not
    /// a missing key). In the GET form (`metadata.<key>=<value>`) a value matches the JSON
    /// literal it spells or the same string.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
    /// `vector`, `lexical` or `hybrid` (default).
    #[serde(default)]
    pub mode: Option<String>,
    /// How hybrid mode fuses its retrievers: `score` (default) or `rrf`.
    #[serde(default)]
    pub fusion: Option<String>,
    #[serde(default)]
    pub explain: Option<bool>,
    /// Archived messages too (default false); those in cold storage are never found.
    #[serde(default)]
    pub include_archived: Option<bool>,
    /// This search's ranking weights, each from 0 to 1000 (only their ratios matter; not all
    /// 0), in place of the server's settings; `explain.weights` shows those used.
    #[serde(default)]
    pub weight_relevance: Option<f64>,
    #[serde(default)]
    pub weight_importance: Option<f64>,
    #[serde(default)]
    pub weight_recency: Option<f64>,
    /// This search's recency half-life in hours (0.01 to 10⁶).
    #[serde(default)]
    pub half_life_hours: Option<f64>,
    /// The original API's candidate pool size: accepted for its clients and ignored (the
    /// depth follows `top_k`).
    #[serde(default, skip_serializing)]
    #[cfg_attr(feature = "ssr", schema(deprecated))]
    pub candidate_limit: Option<u32>,
}

/// Search results, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    /// Number of items returned.
    pub total: usize,
    pub items: Vec<SearchHit>,
    /// Set when the answer is degraded (hybrid search without its vector half).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notice: Option<String>,
}

/// One remembered message and why it ranks where it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub message_id: String,
    pub conversation_id: String,
    pub content: String,
    pub role: String,
    pub metadata: Value,
    pub created_at: String,
    /// `w_relevance·relevance + w_importance·importance + w_recency·decay`.
    pub score: f64,
    /// Cosine similarity of the message to the query (null without a stored vector).
    pub similarity: Option<f64>,
    pub importance: f64,
    /// `0.5^(age / half-life)`.
    pub decay: f64,
    /// Present (true) only for an archived message, found with `include_archived=true`.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub archived: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub explain: Option<Explain>,
}

/// With `explain=true`: every component of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Explain {
    pub mode: String,
    /// Hybrid mode only: `score` or `rrf`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fusion: Option<String>,
    /// The retrieval relevance used in the score: cosine (vector), lexical relevance normalised
    /// to the best match (lexical), or their fusion (hybrid: see `fusion`).
    pub relevance: f64,
    /// 1-based rank in each retriever's list, if it found the message.
    pub vector_rank: Option<usize>,
    pub lexical_rank: Option<usize>,
    pub weights: Weights,
}

/// The score's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Weights {
    pub relevance: f64,
    pub importance: f64,
    pub recency: f64,
    pub half_life_hours: f64,
}

/// `POST /v1/messages/batch`: up to 1000 messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchCreateRequest {
    pub messages: Vec<CreateMessageRequest>,
}

/// One item of `PUT /v1/messages/batch/update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchUpdateItem {
    pub message_id: String,
    pub update: UpdateMessageRequest,
}

/// `PUT /v1/messages/batch/update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchUpdateRequest {
    pub updates: Vec<BatchUpdateItem>,
}

/// `DELETE /v1/messages/batch`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchDeleteRequest {
    pub message_ids: Vec<String>,
}

/// The answer of every batch route: 201/200 when every item succeeded, 207 otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    pub created: Vec<MessageResponse>,
    pub updated: Vec<MessageResponse>,
    pub deleted: Vec<String>,
    pub errors: Vec<BatchItemError>,
}

/// Why one item of a batch failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchItemError {
    /// Position in the request (create), or the id (update, delete).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_id: Option<String>,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
}
