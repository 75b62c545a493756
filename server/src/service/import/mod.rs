//! Importing an export (docs/export.md) into this instance, for a door that holds the
//! database (the command line): the tenant, its conversations, messages, retention policy and
//! rules, each kept with its id and times and checked by the same rules as a write through
//! the API.
//!
//! Importing a file again stores nothing twice. A message exported with its vector by the
//! model this server embeds with keeps it; any other is queued for embedding (cold ones stay
//! without, as cold storage keeps them). Records are written in batches as they are read, so
//! a file of any size imports in bounded memory; a file cut short leaves what was read, and
//! importing the whole file afterwards completes it. Imported messages emit no events: they
//! are history, not news.

mod rows;

use std::collections::HashSet;

use app::wire::{
    export::{ExportCounts, ExportRecord, EXPORT_FORMAT},
    retention::{RetentionPolicy, RetentionRule, UpdateRetentionPolicy},
};
use chrono::{SubsecRound, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{retention::policy, unit::Written, Result, ServiceError, Services};
use crate::{
    domain::TenantId,
    store::{
        self,
        entities::{conversations, tenants},
        import::ImportedMessage,
        StoreError,
    },
};

/// Messages written per transaction.
const BATCH: usize = 500;

/// What an import read and what it stored (the rest was there already).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub tenant_id: String,
    pub tenant_created: bool,
    pub read: ExportCounts,
    pub stored: ExportCounts,
    /// Stored messages left to the embedding queue.
    pub queued: u64,
}

/// An import in progress: feed it the file's records in order with [`Importer::add`], then
/// [`Importer::finish`].
pub struct Importer<'a> {
    svc: &'a Services,
    admin: Option<Uuid>,
    /// A tenant new here needs `admin` (an instance import brings its memberships instead).
    needs_admin: bool,
    /// The header's tenant, once read; then whether its `tenant` record came.
    tenant: Option<(String, bool)>,
    conversations_seen: HashSet<String>,
    conversations: Vec<conversations::Model>,
    messages: Vec<ImportedMessage>,
    ended: bool,
    report: ImportReport,
}

