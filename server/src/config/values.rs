//! The value forms settings take — numbers in a range, fractions, booleans, rates, database
//! URLs — each error naming its variable; and URL redaction for logs.

use std::time::Duration;

use super::ConfigError;

/// A request budget such as `200/minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// Accepts `N/second|minute|hour|day` (plural and `sec`/`min` forms too), as the original did.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (count, unit) = s
            .split_once('/')
            .ok_or_else(|| format!("expected N/unit such as 200/minute, got {s:?}"))?;
        let limit: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("{count:?} is not a whole number"))?;
        if limit == 0 {
            return Err("the limit must be at least 1".into());
        }
        let secs = match unit.trim().to_ascii_lowercase().trim_end_matches('s') {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            "hour" => 3600,
            "day" => 86_400,
            other => {
                return Err(format!(
                    "unknown unit {other:?} (second, minute, hour, day)"
                ))
            }
        };
        Ok(Self {
            limit,
            window: Duration::from_secs(secs),
        })
    }
}

pub(super) fn number<T>(
    get: &dyn Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(key) else {
        return Ok(default);
    };
    let value: T = raw
        .parse()
        .map_err(|_| ConfigError::new(key, format!("{raw:?} is not a number")))?;
    if !range.contains(&value) {
        return Err(ConfigError::new(
            key,
            format!("{value} is outside {}..={}", range.start(), range.end()),
        ));
    }
    Ok(value)
}

pub(super) fn fraction(
    get: &dyn Fn(&str) -> Option<String>,
    key: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    let value = number(get, key, default, 0.0..=1.0)?;
    if value.is_nan() {
        return Err(ConfigError::new(key, "must be between 0 and 1"));
    }
    Ok(value)
}

/// A non-negative, finite weight.
pub(super) fn weight(
    get: &dyn Fn(&str) -> Option<String>,
    key: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    // NaN fails the range check too.
    number(get, key, default, crate::domain::ranking::WEIGHT_RANGE)
}

pub(super) fn boolean(
    get: &dyn Fn(&str) -> Option<String>,
    key: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(key).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::new(
            key,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// Accepts the URL styles of the original's docs (`postgresql+asyncpg://`, `sqlite+aiosqlite:///`).
pub(super) fn normalise_database_url(url: &str) -> Result<String, ConfigError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        ConfigError::new("MEMORY_DATABASE_URL", "expected postgres://… or sqlite://…")
    })?;
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgres" | "postgresql" => Ok(format!("postgres://{rest}")),
        "sqlite" => {
            // SQLAlchemy URLs (`sqlite+aiosqlite:///rel.db`, `…:////abs.db`) have one more slash
            // than sqlx's (`sqlite://rel.db`, `sqlite:///abs.db`).
            let path = match scheme.contains('+') {
                true => rest.strip_prefix('/').unwrap_or(rest),
                false => rest,
            };
            if path.contains("mode=") {
                Ok(format!("sqlite://{path}"))
            } else {
                let sep = if path.contains('?') { '&' } else { '?' };
                Ok(format!("sqlite://{path}{sep}mode=rwc"))
            }
        }
        other => Err(ConfigError::new(
            "MEMORY_DATABASE_URL",
            format!("unsupported scheme {other:?}: use postgres:// or sqlite://"),
        )),
    }
}

/// `scheme://user:password@host` → `scheme://user:***@host`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}
