//! Typed settings, read once at start-up from `MEMORY_*` environment variables (and `.env`).
//!
//! Every setting has a default that gives the embedded mode (SQLite file, in-process queue and
//! rate limiter, local embedding model), so `memory-mesh serve` needs no configuration at all.
//! A malformed value stops start-up with an error that names the variable; production refuses
//! insecure defaults. `.env.example` documents every key; keep it in step with [`KNOWN_KEYS`].

use std::{fmt, net::IpAddr, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use crate::domain::{messages::ImportanceWeights, ranking::RankingWeights};

mod auth;
mod live;
mod parse;
mod site;
mod values;

pub use live::LiveSettings;
pub use site::Site;
pub use values::{redact_url, Rate};

/// Every variable this module reads. Unknown `MEMORY_*` variables are reported at start-up, because
/// a misspelt setting silently falling back to its default is a classic production incident.
pub const KNOWN_KEYS: &[&str] = &[
    "MEMORY_ENVIRONMENT",
    "MEMORY_HOST",
    "MEMORY_PORT",
    "MEMORY_DATA_DIR",
    "MEMORY_DATABASE_URL",
    "MEMORY_DATABASE_MAX_CONNECTIONS",
    "MEMORY_DATABASE_MIN_CONNECTIONS",
    "MEMORY_DATABASE_ACQUIRE_TIMEOUT_MS",
    "MEMORY_DATABASE_HNSW_EF_SEARCH",
    "MEMORY_DATABASE_READ_URLS",
    "MEMORY_DATABASE_READ_AFTER_WRITE_MS",
    "MEMORY_REDIS_URL",
    "MEMORY_JWT_SECRET_KEY",
    "MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES",
    "MEMORY_REFRESH_TOKEN_EXPIRE_DAYS",
    "MEMORY_ALLOWED_ORIGINS",
    "MEMORY_EMBEDDING_PROVIDER",
    "MEMORY_EMBEDDING_DIMENSIONS",
    "MEMORY_EMBEDDING_MODEL_DIR",
    "MEMORY_GLOBAL_RATE_LIMIT",
    "MEMORY_TENANT_RATE_LIMIT",
    "MEMORY_AUDIT_KEEP_DAYS",
    "MEMORY_TENANT_CREATE_ON_WRITE",
    "MEMORY_RETENTION_MAX_AGE_DAYS",
    "MEMORY_RETENTION_IMPORTANCE_THRESHOLD",
    "MEMORY_RETENTION_SCHEDULE_SECONDS",
    "MEMORY_RETENTION_DELETE_AFTER_DAYS",
    "MEMORY_RETENTION_DEFAULT_ENABLED",
    "MEMORY_RETENTION_MIN_AGE_DAYS",
    "MEMORY_REQUEST_TIMEOUT_SECONDS",
    "MEMORY_HEADER_TIMEOUT_SECONDS",
    "MEMORY_SHUTDOWN_TIMEOUT_SECONDS",
    "MEMORY_MAX_BODY_BYTES",
    "MEMORY_METRICS_PUBLIC",
    "MEMORY_SITE_ROOT",
    "MEMORY_LEPTOS_CONFIG",
    "MEMORY_LOG_FORMAT",
    "MEMORY_OTLP_ENDPOINT",
    "MEMORY_ADMIN_EMAILS",
    "MEMORY_TRUSTED_PROXIES",
    "MEMORY_REDIS_PREFIX",
    "MEMORY_EMBEDDING_MODE",
    "MEMORY_JOB_WORKERS",
    "MEMORY_JOB_LEASE_SECONDS",
    "MEMORY_EMBEDDING_BASE_URL",
    "MEMORY_EMBEDDING_MODEL",
    "MEMORY_EMBEDDING_API_KEY",
    "MEMORY_OPENAI_API_KEY",
    "MEMORY_GEMINI_API_KEY",
    "MEMORY_HSTS",
    "MEMORY_RANKING_SIMILARITY_WEIGHT",
    "MEMORY_RANKING_IMPORTANCE_WEIGHT",
    "MEMORY_RANKING_RECENCY_WEIGHT",
    "MEMORY_RANKING_HALF_LIFE_HOURS",
    "MEMORY_IMPORTANCE_RECENCY_WEIGHT",
    "MEMORY_IMPORTANCE_ROLE_WEIGHT",
    "MEMORY_IMPORTANCE_EXPLICIT_WEIGHT",
    "MEMORY_TEXT_INDEX_MAX_MB",
    "MEMORY_EVENTS_KEEP_SECONDS",
    "MEMORY_EVENTS_MAX_PER_TENANT",
    "MEMORY_WS_PING_SECONDS",
    "MEMORY_WS_RECHECK_SECONDS",
    "MEMORY_WS_AUTH_TIMEOUT_SECONDS",
    "MEMORY_WS_MAX_CONNECTIONS_PER_TENANT",
    "MEMORY_WS_SEND_QUEUE",
    "MEMORY_WS_MAX_QUERIES_IN_FLIGHT",
    // Read by the command line (`memory-mesh mcp`), not by these settings.
    "MEMORY_MCP_API_KEY",
];

/// JWT secrets shorter than this are refused in production (HS256 wants ≥ 256 bits).
pub const MIN_PRODUCTION_SECRET_LEN: usize = 32;

/// Where the instance runs; production turns insecure defaults into start-up errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// Staging is held to production's rules: it is where insecure settings would be copied from.
    pub fn is_production_like(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }
}

