//! Parsing and validating each setting; every error names its variable.

use std::{path::PathBuf, time::Duration};

use secrecy::SecretString;

use super::{
    auth::auth,
    values::{boolean, fraction, normalise_database_url, number, weight},
    *,
};

pub(super) fn build(
    get: &dyn Fn(&str) -> Option<String>,
    vars: &[(String, String)],
) -> Result<Settings, ConfigError> {
    let environment = environment(get)?;
    let data_dir = PathBuf::from(get("MEMORY_DATA_DIR").unwrap_or_else(|| "data".into()));
    let database = database(get, &data_dir)?;
    let redis_url = redis_url(get)?;
    let auth = auth(get, environment, &data_dir)?;
    let allowed_origins = origins(get, environment)?;
    let embedding = embedding(get, environment)?;
    let rate = |key: &'static str, default: &str| -> Result<Rate, ConfigError> {
        get(key)
            .unwrap_or_else(|| default.into())
            .parse()
            .map_err(|m| ConfigError::new(key, m))
    };
    let retention = retention(get)?;
    let ranking = ranking(get)?;
    let http = http(get)?;
    let log_format = log_format(get, environment)?;
    let site = super::site::site(get)?;
    let (default_host, default_port) = site.addr.map_or(("127.0.0.1".to_owned(), 8000), |a| {
        (a.ip().to_string(), a.port())
    });
    Ok(Settings {
        environment,
        host: get("MEMORY_HOST")
            .unwrap_or(default_host)
            .parse()
            .map_err(|_| ConfigError::new("MEMORY_HOST", "not an IP address (e.g. 0.0.0.0)"))?,
        port: number(get, "MEMORY_PORT", default_port, 0..=u16::MAX)?,
        data_dir,
        database,
        redis_url,
        redis_prefix: get("MEMORY_REDIS_PREFIX").unwrap_or_else(|| "mm:".into()),
        trusted_proxies: trusted_proxies(get)?,
        auth,
        allowed_origins,
        embedding,
        async_embedding: embedding_mode(get)?,
        job_workers: number(get, "MEMORY_JOB_WORKERS", 1usize, 0..=64)?,
        job_lease: Duration::from_secs(number(get, "MEMORY_JOB_LEASE_SECONDS", 60u64, 1..=3600)?),
        global_rate_limit: rate("MEMORY_GLOBAL_RATE_LIMIT", "200/minute")?,
        tenant_rate_limit: rate("MEMORY_TENANT_RATE_LIMIT", "120/minute")?,
        audit_keep_days: number(get, "MEMORY_AUDIT_KEEP_DAYS", 365u32, 1..=36_500)?,
        tenant_create_on_write: boolean(get, "MEMORY_TENANT_CREATE_ON_WRITE", true)?,
        retention,
        ranking,
        text_index_max_bytes: number(get, "MEMORY_TEXT_INDEX_MAX_MB", 1024usize, 1..=1 << 20)?
            << 20,
        http,
        live: super::live::live(get)?,
        site,
        log_format,
        otlp_endpoint: otlp_endpoint(get)?,
        admin_emails: get("MEMORY_ADMIN_EMAILS")
            .unwrap_or_default()
            .split(',')
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect(),
        unknown_keys: vars
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("MEMORY_") && !KNOWN_KEYS.contains(&k.as_str()))
            .cloned()
            .collect(),
    })
}

fn environment(get: &dyn Fn(&str) -> Option<String>) -> Result<Environment, ConfigError> {
    Ok(match get("MEMORY_ENVIRONMENT").as_deref() {
        None | Some("development") | Some("dev") => Environment::Development,
        Some("test") => Environment::Test,
        Some("staging") => Environment::Staging,
        Some("production") | Some("prod") => Environment::Production,
        Some(other) => {
            return Err(ConfigError::new(
                "MEMORY_ENVIRONMENT",
                format!("{other:?} is not one of development, test, staging, production"),
            ))
        }
    })
}

fn database(
    get: &dyn Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<DatabaseSettings, ConfigError> {
    let database_url = match get("MEMORY_DATABASE_URL") {
        Some(url) => normalise_database_url(&url)?,
        None => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("memory-mesh.db").display()
        ),
    };
    let max_connections = number(get, "MEMORY_DATABASE_MAX_CONNECTIONS", 20u32, 1..=1000)?;
    let read_urls = read_urls(get, &database_url)?;
    Ok(DatabaseSettings {
        url: Redacted::new(database_url),
        max_connections,
        min_connections: number(get, "MEMORY_DATABASE_MIN_CONNECTIONS", 8u32, 1..=1000)?
            .min(max_connections),
        acquire_timeout: Duration::from_millis(number(
            get,
            "MEMORY_DATABASE_ACQUIRE_TIMEOUT_MS",
            2000u64,
            100..=60_000,
        )?),
        hnsw_ef_search: number(get, "MEMORY_DATABASE_HNSW_EF_SEARCH", 400u32, 10..=1000)?,
        read_urls,
        read_after_write: Duration::from_millis(number(
            get,
            "MEMORY_DATABASE_READ_AFTER_WRITE_MS",
            5000u64,
            100..=600_000,
        )?),
    })
}

