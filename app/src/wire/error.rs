//! The one error body every failing API response carries.

use serde::{Deserialize, Serialize};

/// `{"error": {...}}` — the body of every 4xx and 5xx answer of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `not_found`, `validation_failed`, `rate_limited`, …
    pub code: String,
    /// Human-readable explanation; never contains secrets or internal error text.
    pub message: String,
    /// The request's `x-request-id`, to find it in the server's logs.
    pub request_id: String,
    /// For validation errors: which field failed and why.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
}
