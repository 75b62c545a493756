//! A tenant's data as a stream of [`ExportRecord`]s (docs/export.md): the tenant, its
//! conversations, every message (archived and cold ones too), its retention policy and rules,
//! then an `end` record with the counts — its absence tells a reader the export was cut short.
//! No accounts or keys. The records are read a page at a time by a task that stops when the
//! reader goes away.

use app::wire::export::{
    ExportCounts, ExportHeader, ExportRecord, ExportedMessage, ExportedTenant, EXPORT_FORMAT,
};
use chrono::Utc;
use futures_util::Stream;
use tokio::sync::mpsc;

use super::{retention::policy, views, Access, Caller, Result, ServiceError, Services};
use crate::store::{self, conversations::ConversationQuery};

/// Rows read per query.
const PAGE: u64 = 100;

/// What an export holds besides the rows themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Each embedded message's vector (an import with the same model then embeds nothing).
    pub vectors: bool,
}

/// The caller's tenant (tenant admins only) as export records.
pub async fn tenant(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    options: Options,
) -> Result<impl Stream<Item = Result<ExportRecord>> + Send + 'static> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Admin)
        .await?;
    Ok(records(svc, t.tenant_id, options))
}

/// Tenant `tenant_id` as export records, for a door that has authorised it itself (the
/// command line, which holds the database).
pub fn records(
    svc: &Services,
    tenant_id: String,
    options: Options,
) -> impl Stream<Item = Result<ExportRecord>> + Send + 'static {
    streamed(svc, move |svc, sink| async move {
        walk(&svc, &tenant_id, options, &sink).await
    })
}

/// The records `walk` sends, as a stream read while a task of its own writes it; the task
/// stops when the reader goes away, and its failure is the stream's last item.
pub(super) fn streamed<T, F, Fut>(
    svc: &Services,
    walk: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(Services, Sink<T>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    let svc = svc.clone();
    svc.tasks.clone().spawn(async move {
        let failed = tx.clone();
        if let Err(e) = walk(svc, Sink(tx)).await {
            let _ = failed.send(Err(e)).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) })
}

/// Where a walk sends its records.
pub(super) struct Sink<T>(mpsc::Sender<Result<T>>);

impl<T> Sink<T> {
    /// Sends `record`; an error once the reader has gone away (nothing more to send).
    pub(super) async fn send(&self, record: T) -> Result<()> {
        (self.0.send(Ok(record)).await)
            .map_err(|_| ServiceError::Unavailable("the export's reader went away".into()))
    }
}

async fn walk(
    svc: &Services,
    tenant_id: &str,
    options: Options,
    sink: &Sink<ExportRecord>,
) -> Result<()> {
    let send = |record: ExportRecord| sink.send(record);
    let tenant = store::tenants::get(&svc.db, tenant_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("tenant"))?;
    send(ExportRecord::Export(ExportHeader {
        format: EXPORT_FORMAT,
        exported_at: Utc::now().to_rfc3339(),
        tenant_id: tenant_id.to_owned(),
        embedding_model: svc.embedder.model_id().to_owned(),
        dimensions: svc.settings.embedding.dimensions,
    }))
    .await?;
    send(ExportRecord::Tenant(ExportedTenant {
        id: tenant.id,
        name: tenant.name,
        created_at: tenant.created_at.to_rfc3339(),
    }))
    .await?;
    let mut counts = ExportCounts {
        conversations: 0,
        messages: 0,
        retention_rules: 0,
    };
    let mut query = ConversationQuery {
        archived: None,
        updated_since: None,
        after: None,
        page: 1,
        page_size: PAGE,
        text: None,
    };
    loop {
        let (page, _) =
            store::conversations::list_conversations(&svc.db, tenant_id, &query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some((last.updated_at, last.id.clone()));
        let full = page.len() as u64 == PAGE;
        for c in page {
            counts.conversations += 1;
            send(ExportRecord::Conversation(views::view_conversation(c))).await?;
        }
        if !full {
            break;
        }
    }
    let mut after = None;
    loop {
        let page = store::messages::tenant_page(&svc.db, tenant_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.id));
        let full = page.len() as u64 == PAGE;
        let mut vectors = if options.vectors {
            let ids: Vec<_> = page.iter().map(|m| m.id).collect();
            store::embeddings::vectors_of(&svc.db, &ids).await?
        } else {
            Default::default()
        };
        for m in page {
            counts.messages += 1;
            let (importance_override, embedding_model) =
                (m.importance_override, m.embedding_model.clone());
            let embedding = vectors.remove(&m.id);
            send(ExportRecord::Message(ExportedMessage {
                message: views::view_message(m),
                importance_override,
                embedding_model,
                embedding,
            }))
            .await?;
        }
        if !full {
            break;
        }
    }
    send(ExportRecord::RetentionPolicy(
        policy::effective(svc, tenant_id).await?,
    ))
    .await?;
    for rule in store::retention::policies::rules(&svc.db, tenant_id, false).await? {
        counts.retention_rules += 1;
        send(ExportRecord::RetentionRule(policy::rule_view(rule))).await?;
    }
    send(ExportRecord::End(counts)).await?;
    Ok(())
}
