//! The credentials' settings: the JWT secret (refused in production when missing, short or a
//! known placeholder; generated once into the data directory otherwise) and token lifetimes.

use std::time::Duration;

use secrecy::SecretString;

use super::{values::number, *};

/// Placeholder secrets from documentation and the original's examples: never acceptable in production.
const KNOWN_PLACEHOLDER_SECRETS: &[&str] = &[
    "your-secure-random-key-here",
    "change-me",
    "changeme",
    "secret",
    "dev-secret",
];

pub(super) fn auth(
    get: &dyn Fn(&str) -> Option<String>,
    environment: Environment,
    data_dir: &std::path::Path,
) -> Result<AuthSettings, ConfigError> {
    const KEY: &str = "MEMORY_JWT_SECRET_KEY";
    let (secret, generated) = match get(KEY) {
        Some(s) => (s, false),
        None if environment.is_production_like() => {
            return Err(ConfigError::new(
                KEY,
                "must be set in production (at least 32 random characters)",
            ))
        }
        None => (
            local_secret(data_dir).map_err(|m| ConfigError::new(KEY, m))?,
            true,
        ),
    };
    if environment.is_production_like()
        && (secret.len() < MIN_PRODUCTION_SECRET_LEN
            || KNOWN_PLACEHOLDER_SECRETS.contains(&secret.to_ascii_lowercase().as_str()))
    {
        return Err(ConfigError::new(
            KEY,
            format!(
                "too weak for production: use at least {MIN_PRODUCTION_SECRET_LEN} random characters"
            ),
        ));
    }
    Ok(AuthSettings {
        jwt_secret: SecretString::from(secret),
        jwt_secret_generated: generated,
        access_token_ttl: Duration::from_secs(
            60 * number(get, "MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES", 30u64, 1..=1440)?,
        ),
        refresh_token_ttl: Duration::from_secs(
            86_400 * number(get, "MEMORY_REFRESH_TOKEN_EXPIRE_DAYS", 7u64, 1..=365)?,
        ),
    })
}

/// Outside production an unset JWT secret is generated once into the data directory, so the
/// embedded mode needs no configuration and its tokens still survive restarts.
fn local_secret(data_dir: &std::path::Path) -> Result<String, String> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= MIN_PRODUCTION_SECRET_LEN {
            return Ok(existing.trim().to_owned());
        }
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    write_private(&path, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret)
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
