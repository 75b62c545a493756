//! Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque, rotating).
//!
//! An access token names its login session (`sid`); every request checks that the session is
//! still active, which is what makes logout and password changes take effect at once.
//! A refresh token is `mmr.<session>.<generation>.<secret>`; the session stores the hash of the
//! current one. Presenting an older generation is a replay (a stolen token used after the real
//! client refreshed, or the other way round), so the whole session is revoked.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The login session id.
    pub sid: Uuid,
    /// Always `"access"`; anything else is refused, so no other token can pass for one.
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs an access token for `user` in `session`, valid for `ttl`.
pub fn issue_access(secret: &SecretString, user: Uuid, session: Uuid, ttl: Duration) -> String {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user,
        sid: session,
        typ: "access".into(),
        iat: now,
        exp: now + ttl.as_secs() as i64,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

/// Verifies signature, algorithm (HS256 only: `alg: none` and others are refused), expiry and type.
pub fn verify_access(secret: &SecretString, token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        &validation,
    )
    .ok()?;
    (data.claims.typ == "access").then_some(data.claims)
}

/// A parsed refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub session: Uuid,
    pub generation: i32,
    pub secret: String,
}

impl RefreshToken {
    pub fn new(session: Uuid, generation: i32) -> Self {
        Self {
            session,
            generation,
            secret: super::random_hex(32),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('.');
        let (Some("mmr"), Some(session), Some(generation), Some(secret), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        Some(Self {
            session: Uuid::parse_str(session).ok()?,
            generation: generation.parse().ok()?,
            secret: secret.to_owned(),
        })
    }

    /// The hash stored for this token.
    pub fn hash(&self) -> String {
        super::sha256_hex(&self.to_string())
    }
}

impl std::fmt::Display for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mmr.{}.{}.{}",
            self.session.simple(),
            self.generation,
            self.secret
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn access_tokens_verify_only_with_their_key() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = issue_access(&secret("k1"), user, session, Duration::from_secs(60));
        let claims = verify_access(&secret("k1"), &token).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));
        assert!(verify_access(&secret("k2"), &token).is_none());
    }

    #[test]
    fn refresh_tokens_round_trip_and_reject_garbage() {
        let t = RefreshToken::new(Uuid::new_v4(), 3);
        assert_eq!(RefreshToken::parse(&t.to_string()), Some(t.clone()));
        for bad in ["", "mmr.x.1.y", "mmr.a.b.c.d", "jwt.header.payload"] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
    }
}
