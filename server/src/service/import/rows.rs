//! An export's records as the rows an import writes: each field checked by the rule a write
//! through the API obeys, ids and times kept as exported.

use std::collections::HashSet;

use app::wire::{
    export::ExportedMessage,
    memory::ConversationResponse,
    retention::{CreateRetentionRule, RetentionRule},
};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::super::{conversations::check_title, retention::policy, Result, ServiceError};
use crate::{
    domain::{
        messages::{self as rules, Role},
        parse_time, Invalid,
    },
    store::{
        entities::{conversations, messages, retention_rules},
        import::{Embedding, ImportedMessage},
    },
};

/// A conversation record as its row, with no messages counted yet.
pub(super) fn conversation(tenant: &str, c: ConversationResponse) -> Result<conversations::Model> {
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

pub(super) fn same_tenant(tenant: &str, named: &str) -> Result<()> {
    if named != tenant {
        return Err(ServiceError::invalid(
            "tenant_id",
            "must be the header's `tenant_id`",
        ));
    }
    Ok(())
}

pub(super) fn time(raw: &str, field: &str) -> Result<DateTime<Utc>> {
    Ok(parse_time(raw, field)?.trunc_subsecs(6))
}

/// A message record as the row to insert, with what to do about its vector: kept when this
/// server's model made it (`model`, `dimensions`), else embedded again, never for a cold one.
/// Its conversation must be among `seen` (records earlier in the file).
pub(super) fn message(
    tenant: &str,
    seen: &HashSet<String>,
    (model, dimensions): (&str, usize),
    m: ExportedMessage,
) -> Result<ImportedMessage> {
    let ExportedMessage {
        message: v,
        importance_override,
        embedding_model,
        embedding,
    } = m;
    same_tenant(tenant, &v.tenant_id)?;
    let id = Uuid::parse_str(&v.id).map_err(|_| Invalid::new("id", "must be a UUID"))?;
    let conversation_id = rules::conversation_id(&v.conversation_id)?;
    if !seen.contains(&conversation_id) {
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
    let kept = embedding.filter(|vector| {
        !v.cold_storage
            && embedding_model.as_deref() == Some(model)
            && vector.len() == dimensions
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

/// A retention rule record as its row, checked as a new rule is, with its id and times kept.
pub(super) fn rule(tenant: &str, r: RetentionRule) -> Result<retention_rules::Model> {
    same_tenant(tenant, &r.tenant_id)?;
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
    let row = retention_rules::Model {
        id,
        last_applied_at: (r.last_applied_at.as_deref())
            .map(|t| time(t, "last_applied_at"))
            .transpose()?,
        updated_at: time(&r.updated_at, "updated_at")?,
        ..policy::new_rule(tenant, request, created_at)?
    };
    Ok(row)
}
