//! `ServiceError`: what a use case can fail with, whichever door (REST, WebSocket, dashboard,
//! agent tool) called it. Each door maps it to its own protocol; none of them is named here.

use crate::{
    domain::Invalid,
    embed::{EmbedError, Fault},
    store::StoreError,
};

/// Shorthand for use-case results.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such `what` in the caller's tenant (another tenant's ids are reported alike).
    #[error("{} not found.", capitalised(what))]
    NotFound { what: &'static str },
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A request that is well-formed but cannot be served as asked.
    #[error("{0}")]
    BadRequest(String),
    /// No credential, or one that is not (or no longer) valid.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// A connection already runs as many queries at once as it may.
    #[error("{0}")]
    TooManyQueries(String),
    /// A dependency is down; the message names it and never carries its error text.
    #[error("{0}")]
    Unavailable(String),
    /// The database has no space left for this write; the message never carries its error text.
    #[error("{0}")]
    StorageFull(String),
    /// Another attempt under the same idempotency key recorded its answer first. Never reaches
    /// a client: [`super::idempotency::once`] answers with the recorded answer instead.
    #[error("A request with this idempotency key is being handled; retry it shortly.")]
    KeyTaken,
    /// A bug or an unexpected database failure: opaque to clients, logged by the door.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

fn capitalised(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl ServiceError {
    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound { what }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(Invalid::new(field, message))
    }

    /// A stable, protocol-neutral name for the failure (the `code` of every error body).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Invalid(_) => "validation_failed",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthenticated(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) | Self::KeyTaken => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::TooManyQueries(_) => "too_many_queries",
            Self::Unavailable(_) => "unavailable",
            Self::StorageFull(_) => "insufficient_storage",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The field a validation error names.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(i) => Some(&i.field),
            _ => None,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => Self::NotFound { what },
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::Unavailable => Self::Unavailable(DATABASE_UNAVAILABLE.into()),
            StoreError::Full => Self::StorageFull(STORAGE_FULL.into()),
            StoreError::Db(e) => Self::Internal(e.into()),
        }
    }
}

/// What a client reads when a write finds the database's storage full.
const STORAGE_FULL: &str =
    "The database has no space left: writes are refused until an operator frees some; reads go on.";

/// What a client reads while the database does not answer.
const DATABASE_UNAVAILABLE: &str = "The database is unavailable; retry shortly.";

impl From<EmbedError> for ServiceError {
    fn from(e: EmbedError) -> Self {
        match e.fault {
            Fault::User => Self::Invalid(Invalid {
                field: "content".into(),
                message: e.message,
            }),
            // The provider's own message may name internal hosts: logged where it is caught,
            // never sent.
            Fault::Runtime | Fault::Config => {
                Self::Unavailable("The embedding provider is unavailable; retry later.".into())
            }
        }
    }
}
