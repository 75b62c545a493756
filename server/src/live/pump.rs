//! The loop that reads committed events in order and publishes them to the [`Hub`], and the
//! PostgreSQL listener that wakes it for commits made by other instances (and hands their
//! changes to who may do what to this instance's connections, and their tenants' reads to
//! the primary while read replicas may lag). Wake-ups only start a read while someone on this
//! instance listens. (The service's upkeep prunes the table:
//! [`crate::service::events::prune`].)

use std::{sync::Arc, time::Duration};

use sea_orm::{sqlx::postgres::PgListener, DatabaseConnection, DbBackend};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{access::AccessChange, Hub};
use crate::store::{events::Reader, replicas::Replicas};

/// How often the table is read without a wake-up (a lost notification costs at most this).
const FALLBACK: Duration = Duration::from_secs(1);
/// How soon to read again while PostgreSQL transactions in progress hold events back.
const HELD: Duration = Duration::from_millis(5);
/// The PostgreSQL channel the `events` table's trigger notifies.
pub const CHANNEL: &str = "memory_events";
/// The PostgreSQL channel a committed change to who may do what is announced on
/// ([`super::access::AccessChange::to_notice`]): every instance's connections it concerns check
/// their credential again at once.
pub const ACCESS_CHANNEL: &str = "memory_access";

/// Starts the pump (and on PostgreSQL its listener) on `tracker`, until `token` is cancelled.
/// A notification names the tenant that changed: its reads go to the primary on this instance
/// too ([`Replicas::wrote`]), wherever the change was made.
pub fn spawn(
    db: DatabaseConnection,
    postgres_url: Option<String>,
    hub: Arc<Hub>,
    replicas: Arc<Replicas>,
    token: &CancellationToken,
    tracker: &TaskTracker,
) {
    if let (Some(url), DbBackend::Postgres) = (postgres_url, db.get_database_backend()) {
        tracker.spawn(listen(url, hub.clone(), replicas, token.clone()));
    }
    tracker.spawn(run(db, hub, token.clone()));
}

async fn run(db: DatabaseConnection, hub: Arc<Hub>, token: CancellationToken) {
    let mut reader = loop {
        match Reader::start(&db).await {
            Ok(reader) => break reader,
            Err(e) => {
                tracing::warn!(error = %e, "cannot start reading events; retrying");
                tokio::select! {
                    () = token.cancelled() => return,
                    () = tokio::time::sleep(FALLBACK) => {}
                }
            }
        }
    };
    hub.start_at(reader.position());
    loop {
        let pause = match reader.next(&db).await {
            Ok(read) => {
                let (more, held) = (read.more, read.held);
                hub.publish(reader.position(), read.events);
                hub.round();
                if more {
                    continue;
                }
                if held && hub.is_wanted() {
                    HELD
                } else {
                    FALLBACK
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading events failed; retrying");
                hub.round();
                FALLBACK
            }
        };
        // With nobody listening on this instance, wake-ups are ignored and the table is read
        // once a `FALLBACK`: a write then costs no read at all (a subscriber's arrival wakes
        // the pump through `Hub::reach`).
        let until = tokio::time::Instant::now() + pause;
        loop {
            tokio::select! {
                () = token.cancelled() => return,
                () = hub.wake.notified() => if hub.is_wanted() { break },
                () = tokio::time::sleep_until(until) => break,
            }
        }
    }
}

/// Wakes the pump on every notification of [`CHANNEL`]; reconnects after a lost connection
/// (and wakes the pump then too: notifications sent meanwhile are lost, the table is not).
async fn listen(url: String, hub: Arc<Hub>, replicas: Arc<Replicas>, token: CancellationToken) {
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            Err(e) = listen_once(&url, &hub, &replicas) => {
                tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
            }
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(FALLBACK) => {}
        }
    }
}

async fn listen_once(
    url: &str,
    hub: &Hub,
    replicas: &Replicas,
) -> Result<std::convert::Infallible, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([CHANNEL, ACCESS_CHANNEL]).await?;
    hub.wake();
    loop {
        let notification = listener.recv().await?;
        if notification.channel() == ACCESS_CHANNEL {
            let change = AccessChange::from_notice(notification.payload());
            hub.access.announce(change);
        } else {
            // The payload is the tenant (empty from an instance of an earlier release).
            let tenant = notification.payload();
            if !tenant.is_empty() {
                replicas.wrote([tenant]);
            }
            hub.wake();
        }
    }
}
