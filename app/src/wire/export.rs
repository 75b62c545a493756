//! `GET /v1/export`: a tenant as JSON lines, one record a line, each naming its `kind`. The
//! format is documented in docs/export.md; `format` in the first record versions it.

use serde::{Deserialize, Serialize};

use super::{
    memory::{ConversationResponse, MessageResponse},
    retention::{RetentionPolicy, RetentionRule},
};

/// The version of the export format this server writes.
pub const EXPORT_FORMAT: u32 = 1;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportRecord {
    /// The first line: what follows and how it was made.
    Export(ExportHeader),
    Tenant(ExportedTenant),
    Conversation(ConversationResponse),
    Message(ExportedMessage),
    RetentionPolicy(RetentionPolicy),
    RetentionRule(RetentionRule),
    /// The last line: an export without it was cut short.
    End(ExportCounts),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportHeader {
    pub format: u32,
    pub exported_at: String,
    pub tenant_id: String,
    /// The model the server embeds with (messages' own `embedding_model` says which embedded
    /// each).
    pub embedding_model: String,
    pub dimensions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportedTenant {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// A message as stored: its answer form plus what an import needs to keep it as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportedMessage {
    #[serde(flatten)]
    pub message: MessageResponse,
    /// The importance set by hand, if any (`importance_score` is computed from it).
    #[serde(default)]
    pub importance_override: Option<f64>,
    /// The model that last embedded it, if one has (kept while a new embedding is pending
    /// and in cold storage).
    #[serde(default)]
    pub embedding_model: Option<String>,
    /// Its vector, when the export was asked for vectors (`vectors=true`) and it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportCounts {
    pub conversations: u64,
    pub messages: u64,
    pub retention_rules: u64,
}
