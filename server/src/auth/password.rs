//! Password hashing with argon2id, always off the async workers (a hash takes tens of
//! milliseconds of CPU; on the runtime it would stall every other request on that worker).

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::telemetry::spawn_blocking_with_tracing;

/// Hashes a password into a PHC string (`$argon2id$v=19$…`), with a fresh random salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    spawn_blocking_with_tracing(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Checks `password` against a stored hash. With `None` (unknown user) a dummy hash is checked
/// so that the answer takes as long as for a real account and does not reveal which exist.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    spawn_blocking_with_tracing(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash().to_owned(), false),
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && real
    })
    .await
    .map_err(Into::into)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"memory-mesh timing equaliser")
            .expect("hashing a constant cannot fail")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let h = super::hash("SecurePass123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("SecurePass123".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!super::verify("SecurePass124".into(), Some(h))
            .await
            .unwrap());
        assert!(!super::verify("SecurePass123".into(), None).await.unwrap());
    }
}
