//! Read replicas (PostgreSQL): `MEMORY_DATABASE_READ_URLS` names servers that replay the
//! primary's changes (streaming replication). A tenant's searches and listings read from one of
//! them, in turn; every write, and every read of a tenant that changed lately, goes to the
//! primary.
//!
//! - **Read-your-writes.** A change committed through this instance pins its tenant to the
//!   primary for `MEMORY_DATABASE_READ_AFTER_WRITE_MS` ([`Replicas::wrote`]); a change
//!   committed through another pins it once its notification arrives
//!   (the event pump listens for it).
//! - **Bounded lag.** A replica serves reads only while it is *current*: every quarter of that
//!   time [`Replicas::probe`] reads the primary's WAL position, and a replica is current when it
//!   has replayed the position read by the probe before. So a replica in use is at most two
//!   probe intervals (half the pin) behind, and a pinned tenant's change is on it before the pin
//!   ends.
//! - **Failure.** A replica that does not answer a probe (down, unreachable, too slow) is left
//!   out until it answers again; with none current every read goes to the primary. The pools
//!   connect lazily, so a replica that is down at start-up does not stop the instance.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::config::DatabaseSettings;

/// How many pins are kept before the expired ones are swept out.
const SWEEP_AT: usize = 4096;

struct Replica {
    db: DatabaseConnection,
    /// For logs: the URL without its password.
    name: String,
    current: AtomicBool,
}

/// The read replicas and the tenants pinned to the primary; empty without any configured.
pub struct Replicas {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    pinned: Mutex<HashMap<String, Instant>>,
    pin: Duration,
}

impl Replicas {
    /// Opens a lazily connecting pool per URL in `settings.read_urls` (none: no replicas).
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let mut replicas = Vec::with_capacity(settings.read_urls.len());
        for url in &settings.read_urls {
            replicas.push(Replica {
                db: super::connect_replica(settings, url).await?,
                name: url.to_string(),
                current: AtomicBool::new(false),
            });
        }
        Ok(Self {
            replicas,
            next: AtomicUsize::new(0),
            pinned: Mutex::default(),
            pin: settings.read_after_write,
        })
    }

    /// Whether any replica is configured.
    pub fn configured(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// How often [`Self::probe`] should run.
    pub fn probe_interval(&self) -> Duration {
        self.pin / 4
    }

    /// `(current, configured)` replicas.
    pub fn counts(&self) -> (usize, usize) {
        let current = self
            .replicas
            .iter()
            .filter(|r| r.current.load(Ordering::Relaxed))
            .count();
        (current, self.replicas.len())
    }

    /// The replica a read of `tenant` may use: the next current one, unless the tenant changed
    /// within the pin or none is current.
    pub fn for_read(&self, tenant: &str) -> Option<&DatabaseConnection> {
        if self.replicas.is_empty() || self.is_pinned(tenant) {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..self.replicas.len())
            .map(|i| &self.replicas[(start + i) % self.replicas.len()])
            .find(|r| r.current.load(Ordering::Relaxed))
            .map(|r| &r.db)
    }

    /// `tenant` changed (its change is committed): its reads go to the primary for the pin.
    pub fn wrote<'a>(&self, tenants: impl IntoIterator<Item = &'a str>) {
        if self.replicas.is_empty() {
            return;
        }
        let until = Instant::now() + self.pin;
        let mut pinned = self.pinned.lock().expect("pins");
        if pinned.len() >= SWEEP_AT {
            let now = Instant::now();
            pinned.retain(|_, until| *until > now);
        }
        for tenant in tenants {
            pinned.insert(tenant.to_owned(), until);
        }
    }

    fn is_pinned(&self, tenant: &str) -> bool {
        let pinned = self.pinned.lock().expect("pins");
        pinned
            .get(tenant)
            .is_some_and(|until| *until > Instant::now())
    }

    /// One probe: marks each replica current when it has replayed `previous` (the primary's
    /// WAL position at the previous probe; `None` at the first, when none is current yet), and
    /// returns the primary's position now for the next probe.
    pub async fn probe(
        &self,
        primary: &DatabaseConnection,
        previous: Option<&str>,
    ) -> Option<String> {
        let timeout = self.probe_interval();
        for replica in &self.replicas {
            let current = match previous {
                Some(lsn) => tokio::time::timeout(timeout, caught_up(&replica.db, lsn))
                    .await
                    .unwrap_or(Ok(false))
                    .unwrap_or_else(|e| {
                        tracing::debug!(replica = %replica.name, error = %e, "replica probe failed");
                        false
                    }),
                None => false,
            };
            let was = replica.current.swap(current, Ordering::Relaxed);
            if was != current {
                tracing::warn!(replica = %replica.name, current, "read replica changed state");
            }
        }
        let position = primary
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_current_wal_lsn()::text AS lsn",
            ))
            .await;
        match position {
            Ok(Some(row)) => row.try_get::<String>("", "lsn").ok(),
            _ => None,
        }
    }
}

/// Whether `replica` has replayed the primary's WAL up to `lsn` (a server that is not in
/// recovery replays nothing: it is the primary itself, or a copy kept current otherwise).
async fn caught_up(replica: &DatabaseConnection, lsn: &str) -> Result<bool, sea_orm::DbErr> {
    let row = replica
        .query_one_raw(crate::store::statement(
            DbBackend::Postgres,
            "SELECT (NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= $1::pg_lsn) AS ok",
            [lsn.into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<bool>("", "ok").ok()) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(count: usize, pin: Duration) -> Replicas {
        Replicas {
            replicas: (0..count)
                .map(|n| Replica {
                    db: DatabaseConnection::default(),
                    name: format!("replica {n}"),
                    current: AtomicBool::new(true),
                })
                .collect(),
            next: AtomicUsize::new(0),
            pinned: Mutex::default(),
            pin,
        }
    }

    #[test]
    fn reads_go_to_current_replicas_unless_the_tenant_just_wrote() {
        let r = replicas(2, Duration::from_secs(60));
        assert!(r.for_read("alice").is_some());
        r.wrote(["alice"]);
        assert!(r.for_read("alice").is_none(), "pinned to the primary");
        assert!(r.for_read("bob").is_some(), "other tenants are not");
        r.replicas[0].current.store(false, Ordering::Relaxed);
        assert_eq!(r.counts(), (1, 2));
        for _ in 0..4 {
            assert!(std::ptr::eq(r.for_read("bob").unwrap(), &r.replicas[1].db));
        }
        r.replicas[1].current.store(false, Ordering::Relaxed);
        assert!(r.for_read("bob").is_none(), "none current: the primary");
    }

    #[test]
    fn a_pin_ends_and_expired_pins_are_swept() {
        let r = replicas(1, Duration::ZERO);
        r.wrote(["alice"]);
        assert!(r.for_read("alice").is_some(), "a zero pin has ended");
        let names: Vec<String> = (0..SWEEP_AT).map(|n| format!("t{n}")).collect();
        r.wrote(names.iter().map(String::as_str));
        r.wrote(["bob"]);
        assert_eq!(r.pinned.lock().unwrap().len(), 1);
        assert_eq!(
            replicas(0, Duration::from_secs(4)).probe_interval(),
            Duration::from_secs(1)
        );
    }
}
