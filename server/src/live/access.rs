//! Changes to who may do what, told to this instance's live connections the moment they are
//! committed: a connection whose user or tenant a change names checks its credential again at
//! once, instead of at its next periodic re-check. The check itself decides (the same one the
//! periodic re-check runs), so a notice can only make a connection close sooner, never keep one
//! open that should close. On PostgreSQL the change also travels to the other instances, as a
//! notification committed with it ([`super::pump::ACCESS_CHANNEL`]).

use tokio::sync::broadcast;
use uuid::Uuid;

/// Whose access a committed change may have narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// A user's sessions, password, keys or memberships.
    User(Uuid),
    /// A tenant and everyone in it (the tenant was deleted).
    Tenant(String),
}

impl AccessChange {
    /// The change as the text other instances receive it ([`super::pump::ACCESS_CHANNEL`]).
    pub fn to_notice(&self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Tenant(id) => format!("tenant:{id}"),
        }
    }

    /// Reads [`Self::to_notice`]'s text; `None` for anything else.
    pub fn from_notice(notice: &str) -> Option<Self> {
        match notice.split_once(':')? {
            ("user", id) => id.parse().ok().map(Self::User),
            ("tenant", id) => Some(Self::Tenant(id.to_owned())),
            _ => None,
        }
    }

    /// Whether a connection of `user` watching `tenant` must check its credential again.
    pub fn concerns(&self, user: Uuid, tenant: &str) -> bool {
        match self {
            Self::User(u) => *u == user,
            Self::Tenant(t) => t == tenant,
        }
    }
}

/// The channel the notices travel on; a connection that falls behind it re-checks anyway.
pub struct AccessChanges(broadcast::Sender<AccessChange>);

impl AccessChanges {
    pub fn new() -> Self {
        Self(broadcast::channel(256).0)
    }

    /// Tells every connection here (nobody listening is not an error).
    pub fn announce(&self, changes: impl IntoIterator<Item = AccessChange>) {
        for change in changes {
            let _ = self.0.send(change);
        }
    }

    pub fn listen(&self) -> broadcast::Receiver<AccessChange> {
        self.0.subscribe()
    }
}

impl Default for AccessChanges {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_concerns_its_user_or_its_tenant_only() {
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(AccessChange::User(alice).concerns(alice, "acme"));
        assert!(!AccessChange::User(alice).concerns(bob, "acme"));
        assert!(AccessChange::Tenant("acme".into()).concerns(bob, "acme"));
        assert!(!AccessChange::Tenant("acme".into()).concerns(bob, "acme-2"));
    }

    #[test]
    fn a_notice_reads_back_as_its_change() {
        for change in [
            AccessChange::User(Uuid::now_v7()),
            AccessChange::Tenant("acme:eu".into()),
        ] {
            assert_eq!(AccessChange::from_notice(&change.to_notice()), Some(change));
        }
        assert_eq!(AccessChange::from_notice("group:x"), None);
        assert_eq!(AccessChange::from_notice("user:not-a-uuid"), None);
    }

    #[tokio::test]
    async fn listeners_hear_every_announcement_in_order() {
        let changes = AccessChanges::new();
        let mut rx = changes.listen();
        let alice = Uuid::now_v7();
        changes.announce([AccessChange::User(alice), AccessChange::Tenant("t".into())]);
        assert_eq!(rx.recv().await.unwrap(), AccessChange::User(alice));
        assert_eq!(rx.recv().await.unwrap(), AccessChange::Tenant("t".into()));
    }
}
