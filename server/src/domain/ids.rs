//! Validated identifiers. Each `parse` fails with an [`Invalid`] naming its field, fit for a
//! 422 response.

use std::fmt;

use super::Invalid;

/// The longest tenant id, in characters.
pub const MAX_TENANT_ID_CHARS: usize = 64;
/// The longest conversation id, in characters.
pub const MAX_CONVERSATION_ID_CHARS: usize = 128;
/// The characters an identifier (tenant, conversation, metadata key) may hold, as the
/// OpenAPI document states them.
pub const ID_PATTERN: &str = "^[A-Za-z0-9_.-]+$";
/// A username's length bounds, in characters…
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=64;
/// …and the characters it may hold.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9_]+$";
/// An email address as [`Email::parse`] takes it: one `@`, no spaces, a dotted domain that
/// neither starts nor ends with a dot (the document's statement of that rule).
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]$";
/// The longest email address, in characters.
pub const MAX_EMAIL_CHARS: usize = 255;
/// A server-made id (message, run, rule, key, session, user): a hyphenated UUID.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// A password's length bounds, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;
/// A letter and a digit, in either order, as the document states [`check_password_policy`]
/// (with ASCII letters; the policy takes any alphabetic character).
pub const PASSWORD_PATTERN: &str = "^.*([A-Za-z].*[0-9]|[0-9].*[A-Za-z]).*$";

/// A tenant id: 1–[`MAX_TENANT_ID_CHARS`] of `A-Z a-z 0-9 _ . -` (the original's rule, §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::parse_as(raw, "tenant_id")
    }

    /// [`TenantId::parse`] reporting a broken rule as `field` (`id` in `POST /v1/tenants`).
    pub fn parse_as(raw: &str, field: &str) -> Result<Self, Invalid> {
        parse_id(raw, MAX_TENANT_ID_CHARS, field).map(Self)
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shared rule of tenant and conversation ids (and metadata keys): 1..=max characters from
/// `[A-Za-z0-9_.-]`, reported as `field` when broken.
pub fn parse_id(raw: &str, max: usize, field: &str) -> Result<String, Invalid> {
    if raw.is_empty() || raw.len() > max {
        return Err(Invalid::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(Invalid::new(
            field,
            "may contain only letters, digits, '_', '.' and '-'",
        ));
    }
    Ok(raw.to_owned())
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest display name (of a tenant, an API key), in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 255;

/// A display name: trimmed, 1..=[`MAX_DISPLAY_NAME_CHARS`] characters, reported as `field`.
pub fn display_name(raw: &str, field: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(Invalid::new(
            field,
            format!("must be 1 to {MAX_DISPLAY_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// A username: `^[A-Za-z0-9_]{3,64}$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = USERNAME_CHARS.contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "username",
                format!(
                    "must be {} to {} letters, digits or '_'",
                    USERNAME_CHARS.start(),
                    USERNAME_CHARS.end()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, stored lower-cased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A pragmatic check (one `@`, a dotted domain, no spaces, ≤ 255); deliverability is not our
    /// business, but obviously malformed input is rejected early.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let valid = raw.chars().count() <= MAX_EMAIL_CHARS
            && !raw.chars().any(char::is_whitespace)
            && match raw.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(raw.to_lowercase()))
        } else {
            Err(Invalid::new("email", "is not a valid email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Password policy: 8–128 characters with at least one letter and one digit; a broken rule is
/// reported as `field` (`password`, `new_password`).
pub fn check_password_policy(password: &str, field: &str) -> Result<(), Invalid> {
    let len = password.chars().count();
    if !PASSWORD_CHARS.contains(&len) {
        let (min, max) = (PASSWORD_CHARS.start(), PASSWORD_CHARS.end());
        return Err(Invalid::new(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            field,
            "must contain at least one letter and one digit",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_originals_character_rule() {
        assert!(TenantId::parse("acme_co.prod-1").is_ok());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse(&"a".repeat(65)).is_err());
        assert!(TenantId::parse("a b").is_err());
        assert!(TenantId::parse("é").is_err());
        assert!(parse_id(&"c".repeat(128), 128, "conversation_id").is_ok());
        assert_eq!(TenantId::parse("a b").unwrap_err().field, "tenant_id");
    }

    #[test]
    fn usernames_are_3_to_64_word_characters() {
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("alice_01").is_ok());
        assert!(Username::parse("alice-01").is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "alice", "a@b", "a@@b.c", "a b@c.d", "@c.d", "a@.cd", "a@cd.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_a_letter_and_a_digit() {
        assert!(check_password_policy("short1", "password").is_err());
        assert!(check_password_policy("longenough", "password").is_err());
        assert!(check_password_policy("12345678", "password").is_err());
        assert!(check_password_policy("SecurePass123", "password").is_ok());
        assert!(check_password_policy(&format!("a1{}", "x".repeat(127)), "password").is_err());
    }
}
