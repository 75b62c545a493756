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

/// Server functions fail with the same envelope as the REST API, so the dashboard shows the
/// words the API uses. What goes wrong before a server function runs (arguments it cannot read,
/// a network failure in the browser) is described in the same shape.
impl leptos::server_fn::error::FromServerFnError for ErrorBody {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(e: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let code = match &e {
            E::Args(_) | E::MissingArg(_) => "validation_failed",
            E::Request(_) => "unreachable",
            _ => "internal_error",
        };
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: e.to_string(),
                request_id: String::new(),
                field: None,
            },
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error.message)
    }
}
