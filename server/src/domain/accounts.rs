//! Who may do what in a tenant: a member's [`MemberRole`] and an API key's [`KeyScope`], each
//! persisted as its `as_str` text.

use super::Invalid;

/// A user's role in one tenant, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    /// Manages members, keys and retention, and reads and writes memory.
    Admin,
    /// Reads and writes memory.
    Member,
    /// Reads memory only.
    ReadOnly,
}

impl MemberRole {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            "read_only" => Ok(Self::ReadOnly),
            _ => Err(Invalid::new("role", "must be admin, member or read_only")),
        }
    }

    /// A stored role; an unknown text (only possible through hand edits) grants least.
    pub fn from_stored(raw: &str) -> Self {
        Self::parse(raw).unwrap_or(Self::ReadOnly)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
            Self::ReadOnly => "read_only",
        }
    }

    pub fn may_write(self) -> bool {
        self != Self::ReadOnly
    }
}

/// What an API key may do in its tenant. Keys never administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    Read,
    Write,
}

impl KeyScope {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            _ => Err(Invalid::new("scope", "must be read or write")),
        }
    }

    /// A stored scope; an unknown text grants least.
    pub fn from_stored(raw: &str) -> Self {
        Self::parse(raw).unwrap_or(Self::Read)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_round_trip_through_their_stored_text() {
        for role in [MemberRole::Admin, MemberRole::Member, MemberRole::ReadOnly] {
            assert_eq!(MemberRole::parse(role.as_str()), Ok(role));
        }
        for scope in [KeyScope::Read, KeyScope::Write] {
            assert_eq!(KeyScope::parse(scope.as_str()), Ok(scope));
        }
        assert_eq!(MemberRole::parse("owner").unwrap_err().field, "role");
        assert_eq!(MemberRole::from_stored("owner"), MemberRole::ReadOnly);
        assert_eq!(KeyScope::from_stored("all"), KeyScope::Read);
    }
}