/// Which embedding backend computes vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingProviderKind {
    /// all-MiniLM-L6-v2 in-process (the default; no API key).
    Local,
    /// Any OpenAI-compatible `/v1/embeddings`.
    OpenAi,
    /// Google's embedContent API.
    Gemini,
    /// Ollama's `/api/embed`.
    Ollama,
    /// Deterministic hashing vectors, for tests only; refused in production.
    Fake,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The whole configuration of one server process.
#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub host: IpAddr,
    pub port: u16,
    /// Directory for the embedded mode's files (SQLite database, generated JWT secret).
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    /// `None` runs the in-process rate limiter and event bus; `Some` shares them through Redis.
    pub redis_url: Option<Redacted>,
    /// Prefix of every Redis key this instance writes (lets tests and deployments share a Redis).
    pub redis_prefix: String,
    /// Peers whose `X-Forwarded-For` is believed (load balancers); everyone else is identified
    /// by the socket address, so clients cannot spoof their way around per-IP limits.
    pub trusted_proxies: Vec<IpAddr>,
    pub auth: AuthSettings,
    /// Origins allowed to call the API from a browser; empty means same-origin only.
    pub allowed_origins: Vec<String>,
    pub embedding: EmbeddingSettings,
    /// Default for writes: embed before answering (`inline`, 201) or queue it (`async`, 202).
    /// A request can choose with `?async=true|false`.
    pub async_embedding: bool,
    /// Embedding worker loops in this process (0: this instance only serves requests).
    pub job_workers: usize,
    /// How long a claimed embedding job stays with its worker before another (of any
    /// instance) may take it over: how soon a killed instance's batch is embedded elsewhere.
    pub job_lease: Duration,
    pub global_rate_limit: Rate,
    pub tenant_rate_limit: Rate,
    /// Audit log entries are kept this many days (`MEMORY_AUDIT_KEEP_DAYS`, default 365).
    pub audit_keep_days: u32,
    /// A signed-in user who writes into a tenant id nobody holds yet creates it and becomes
    /// its admin (`MEMORY_TENANT_CREATE_ON_WRITE`, default true), as the original API treated
    /// tenants as free strings. Off: tenants are made only with `POST /v1/tenants`.
    pub tenant_create_on_write: bool,
    pub retention: RetentionSettings,
    pub ranking: RankingSettings,
    /// On PostgreSQL, the most memory the in-process text index holds before it drops the
    /// least recently searched tenants' words (`MEMORY_TEXT_INDEX_MAX_MB`, default 1024).
    pub text_index_max_bytes: usize,
    pub http: HttpSettings,
    /// The event stream and the WebSocket doors.
    pub live: LiveSettings,
    /// The dashboard's built assets: `Leptos.toml` when present, under the `MEMORY_*` settings.
    pub site: Site,
    pub log_format: LogFormat,
    /// OTLP/HTTP collector the request spans are exported to (`MEMORY_OTLP_ENDPOINT`, e.g.
    /// `http://collector:4318`); none: trace ids only in the logs.
    pub otlp_endpoint: Option<String>,
    /// Users registering with one of these emails become instance administrators (cross-tenant
    /// views such as `/v1/analytics/tenants`).
    pub admin_emails: Vec<String>,
    /// `MEMORY_*` variables that are set but unknown (reported once logging is up).
    pub unknown_keys: Vec<String>,
}

