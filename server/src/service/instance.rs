//! A whole installation as JSON lines (docs/export.md): its accounts — users with their
//! password hashes, memberships, API keys with their keys' hashes — around every tenant's
//! export, for moving an installation to another database. Only the command line writes and
//! reads it: no HTTP answer ever carries those hashes.
//!
//! Order: `instance`, each `user`, each tenant's records exactly as a tenant export has them
//! (`export` … `end`), each `membership`, each `api_key`, then `instance_end` with the counts.
//! An import keeps every id, stores nothing twice, and skips (and counts) a user whose email
//! or username another user holds here, with that user's memberships and keys.

use app::wire::export::{ExportRecord, EXPORT_FORMAT};
use chrono::Utc;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use super::{
    export::{self, Options, Sink},
    import::{one_row, ImportReport, Importer},
    Result, ServiceError, Services,
};
use crate::store::{
    self,
    entities::{api_keys, memberships, users},
};

/// The records an instance export adds around its tenants' records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountRecord {
    /// The first line.
    Instance(InstanceHeader),
    User(users::Model),
    Membership(memberships::Model),
    ApiKey(api_keys::Model),
    /// The last line: an export without it was cut short.
    InstanceEnd(InstanceCounts),
}

impl AccountRecord {
    /// The kinds of these records (every other kind is a tenant's).
    pub const KINDS: [&'static str; 5] =
        ["instance", "user", "membership", "api_key", "instance_end"];
}

/// One line of an instance export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceLine {
    Account(AccountRecord),
    Tenant(ExportRecord),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceHeader {
    pub format: u32,
    pub exported_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceCounts {
    pub users: u64,
    pub tenants: u64,
    pub memberships: u64,
    pub api_keys: u64,
}

/// Every account and tenant of the instance, as [`InstanceLine`]s.
pub fn records(
    svc: &Services,
    options: Options,
) -> impl Stream<Item = Result<InstanceLine>> + Send + 'static {
    export::streamed(svc, move |svc, sink| async move {
        walk(&svc, options, &sink).await
    })
}

async fn walk(svc: &Services, options: Options, sink: &Sink<InstanceLine>) -> Result<()> {
    let send = |line: InstanceLine| sink.send(line);
    let account = |record: AccountRecord| send(InstanceLine::Account(record));
    let mut counts = InstanceCounts::default();
    account(AccountRecord::Instance(InstanceHeader {
        format: EXPORT_FORMAT,
        exported_at: Utc::now().to_rfc3339(),
    }))
    .await?;
    for user in store::accounts::all_users(&svc.db).await? {
        counts.users += 1;
        account(AccountRecord::User(user)).await?;
    }
    for tenant in store::tenants::all_ids(&svc.db).await? {
        counts.tenants += 1;
        let mut records = std::pin::pin!(export::records(svc, tenant, options));
        while let Some(record) = records.next().await {
            send(InstanceLine::Tenant(record?)).await?;
        }
    }
    for membership in store::accounts::all_memberships(&svc.db).await? {
        counts.memberships += 1;
        account(AccountRecord::Membership(membership)).await?;
    }
    for key in store::accounts::all_api_keys(&svc.db).await? {
        counts.api_keys += 1;
        account(AccountRecord::ApiKey(key)).await?;
    }
    account(AccountRecord::InstanceEnd(counts)).await
}

/// What an instance import read and stored, and each tenant's own report.
#[derive(Debug, Clone, Default)]
pub struct InstanceReport {
    pub read: InstanceCounts,
    pub stored: InstanceCounts,
    pub tenants: Vec<ImportReport>,
}

/// An instance import in progress: its lines in order to [`InstanceImporter::add`], then
/// [`InstanceImporter::finish`].
pub struct InstanceImporter<'a> {
    svc: &'a Services,
    started: bool,
    tenant: Option<Importer<'a>>,
    ended: bool,
    report: InstanceReport,
}

impl<'a> InstanceImporter<'a> {
    pub fn new(svc: &'a Services) -> Self {
        Self {
            svc,
            started: false,
            tenant: None,
            ended: false,
            report: InstanceReport::default(),
        }
    }

    pub fn report(&self) -> &InstanceReport {
        &self.report
    }

    /// The tenant being imported, if any.
    pub fn tenant(&self) -> Option<&ImportReport> {
        self.tenant.as_ref().map(Importer::report)
    }

    pub async fn add(&mut self, line: InstanceLine) -> Result<()> {
        let invalid = |message: &str| Err(ServiceError::invalid("kind", message));
        if self.ended {
            return Err(ServiceError::invalid(
                "instance_end",
                "must be the last record",
            ));
        }
        if !self.started {
            return match line {
                InstanceLine::Account(AccountRecord::Instance(h)) if h.format <= EXPORT_FORMAT => {
                    self.started = true;
                    Ok(())
                }
                InstanceLine::Account(AccountRecord::Instance(h)) => Err(ServiceError::invalid(
                    "format",
                    format!(
                        "is {}; this server reads {EXPORT_FORMAT} and earlier",
                        h.format
                    ),
                )),
                _ => invalid("must be `instance` on the first line"),
            };
        }
        let account = match line {
            InstanceLine::Tenant(record) => return self.tenant_line(record).await,
            InstanceLine::Account(_) if self.tenant.is_some() => {
                return Err(ServiceError::invalid(
                    "end",
                    "must close a tenant's records before the next account record",
                ))
            }
            InstanceLine::Account(record) => record,
        };
        let svc = self.svc;
        let (read, stored) = (&mut self.report.read, &mut self.report.stored);
        match account {
            AccountRecord::Instance(_) => {
                return invalid("may be `instance` only on the first line")
            }
            AccountRecord::User(user) => {
                read.users += 1;
                stored.users +=
                    one_row(svc, async |txn| store::import::user(txn, user).await).await?;
            }
            AccountRecord::Membership(m) => {
                read.memberships += 1;
                stored.memberships +=
                    one_row(svc, async |txn| store::import::membership(txn, m).await).await?;
            }
            AccountRecord::ApiKey(key) => {
                read.api_keys += 1;
                stored.api_keys +=
                    one_row(svc, async |txn| store::import::api_key(txn, key).await).await?;
            }
            AccountRecord::InstanceEnd(counts) => {
                if counts != self.report.read {
                    return Err(ServiceError::invalid(
                        "instance_end",
                        format!(
                            "counts {counts:?}, but the file holds {:?}: it is damaged",
                            self.report.read
                        ),
                    ));
                }
                self.ended = true;
            }
        }
        Ok(())
    }

    async fn tenant_line(&mut self, record: ExportRecord) -> Result<()> {
        let end = matches!(record, ExportRecord::End(_));
        let importer = match (&mut self.tenant, &record) {
            (None, ExportRecord::Export(_)) => {
                self.report.read.tenants += 1;
                self.tenant.insert(Importer::unattended(self.svc))
            }
            (None, _) => {
                return Err(ServiceError::invalid(
                    "kind",
                    "must be `export` where a tenant's records begin",
                ))
            }
            (Some(importer), _) => importer,
        };
        importer.add(record).await?;
        if end {
            let report = self.tenant.take().expect("a tenant").finish().await?;
            self.report.stored.tenants += u64::from(report.tenant_created);
            self.report.tenants.push(report);
        }
        Ok(())
    }

    /// An error if the file ended before its `instance_end` record.
    pub fn finish(self) -> Result<InstanceReport> {
        if !self.ended {
            return Err(ServiceError::invalid(
                "instance_end",
                "is missing: the file was cut short (what it held is imported; import the \
                 whole file again to complete it)",
            ));
        }
        Ok(self.report)
    }
}
