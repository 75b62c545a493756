//! API keys: `mm_<prefix>_<secret>`. The prefix (12 hex characters) is stored in clear with a
//! unique index, so a request finds its key in one lookup; the secret (256 random bits) is
//! stored as a SHA-256 hash and compared in constant time.

/// A freshly generated key: shown once to its creator, never stored.
pub struct GeneratedKey {
    pub full: String,
    pub prefix: String,
    pub hash: String,
}

pub fn generate() -> GeneratedKey {
    let prefix = super::random_hex(6);
    let secret = super::random_hex(32);
    GeneratedKey {
        full: format!("mm_{prefix}_{secret}"),
        hash: super::sha256_hex(&secret),
        prefix,
    }
}

/// Splits a presented key into `(prefix, secret)`.
pub fn parse(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix("mm_")?;
    let (prefix, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(prefix, 12) && hex(secret, 64)).then_some((prefix, secret))
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_keys_parse_back_to_their_parts() {
        let key = super::generate();
        let (prefix, secret) = super::parse(&key.full).unwrap();
        assert_eq!(prefix, key.prefix);
        assert_eq!(super::super::sha256_hex(secret), key.hash);
        assert!(super::parse("mm_short_key").is_none());
        assert!(super::parse(&key.full.replace("mm_", "xx_")).is_none());
    }
}