/// `MEMORY_DATABASE_READ_URLS`: comma-separated PostgreSQL URLs, only beside a PostgreSQL primary.
fn read_urls(
    get: &dyn Fn(&str) -> Option<String>,
    primary: &str,
) -> Result<Vec<Redacted>, ConfigError> {
    const KEY: &str = "MEMORY_DATABASE_READ_URLS";
    let Some(list) = get(KEY) else {
        return Ok(Vec::new());
    };
    let urls: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if !urls.is_empty() && !primary.starts_with("postgres") {
        return Err(ConfigError::new(
            KEY,
            "read replicas need a PostgreSQL MEMORY_DATABASE_URL",
        ));
    }
    urls.into_iter()
        .map(|url| match normalise_database_url(url) {
            Ok(url) if url.starts_with("postgres") => Ok(Redacted::new(url)),
            _ => Err(ConfigError::new(KEY, "each must be a postgres:// URL")),
        })
        .collect()
}

fn redis_url(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Redacted>, ConfigError> {
    Ok(match get("MEMORY_REDIS_URL") {
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Some(Redacted::new(url))
        }
        Some(_) => {
            return Err(ConfigError::new(
                "MEMORY_REDIS_URL",
                "must start with redis:// or rediss://",
            ))
        }
        None => None,
    })
}

fn retention(get: &dyn Fn(&str) -> Option<String>) -> Result<RetentionSettings, ConfigError> {
    Ok(RetentionSettings {
        default_enabled: boolean(get, "MEMORY_RETENTION_DEFAULT_ENABLED", false)?,
        max_age_days: number(get, "MEMORY_RETENTION_MAX_AGE_DAYS", 30u32, 1..=3650)?,
        importance_threshold: fraction(get, "MEMORY_RETENTION_IMPORTANCE_THRESHOLD", 0.35)?,
        min_age_days: number(get, "MEMORY_RETENTION_MIN_AGE_DAYS", 1u32, 0..=3650)?,
        schedule: Duration::from_secs(number(
            get,
            "MEMORY_RETENTION_SCHEDULE_SECONDS",
            86_400u64,
            1..=31_536_000,
        )?),
        delete_after_days: number(get, "MEMORY_RETENTION_DELETE_AFTER_DAYS", 90u32, 1..=3650)?,
    })
}

fn http(get: &dyn Fn(&str) -> Option<String>) -> Result<HttpSettings, ConfigError> {
    Ok(HttpSettings {
        request_timeout: Duration::from_secs(number(
            get,
            "MEMORY_REQUEST_TIMEOUT_SECONDS",
            15u64,
            1..=3600,
        )?),
        header_timeout: Duration::from_secs(number(
            get,
            "MEMORY_HEADER_TIMEOUT_SECONDS",
            30u64,
            1..=3600,
        )?),
        shutdown_timeout: Duration::from_secs(number(
            get,
            "MEMORY_SHUTDOWN_TIMEOUT_SECONDS",
            30u64,
            1..=3600,
        )?),
        max_body_bytes: number(
            get,
            "MEMORY_MAX_BODY_BYTES",
            4 * 1024 * 1024usize,
            1024..=1 << 30,
        )?,
        metrics_public: boolean(get, "MEMORY_METRICS_PUBLIC", true)?,
        hsts: boolean(
            get,
            "MEMORY_HSTS",
            get("MEMORY_TRUSTED_PROXIES").is_some_and(|p| !p.trim().is_empty()),
        )?,
    })
}

fn otlp_endpoint(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    match get("MEMORY_OTLP_ENDPOINT").map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => Ok(Some(v)),
        Some(_) => Err(ConfigError::new(
            "MEMORY_OTLP_ENDPOINT",
            "must be the collector's http:// or https:// URL (OTLP over HTTP, port 4318 usually)",
        )),
    }
}

fn log_format(
    get: &dyn Fn(&str) -> Option<String>,
    environment: Environment,
) -> Result<LogFormat, ConfigError> {
    Ok(match get("MEMORY_LOG_FORMAT").as_deref() {
        None if environment.is_production_like() => LogFormat::Json,
        None | Some("pretty") => LogFormat::Pretty,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(ConfigError::new(
                "MEMORY_LOG_FORMAT",
                format!("{other:?} is not pretty or json"),
            ))
        }
    })
}

fn trusted_proxies(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    get("MEMORY_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse().map_err(|_| {
                ConfigError::new(
                    "MEMORY_TRUSTED_PROXIES",
                    format!("{p:?} is not an IP address"),
                )
            })
        })
        .collect()
}

