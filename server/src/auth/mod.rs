//! Credentials and their cryptography. Who a credential stands for, and what it may do, is
//! decided in `service::caller`.
//!
//! - [`password`]: argon2id hashing on the blocking pool.
//! - [`tokens`]: access JWTs and rotating refresh tokens.
//! - [`api_keys`]: `mm_…` key generation and parsing.

pub mod api_keys;
pub mod password;
pub mod tokens;

use sha2::{Digest, Sha256};

/// Hex SHA-256, for high-entropy secrets (refresh tokens, API keys) that need no slow hash.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// `n` random bytes from the OS generator, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    hex::encode(bytes)
}

/// Compares two secrets in constant time.
pub fn secrets_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
