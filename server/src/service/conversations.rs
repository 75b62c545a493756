//! A tenant's conversations. They are created by their first message (or ahead of it here);
//! their counters are kept exact by the store.

use app::wire::memory::{
    ConversationListQuery, ConversationPage, ConversationResponse, ConversationStats,
    CreateConversationRequest, MessageListQuery, MessagePage, UpdateConversationRequest,
};

use super::{
    events, unit::Written, views::view_conversation as view, Access, Caller, Result, ServiceError,
    Services,
};
use crate::{
    domain::{cursor, events::EventKind, messages as rules, Invalid},
    store::{
        conversations as store,
        events::scrub_conversation,
        messages::{conversation_messages, MessageListing},
    },
};

/// Largest page a listing returns.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Highest page number accepted: deeper than any tenant's listing, and far from the integer
/// limits of the databases' `OFFSET` (use `cursor` to walk further).
pub const MAX_PAGE: u64 = 1_000_000;

/// Longest text a listing's `q` looks for.
pub const MAX_LIST_TEXT: usize = 200;

/// One page of the tenant's conversations, newest activity first.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    q: ConversationListQuery,
) -> Result<ConversationPage> {
    let tenant = caller
        .authorise_and_charge(svc, q.tenant_id.as_deref(), Access::Read)
        .await?;
    let page = q.page.unwrap_or(1);
    let page_size = q.page_size.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ServiceError::invalid(
            "page",
            format!("must be 1 to {MAX_PAGE}"),
        ));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ServiceError::invalid(
            "page_size",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    let updated_since = (q.updated_since.as_deref())
        .map(|raw| crate::domain::parse_time(raw, "updated_since"))
        .transpose()?;
    let after = q.cursor.as_deref().map(cursor::decode).transpose()?;
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_LIST_TEXT) {
        return Err(ServiceError::invalid(
            "q",
            format!("must be at most {MAX_LIST_TEXT} characters"),
        ));
    }
    let query = store::ConversationQuery {
        archived: q.archived,
        updated_since,
        after,
        page,
        page_size,
        text: text.map(str::to_lowercase),
    };
    let (items, total) =
        store::list_conversations(svc.reader(&tenant.tenant_id), &tenant.tenant_id, &query).await?;
    let next_cursor = (items.len() as u64 == page_size)
        .then(|| items.last().map(|c| cursor::encode(c.updated_at, &c.id)))
        .flatten();
    Ok(ConversationPage {
        conversations: items.into_iter().map(view).collect(),
        total,
        page,
        page_size,
        next_cursor,
    })
}

/// Messages per page unless asked otherwise.
pub const DEFAULT_MESSAGES_PAGE: u64 = 50;

/// One page of conversation `id`'s messages in time order (archived ones only if asked); 404
/// for a conversation the tenant does not have.
pub async fn messages(
    svc: &Services,
    caller: &Caller,
    id: &str,
    q: MessageListQuery,
) -> Result<MessagePage> {
    let tenant = caller
        .authorise_and_charge(svc, q.tenant_id.as_deref(), Access::Read)
        .await?;
    let newest_first = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ServiceError::invalid("order", "must be asc or desc")),
    };
    let page_size = q.page_size.unwrap_or(DEFAULT_MESSAGES_PAGE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ServiceError::invalid(
            "page_size",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    let after = q.cursor.as_deref().map(cursor::decode).transpose()?;
    let db = svc.reader(&tenant.tenant_id);
    store::get_conversation(db, &tenant.tenant_id, id).await?;
    let listing = MessageListing {
        newest_first,
        include_archived: q.include_archived,
        after,
        // One more than the page: whether another page follows, without an empty last one.
        limit: page_size + 1,
    };
    let mut rows = conversation_messages(db, &tenant.tenant_id, id, &listing).await?;
    let more = rows.len() as u64 > page_size;
    rows.truncate(page_size as usize);
    let next_cursor = more
        .then(|| rows.last().map(|m| cursor::encode(m.created_at, m.id)))
        .flatten();
    let messages = super::messages::views_with_progress(db, &tenant.tenant_id, rows).await?;
    Ok(MessagePage {
        messages,
        next_cursor,
    })
}

/// Creates a conversation ahead of its first message; `true` when it was created, `false` when
/// it already existed (and is returned as it is).
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateConversationRequest,
) -> Result<(ConversationResponse, bool)> {
    let tenant = super::tenants::for_write(svc, caller, req.tenant_id.as_deref()).await?;
    let id = rules::conversation_id(&req.conversation_id)?;
    let title = check_title(req.title)?;
    let metadata = rules::metadata(req.metadata)?;
    let (conversation, created) = svc
        .write(async |txn| {
            let user = caller.user_id;
            let (conversation, created) =
                store::create_conversation(txn, &tenant.tenant_id, &id, title, metadata, user)
                    .await?;
            let events = match created {
                true => vec![events::conversation(
                    EventKind::ConversationCreated,
                    &conversation,
                )],
                false => Vec::new(),
            };
            Ok(Written::emitted((conversation, created), events))
        })
        .await?;
    Ok((view(conversation), created))
}

