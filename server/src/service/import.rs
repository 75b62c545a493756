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

use std::collections::HashSet;

use app::wire::{
    export::{ExportCounts, ExportRecord, ExportedMessage, EXPORT_FORMAT},
    memory::ConversationResponse,
    retention::{CreateRetentionRule, RetentionPolicy, RetentionRule, UpdateRetentionPolicy},
};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::{
    conversations::check_title, retention::policy, unit::Written, Result, ServiceError, Services,
};
use crate::{
    domain::{
        messages::{self as rules, Role},
        parse_time, Invalid, TenantId,
    },
    store::{
        self,
        entities::{conversations, messages, tenants},
        import::{Embedding, ImportedMessage},
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
                let c = conversation(&t, c)?;
                self.report.read.conversations += 1;
                self.conversations_seen.insert(c.id.clone());
                self.conversations.push(c);
                if self.conversations.len() >= BATCH {
                    self.flush().await?;
                }
                Ok(())
            }
            (Some(t), ExportRecord::Message(m)) => {
                let m = self.message(&t, m)?;
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
        let row = tenants::Model {
            id: id.clone(),
            name: crate::domain::ids::display_name(&t.name, "name")?,
            settings: serde_json::json!({}),
            created_at: time(&t.created_at, "created_at")?,
            updated_at: time(&t.created_at, "created_at")?,
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

    fn message(&self, tenant: &str, m: ExportedMessage) -> Result<ImportedMessage> {
        let ExportedMessage {
            message: v,
            importance_override,
            embedding_model,
            embedding,
        } = m;
        same_tenant(tenant, &v.tenant_id)?;
        let id = Uuid::parse_str(&v.id).map_err(|_| Invalid::new("id", "must be a UUID"))?;
        let conversation_id = rules::conversation_id(&v.conversation_id)?;
        if !self.conversations_seen.contains(&conversation_id) {
            return Err(ServiceError::invalid(
                "conversation_id",
                "names a conversation without a record earlier in the file",
            ));
        }
        if !(0.0..=1.0).contains(&v.importance_score) {
            return Err(ServiceError::invalid(
                "importance_score",
                "must be between 0 and 1",
            ));
        }
        let model = self.svc.embedder.model_id();
        let kept = embedding.filter(|vector| {
            !v.cold_storage
                && embedding_model.as_deref() == Some(model)
                && vector.len() == self.svc.settings.embedding.dimensions
                && vector.iter().all(|x| x.is_finite())
        });
        let embedding = match kept {
            Some(vector) => Embedding::Kept(vector),
            None if v.cold_storage => Embedding::Absent,
            None => Embedding::Queued,
        };
        // A kept vector's model is this server's; a queued message's is set when it is
        // embedded; a cold one keeps the record of the model that once embedded it.
        let embedding_model = match embedding {
            Embedding::Kept(_) => Some(model.to_owned()),
            Embedding::Queued => None,
            Embedding::Absent => embedding_model,
        };
        let embedded = matches!(embedding, Embedding::Kept(_));
        let row = messages::Model {
            id,
            tenant_id: tenant.to_owned(),
            conversation_id,
            role: Role::parse(&v.role)?.as_str().to_owned(),
            content: rules::content(&v.content)?,
            metadata: rules::metadata(Some(v.metadata))?,
            importance_score: v.importance_score,
            importance_override: rules::importance_override(importance_override)?,
            embedding_status: if embedded { "completed" } else { "pending" }.into(),
            embedding_model,
            archived: v.archived || v.cold_storage,
            archived_at: v
                .archived_at
                .as_deref()
                .map(|t| time(t, "archived_at"))
                .transpose()?,
            archive_reason: v.archive_reason,
            cold: v.cold_storage,
            created_at: time(&v.created_at, "created_at")?,
            updated_at: time(&v.updated_at, "updated_at")?,
        };
        Ok(ImportedMessage { row, embedding })
    }

    async fn policy(&mut self, tenant: &str, p: RetentionPolicy) -> Result<()> {
        same_tenant(tenant, &p.tenant_id)?;
        // Without `updated_at` the exporting server's defaults applied: this server's apply.
        let Some(updated_at) = p.updated_at.as_deref() else {
            return Ok(());
        };
        let updated_at = time(updated_at, "updated_at")?;
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
        self.svc
            .write(async |txn| Ok(Written::quiet(store::import::policy(txn, row).await?)))
            .await?;
        Ok(())
    }

    async fn rule(&mut self, tenant: &str, r: RetentionRule) -> Result<()> {
        same_tenant(tenant, &r.tenant_id)?;
        self.report.read.retention_rules += 1;
        let id = Uuid::parse_str(&r.id).map_err(|_| Invalid::new("id", "must be a UUID"))?;
        let request = CreateRetentionRule {
            name: r.name,
            description: r.description,
            rule_type: r.rule_type,
            conditions: r.conditions,
            action: r.action,
            priority: Some(r.priority.into()),
            enabled: Some(r.enabled),
        };
        let created_at = time(&r.created_at, "created_at")?;
        let row = store::entities::retention_rules::Model {
            id,
            last_applied_at: (r.last_applied_at.as_deref())
                .map(|t| time(t, "last_applied_at"))
                .transpose()?,
            updated_at: time(&r.updated_at, "updated_at")?,
            ..policy::new_rule(tenant, request, created_at)?
        };
        let stored = self
            .svc
            .write(async |txn| Ok(Written::quiet(store::import::rule(txn, row).await?)))
            .await?;
        self.report.stored.retention_rules += u64::from(stored);
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

fn conversation(tenant: &str, c: ConversationResponse) -> Result<conversations::Model> {
    same_tenant(tenant, &c.tenant_id)?;
    let user_id = (c.user_id.as_deref())
        .map(|u| Uuid::parse_str(u).map_err(|_| Invalid::new("user_id", "must be a UUID")))
        .transpose()?;
    Ok(conversations::Model {
        tenant_id: tenant.to_owned(),
        id: rules::conversation_id(&c.id)?,
        title: check_title(c.title)?,
        metadata: rules::metadata(Some(c.metadata))?,
        message_count: 0,
        archived_count: 0,
        cold_count: 0,
        last_message_at: None,
        archived: c.archived,
        user_id,
        created_at: time(&c.created_at, "created_at")?,
        updated_at: time(&c.updated_at, "updated_at")?,
    })
}

fn same_tenant(tenant: &str, named: &str) -> Result<()> {
    if named != tenant {
        return Err(ServiceError::invalid(
            "tenant_id",
            "must be the header's `tenant_id`",
        ));
    }
    Ok(())
}

fn time(raw: &str, field: &str) -> Result<DateTime<Utc>> {
    Ok(parse_time(raw, field)?.trunc_subsecs(6))
}