/// `MEMORY_EMBEDDING_MODE`: whether writes leave embedding to the queue.
fn embedding_mode(get: &dyn Fn(&str) -> Option<String>) -> Result<bool, ConfigError> {
    Ok(match get("MEMORY_EMBEDDING_MODE").as_deref() {
        None | Some("inline") => false,
        Some("async") => true,
        Some(other) => {
            return Err(ConfigError::new(
                "MEMORY_EMBEDDING_MODE",
                format!("{other:?} is not inline or async"),
            ))
        }
    })
}

/// Ranking and importance weights. Each group is normalised by its sum when used, so only the
/// ratios matter, but an all-zero group would make every score 0/0 and is refused.
fn ranking(get: &dyn Fn(&str) -> Option<String>) -> Result<RankingSettings, ConfigError> {
    let d = RankingWeights::default();
    let weights = RankingWeights {
        relevance: weight(get, "MEMORY_RANKING_SIMILARITY_WEIGHT", d.relevance)?,
        importance: weight(get, "MEMORY_RANKING_IMPORTANCE_WEIGHT", d.importance)?,
        recency: weight(get, "MEMORY_RANKING_RECENCY_WEIGHT", d.recency)?,
        half_life_hours: number(
            get,
            "MEMORY_RANKING_HALF_LIFE_HOURS",
            d.half_life_hours,
            crate::domain::ranking::HALF_LIFE_HOURS_RANGE,
        )?,
    };
    if !weights.weighs_something() {
        return Err(ConfigError::new(
            "MEMORY_RANKING_SIMILARITY_WEIGHT",
            "the three MEMORY_RANKING_*_WEIGHT settings must not all be 0",
        ));
    }
    let d = ImportanceWeights::default();
    let importance = ImportanceWeights {
        recency: weight(get, "MEMORY_IMPORTANCE_RECENCY_WEIGHT", d.recency)?,
        role: weight(get, "MEMORY_IMPORTANCE_ROLE_WEIGHT", d.role)?,
        explicit: weight(get, "MEMORY_IMPORTANCE_EXPLICIT_WEIGHT", d.explicit)?,
    };
    if importance.recency + importance.role + importance.explicit <= 0.0 {
        return Err(ConfigError::new(
            "MEMORY_IMPORTANCE_RECENCY_WEIGHT",
            "the three MEMORY_IMPORTANCE_*_WEIGHT settings must not all be 0",
        ));
    }
    Ok(RankingSettings {
        weights,
        importance,
    })
}

fn origins(
    get: &dyn Fn(&str) -> Option<String>,
    environment: Environment,
) -> Result<Vec<String>, ConfigError> {
    const KEY: &str = "MEMORY_ALLOWED_ORIGINS";
    let origins: Vec<String> = get(KEY)
        .unwrap_or_default()
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    for origin in &origins {
        if origin == "*" {
            if environment.is_production_like() {
                return Err(ConfigError::new(
                    KEY,
                    "a wildcard origin is refused in production: list the dashboard origins",
                ));
            }
        } else if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(ConfigError::new(
                KEY,
                format!("{origin:?} is not an origin such as https://app.example.com"),
            ));
        }
    }
    Ok(origins)
}

fn embedding(
    get: &dyn Fn(&str) -> Option<String>,
    environment: Environment,
) -> Result<EmbeddingSettings, ConfigError> {
    const KEY: &str = "MEMORY_EMBEDDING_PROVIDER";
    let provider = match get(KEY).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("local") => EmbeddingProviderKind::Local,
        Some("openai") => EmbeddingProviderKind::OpenAi,
        Some("gemini" | "google_gemini") => EmbeddingProviderKind::Gemini,
        Some("ollama") => EmbeddingProviderKind::Ollama,
        Some("fake") if environment.is_production_like() => {
            return Err(ConfigError::new(KEY, "the fake provider is for tests only"))
        }
        Some("fake") => EmbeddingProviderKind::Fake,
        Some(other) => {
            return Err(ConfigError::new(
                KEY,
                format!("{other:?} is not one of local, openai, gemini, ollama, fake"),
            ))
        }
    };
    Ok(EmbeddingSettings {
        provider,
        dimensions: number(
            get,
            "MEMORY_EMBEDDING_DIMENSIONS",
            migration::sql::DEFAULT_EMBEDDING_DIMENSIONS as usize,
            1..=16_000,
        )?,
        model_dir: get("MEMORY_EMBEDDING_MODEL_DIR").map(PathBuf::from),
        base_url: get("MEMORY_EMBEDDING_BASE_URL"),
        model: get("MEMORY_EMBEDDING_MODEL"),
        // The original's provider-specific names are accepted too.
        api_key: get("MEMORY_EMBEDDING_API_KEY")
            .or_else(|| match provider {
                EmbeddingProviderKind::OpenAi => get("MEMORY_OPENAI_API_KEY"),
                EmbeddingProviderKind::Gemini => get("MEMORY_GEMINI_API_KEY"),
                _ => None,
            })
            .map(SecretString::from),
    })
}