pub(crate) fn check_title(title: Option<String>) -> Result<Option<String>, Invalid> {
    let title = title.map(|t| t.trim().to_owned());
    if title.as_ref().is_some_and(|t| t.chars().count() > 512) {
        return Err(Invalid::new("title", "must be at most 512 characters"));
    }
    Ok(title)
}

pub async fn get(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<ConversationResponse> {
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let conversation =
        store::get_conversation(svc.reader(&tenant.tenant_id), &tenant.tenant_id, id).await?;
    Ok(view(conversation))
}

/// Retitles, re-tags or archives a conversation.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
    req: UpdateConversationRequest,
) -> Result<ConversationResponse> {
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let title = check_title(req.title)?;
    let metadata = req.metadata.map(|m| rules::metadata(Some(m))).transpose()?;
    let updated = svc
        .write(async |txn| {
            let (tenant, archived) = (&tenant.tenant_id, req.archived);
            let updated =
                store::update_conversation(txn, tenant, id, title, metadata, archived).await?;
            let event = events::conversation(EventKind::ConversationUpdated, &updated);
            Ok(Written::emitted(updated, vec![event]))
        })
        .await?;
    Ok(view(updated))
}

/// Active messages by role, their average importance, first and last; archived and cold
/// messages counted beside them.
pub async fn stats(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<ConversationStats> {
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let db = svc.reader(&tenant.tenant_id);
    let conversation = store::get_conversation(db, &tenant.tenant_id, id).await?;
    let s = store::conversation_stats(db, &tenant.tenant_id, id).await?;
    let count = |role: &str| {
        s.per_role
            .iter()
            .find(|(r, _)| r == role)
            .map_or(0, |(_, n)| *n)
    };
    Ok(ConversationStats {
        conversation_id: id.to_owned(),
        tenant_id: tenant.tenant_id,
        total_messages: s.per_role.iter().map(|(_, n)| n).sum(),
        archived_messages: conversation.archived_count - conversation.cold_count,
        cold_messages: conversation.cold_count,
        user_messages: count("user"),
        assistant_messages: count("assistant"),
        system_messages: count("system"),
        avg_importance: s.avg_importance,
        first_message_at: s.first.map(|t| t.to_rfc3339()),
        last_message_at: s.last.map(|t| t.to_rfc3339()),
    })
}

/// Deletes a conversation. One that still has messages needs `delete_messages`, so a slip
/// cannot silently erase history.
pub async fn delete(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
    delete_messages: bool,
) -> Result<()> {
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    svc.write(async |txn| {
        let conversation = store::get_conversation(txn, &tenant.tenant_id, id).await?;
        if conversation.message_count > 0 && !delete_messages {
            return Err(ServiceError::Conflict(
                "The conversation has messages: pass delete_messages=true to delete them too."
                    .into(),
            ));
        }
        store::delete_conversation(txn, &tenant.tenant_id, id).await?;
        // Its messages went by the cascade: their earlier events lose their content too.
        scrub_conversation(txn, &tenant.tenant_id, id).await?;
        let event = events::conversation_deleted(&conversation);
        Ok(Written::emitted((), vec![event]))
    })
    .await
}
