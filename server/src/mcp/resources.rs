//! Resources an agent (or the person driving it) can attach to a prompt: each recent
//! conversation's latest turns, as the readable text of a context block (docs/context.md's
//! template). Listed are the caller's most recently active conversations; any other
//! conversation is read through the template `memory-mesh://conversations/{conversation_id}/recent`.

use app::wire::{context::ContextRequest, memory::ConversationListQuery};
use rmcp::{
    model::{
        ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
        ResourceContents, ResourceTemplate,
    },
    ErrorData,
};

use crate::{
    failure,
    service::{context, conversations, Caller, ServiceError, Services},
};

const PREFIX: &str = "memory-mesh://conversations/";
const SUFFIX: &str = "/recent";
/// Conversations listed: the most recently active.
const LISTED: u64 = 20;
/// Turns a resource holds at most, and their budget.
const TURNS: u32 = 20;
const MAX_TOKENS: u32 = 4000;

fn uri(conversation: &str) -> String {
    format!("{PREFIX}{conversation}{SUFFIX}")
}

pub fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![ResourceTemplate::new(
        format!("{PREFIX}{{conversation_id}}{SUFFIX}"),
        "recent-turns",
    )
    .with_title("A conversation's latest turns")
    .with_description(format!(
        "The latest {TURNS} messages of a conversation, oldest first, each with its role and \
         time: what was said most recently, ready to paste into a prompt."
    ))
    .with_mime_type("text/plain")])
}

/// The caller's most recently active conversations, each as its latest turns.
pub async fn list(svc: &Services, caller: &Caller) -> Result<ListResourcesResult, ErrorData> {
    let query = ConversationListQuery {
        page_size: Some(LISTED),
        ..Default::default()
    };
    let page = conversations::list(svc, caller, query)
        .await
        .map_err(refused)?;
    let resources = page
        .conversations
        .into_iter()
        .map(|c| {
            let last = c.last_message_at.as_deref().unwrap_or("never");
            Resource::new(uri(&c.id), c.id.clone())
                .with_title(c.title.unwrap_or_else(|| c.id.clone()))
                .with_description(format!(
                    "Latest turns of conversation {} ({} messages, the last at {last})",
                    c.id, c.message_count
                ))
                .with_mime_type("text/plain")
        })
        .collect();
    Ok(ListResourcesResult::with_all_items(resources))
}

/// Reads `memory-mesh://conversations/{id}/recent`: an unknown URI or another tenant's
/// conversation is not found.
pub async fn read(
    svc: &Services,
    caller: &Caller,
    requested: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let not_found = || ErrorData::resource_not_found(format!("no resource {requested}"), None);
    let id = (requested.strip_prefix(PREFIX))
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(not_found)?;
    let request = ContextRequest {
        conversation_id: Some(id.to_owned()),
        recent_turns: Some(TURNS),
        max_tokens: Some(MAX_TOKENS),
        ..Default::default()
    };
    let unknown = |e| match e {
        ServiceError::NotFound { .. } | ServiceError::Invalid(_) => not_found(),
        e => refused(e),
    };
    let built = context::build(svc, caller, request)
        .await
        .map_err(unknown)?;
    // No turns: an empty conversation, or none of that id (which is no resource). Only then
    // is it looked up, so a read is one use case, authorised and charged once.
    if built.messages.is_empty() {
        conversations::get(svc, caller, None, id)
            .await
            .map_err(unknown)?;
    }
    Ok(ReadResourceResult::new(vec![ResourceContents::text(
        built.text, requested,
    )]))
}

/// A use case's refusal as a protocol error: the REST envelope's code and public message.
fn refused(e: ServiceError) -> ErrorData {
    if let ServiceError::Internal(cause) = &e {
        tracing::error!(error = ?cause, "an MCP resource read failed");
    }
    let data = serde_json::json!({ "code": e.code(), "field": e.field() });
    let message = failure::public_message(&e);
    match e {
        ServiceError::Invalid(_) => ErrorData::invalid_params(message, Some(data)),
        ServiceError::Internal(_) | ServiceError::Unavailable(_) | ServiceError::StorageFull(_) => {
            ErrorData::internal_error(message, Some(data))
        }
        _ => ErrorData::invalid_request(message, Some(data)),
    }
}