impl<'a> Importer<'a> {
    /// `admin` (a user's email or username) becomes an administrator of the imported tenant;
    /// a tenant not on this server yet needs one.
    pub async fn new(svc: &'a Services, admin: Option<&str>) -> Result<Self> {
        let admin = match admin {
            Some(who) => Some(
                store::accounts::user_by_email_or_username(&svc.db, who)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::invalid("admin", format!("names no user here ({who:?})"))
                    })?
                    .id,
            ),
            None => None,
        };
        Ok(Self {
            admin,
            needs_admin: true,
            ..Self::unattended(svc)
        })
    }

    /// A tenant of an instance export: its memberships follow in the same file.
    pub fn unattended(svc: &'a Services) -> Self {
        Self {
            svc,
            admin: None,
            needs_admin: false,
            tenant: None,
            conversations_seen: HashSet::new(),
            conversations: Vec::new(),
            messages: Vec::new(),
            ended: false,
            report: ImportReport::default(),
        }
    }

    /// What was read and stored so far.
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Takes the file's next record.
    pub async fn add(&mut self, record: ExportRecord) -> Result<()> {
        if self.ended {
            return Err(ServiceError::invalid("end", "must be the last record"));
        }
        let tenant = match (&self.tenant, &record) {
            (None, ExportRecord::Export(header)) => {
                if header.format > EXPORT_FORMAT {
                    return Err(ServiceError::invalid(
                        "format",
                        format!(
                            "is {}; this server reads {EXPORT_FORMAT} and earlier",
                            header.format
                        ),
                    ));
                }
                let id = TenantId::parse_as(&header.tenant_id, "tenant_id")?.into_string();
                self.report.tenant_id = id.clone();
                self.tenant = Some((id, false));
                return Ok(());
            }
            (None, _) => {
                return Err(ServiceError::invalid(
                    "kind",
                    "must be `export` on the first line",
                ))
            }
            (Some((_, false)), ExportRecord::Tenant(_)) => None,
            (Some((_, false)), _) => {
                return Err(ServiceError::invalid(
                    "kind",
                    "must be `tenant` on the second line",
                ))
            }
            (Some((id, true)), _) => Some(id.clone()),
        };
        match (tenant, record) {
            (None, ExportRecord::Tenant(t)) => self.tenant_record(t).await,
            (Some(t), ExportRecord::Conversation(c)) => {
                let c = rows::conversation(&t, c)?;
                self.report.read.conversations += 1;
                self.conversations_seen.insert(c.id.clone());
                self.conversations.push(c);
                if self.conversations.len() >= BATCH {
                    self.flush().await?;
                }
                Ok(())
            }
            (Some(t), ExportRecord::Message(m)) => {
                let model = (
                    self.svc.embedder.model_id(),
                    self.svc.settings.embedding.dimensions,
                );
                let m = rows::message(&t, &self.conversations_seen, model, m)?;
                self.report.read.messages += 1;
                self.messages.push(m);
                if self.messages.len() >= BATCH {
                    self.flush().await?;
                }
                Ok(())
            }
            (Some(t), ExportRecord::RetentionPolicy(p)) => self.policy(&t, p).await,
            (Some(t), ExportRecord::RetentionRule(r)) => self.rule(&t, r).await,
            (Some(_), ExportRecord::End(counts)) => {
                self.flush().await?;
                if counts != self.report.read {
                    return Err(ServiceError::invalid(
                        "end",
                        format!(
                            "counts {counts:?}, but the file holds {:?}: it is damaged",
                            self.report.read
                        ),
                    ));
                }
                self.ended = true;
                Ok(())
            }
            (_, ExportRecord::Export(_)) => Err(ServiceError::invalid(
                "kind",
                "may be `export` only on the first line",
            )),
            (_, ExportRecord::Tenant(_)) => Err(ServiceError::invalid(
                "kind",
                "may be `tenant` only once in a file",
            )),
            (None, _) => unreachable!("records before `tenant` are refused above"),
        }
    }

    /// Writes what is still buffered; an error if the file ended before its `end` record.
    pub async fn finish(mut self) -> Result<ImportReport> {
        self.flush().await?;
        if !self.ended {
            return Err(ServiceError::invalid(
                "end",
                "is missing: the file was cut short (what it held is imported; import the \
                 whole file again to complete it)",
            ));
        }
        Ok(self.report)
    }

    async fn tenant_record(&mut self, t: app::wire::export::ExportedTenant) -> Result<()> {
        let Some((id, seen)) = self.tenant.as_mut() else {
            unreachable!("the header came first")
        };
        if t.id != *id {
            return Err(ServiceError::invalid(
                "id",
                "must be the header's `tenant_id`",
            ));
        }
        *seen = true;
        let id = id.clone();
        if self.needs_admin
            && self.admin.is_none()
            && !store::tenants::exists(&self.svc.db, &id).await?
        {
            return Err(ServiceError::invalid(
                "admin",
                format!("must be named: tenant {id:?} is new here and needs an administrator"),
            ));
        }
        let created_at = rows::time(&t.created_at, "created_at")?;
        let row = tenants::Model {
            id: id.clone(),
            name: crate::domain::ids::display_name(&t.name, "name")?,
            settings: serde_json::json!({}),
            created_at,
            updated_at: created_at,
        };
        let admin = self.admin;
        self.report.tenant_created = self
            .svc
            .write(async |txn| {
                let created = store::import::tenant(txn, row).await?;
                if let Some(user) = admin {
                    store::import::admin(txn, &id, user, Utc::now().trunc_subsecs(6)).await?;
                }
                Ok(Written::quiet(created))
            })
            .await?;
        Ok(())
    }

    async fn policy(&mut self, tenant: &str, p: RetentionPolicy) -> Result<()> {
        rows::same_tenant(tenant, &p.tenant_id)?;
        // Without `updated_at` the exporting server's defaults applied: this server's apply.
        let Some(updated_at) = p.updated_at.as_deref() else {
            return Ok(());
        };
        let updated_at = rows::time(updated_at, "updated_at")?;
        let mut checked = policy::effective(self.svc, tenant).await?;
        policy::apply(
            &mut checked,
            UpdateRetentionPolicy {
                enabled: Some(p.enabled),
                max_age_days: Some(p.max_age_days.into()),
                importance_threshold: Some(p.importance_threshold),
                min_age_days: Some(p.min_age_days.into()),
                max_items: Some(p.max_items.into()),
                delete_after_days: Some(p.delete_after_days.into()),
            },
        )?;
        let row = policy::stored(tenant, &checked, updated_at, updated_at);
        one_row(self.svc, async |txn| store::import::policy(txn, row).await).await?;
        Ok(())
    }

    async fn rule(&mut self, tenant: &str, r: RetentionRule) -> Result<()> {
        self.report.read.retention_rules += 1;
        let row = rows::rule(tenant, r)?;
        self.report.stored.retention_rules +=
            one_row(self.svc, async |txn| store::import::rule(txn, row).await).await?;
        Ok(())
    }

    /// Writes the buffered conversations, then the buffered messages, in one transaction.
    async fn flush(&mut self) -> Result<()> {
        if self.conversations.is_empty() && self.messages.is_empty() {
            return Ok(());
        }
        let conversations = std::mem::take(&mut self.conversations);
        let messages = std::mem::take(&mut self.messages);
        let now = Utc::now().trunc_subsecs(6);
        let (new_conversations, (new_messages, queued)) = self
            .svc
            .write(async |txn| {
                let c = store::import::conversations(txn, conversations).await?;
                let m = store::import::messages(txn, &messages, now).await?;
                let mut written = Written::quiet((c, m));
                written.queued_jobs = m.1 > 0;
                Ok(written)
            })
            .await?;
        self.report.stored.conversations += new_conversations;
        self.report.stored.messages += new_messages;
        self.report.queued += queued;
        Ok(())
    }
}

/// Writes one row that may be there already (an import's write: no events, no audit entry);
/// 1 if it was stored, else 0.
pub(super) async fn one_row(
    svc: &Services,
    insert: impl AsyncFnOnce(&DatabaseTransaction) -> Result<bool, StoreError>,
) -> Result<u64> {
    let stored = svc
        .write(async |txn| Ok(Written::quiet(insert(txn).await?)))
        .await?;
    Ok(u64::from(stored))
}