/// Database connection settings.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`, normalised (the original's `+asyncpg` style is accepted).
    pub url: Redacted,
    pub max_connections: u32,
    /// Connections opened at start and kept open (at most `max_connections`), so a request
    /// rarely waits for a new one: sqlx 0.9 opens PostgreSQL connections slowly over TLS (it
    /// leaves Nagle's algorithm on, and the handshake's small writes wait for delayed ACKs).
    pub min_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: std::time::Duration,
    /// PostgreSQL: candidates pgvector's HNSW search keeps per query (`hnsw.ef_search`); higher
    /// finds more of the exact nearest neighbours, slower (`bench --bin hnsw` measures recall
    /// against exact search; docs/benchmarks.md).
    pub hnsw_ef_search: u32,
    /// PostgreSQL read replicas: searches and listings read from them ([`crate::store::replicas`]).
    pub read_urls: Vec<Redacted>,
    /// How long a tenant's reads stay on the primary after it changed something (and, a
    /// quarter of it, how often the replicas' lag is checked).
    pub read_after_write: std::time::Duration,
}

impl DatabaseSettings {
    pub fn is_postgres(&self) -> bool {
        self.url.expose().starts_with("postgres")
    }
}

/// Token signing and lifetimes.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    /// True when the secret was generated (outside production, when none is configured): the
    /// database then holds the one every instance on it uses (`store::secrets`).
    pub jwt_secret_generated: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

/// Embedding provider selection.
#[derive(Debug, Clone)]
pub struct EmbeddingSettings {
    pub provider: EmbeddingProviderKind,
    pub dimensions: usize,
    pub model_dir: Option<PathBuf>,
    /// Remote providers: where, which model, and the key (never logged).
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<SecretString>,
}

/// Defaults of the retention job.
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    /// Whether a tenant that never set its policy has it enabled (default: no).
    pub default_enabled: bool,
    pub max_age_days: u32,
    pub importance_threshold: f64,
    /// The importance test spares messages younger than this.
    pub min_age_days: u32,
    /// How often each instance's scheduler looks for tenants due a run.
    pub schedule: Duration,
    pub delete_after_days: u32,
}

/// How search scores results and how importance is scored at write time.
#[derive(Debug, Clone, Copy, Default)]
pub struct RankingSettings {
    /// `score = w_sim·relevance + w_imp·importance + w_rec·decay`, and decay's half-life.
    pub weights: RankingWeights,
    /// Write-time importance from recency and role (an explicit override always wins).
    pub importance: ImportanceWeights,
}

/// Request hygiene.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (and how long an idle
    /// keep-alive connection is kept): a connection past it is closed, so clients that trickle
    /// bytes cannot hold connections open.
    pub header_timeout: Duration,
    /// After SIGTERM: how long in-flight requests and running embedding batches may take to
    /// finish before their jobs go back to the queue and the process exits.
    pub shutdown_timeout: Duration,
    pub max_body_bytes: usize,
    /// Whether `/metrics` is served without credentials (otherwise: instance admins only).
    pub metrics_public: bool,
    /// Send `Strict-Transport-Security`: on by default behind a trusted proxy (which terminates
    /// TLS), off for a plain-HTTP local server where it would be wrong.
    pub hsts: bool,
}

/// A configuration error that names the offending variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {key}: {message}")]
pub struct ConfigError {
    pub key: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// A string that may embed credentials (database and Redis URLs): `Debug` and `Display` print
/// it with any password replaced, so settings can be logged whole.
#[derive(Clone)]
pub struct Redacted(SecretString);

impl Redacted {
    pub fn new(value: String) -> Self {
        Self(SecretString::from(value))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&values::redact_url(self.expose()))
    }
}

impl Settings {
    /// Reads `.env` (if present, without overriding the real environment), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is reported by name.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new("MEMORY_* (.env)", e.to_string())),
        }
        let vars: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("MEMORY_"))
            .collect();
        Self::from_vars(&vars)
    }

    /// Builds settings from `(name, value)` pairs; the seam unit tests use.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Self, ConfigError> {
        let get = |key: &str| {
            vars.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        parse::build(&get, vars)
    }

    /// The address to bind.
    pub fn bind_address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.host, self.port)
    }
}

#[cfg(test)]
mod tests;
