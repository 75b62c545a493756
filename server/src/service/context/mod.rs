//! "What should the model know right now?": the best memories for a query, with the turns
//! beside them, and the latest turns of the conversation being held, packed into a token
//! budget ([`pack`]) as ready-to-paste text and as data. The search is the tenant's search
//! (its ranking, its rules); tokens are counted by [`crate::embed::tokens::TokenCounter`].

mod pack;

use std::collections::HashMap;

use app::wire::{
    context::{ContextMessage, ContextRequest, ContextResponse},
    memory::SearchRequest,
};
use chrono::DateTime;
use uuid::Uuid;

use self::pack::{Candidate, Found};
use super::{
    search::{self, Spelling},
    Access, Caller, Result, ServiceError, Services, TenantContext,
};
use crate::{
    domain::messages::conversation_id,
    store::{entities::messages, messages as store, neighbours},
};

/// The bounds of a request's budget, latest turns and neighbours (its `top_k` is search's).
pub const MAX_TOKENS: std::ops::RangeInclusive<u32> = 16..=32_000;
pub const RECENT_TURNS: std::ops::RangeInclusive<u32> = 0..=50;
pub const NEIGHBOURS: std::ops::RangeInclusive<u32> = 0..=5;

/// A request's limits, its defaults applied.
struct Limits {
    max_tokens: u32,
    recent_turns: u32,
    top_k: u32,
    neighbours: u32,
}

fn within(
    field: &str,
    value: Option<u32>,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32> {
    let v = value.unwrap_or(default);
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ServiceError::invalid(
            field,
            format!("must be an integer in {}..{}", range.start(), range.end()),
        ))
    }
}

impl Limits {
    fn of(req: &ContextRequest) -> Result<Self> {
        let recent_default = if req.conversation_id.is_some() { 10 } else { 0 };
        Ok(Self {
            max_tokens: within("max_tokens", req.max_tokens, MAX_TOKENS, 1000)?,
            recent_turns: within(
                "recent_turns",
                req.recent_turns,
                RECENT_TURNS,
                recent_default,
            )?,
            top_k: within("top_k", req.top_k, 1..=search::MAX_TOP_K, 20)?,
            neighbours: within("neighbours", req.neighbours, NEIGHBOURS, 1)?,
        })
    }
}

/// A stored message as a latest turn or a neighbour (neither has a score).
fn candidate(m: messages::Model, source: &str) -> Candidate {
    Candidate {
        at: m.created_at,
        message: ContextMessage {
            message_id: m.id.to_string(),
            conversation_id: m.conversation_id,
            role: m.role,
            content: m.content,
            created_at: m.created_at.to_rfc3339(),
            source: source.into(),
            score: None,
            tokens: 0,
        },
    }
}

/// Builds the context for `req` in the caller's tenant.
pub async fn build(
    svc: &Services,
    caller: &Caller,
    req: ContextRequest,
) -> Result<ContextResponse> {
    let tenant = caller
        .authorise_and_charge(svc, req.tenant_id.as_deref(), Access::Read)
        .await?;
    let limits = Limits::of(&req)?;
    let query = req
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let conversation = req
        .conversation_id
        .as_deref()
        .map(conversation_id)
        .transpose()?;
    if query.is_none() && conversation.is_none() {
        return Err(ServiceError::invalid(
            "query",
            "give a query, a conversation_id, or both",
        ));
    }
    if limits.recent_turns > 0 && conversation.is_none() {
        return Err(ServiceError::invalid(
            "recent_turns",
            "needs the conversation_id whose turns to include",
        ));
    }
    // The latest turns and the memories are independent reads: both at once.
    let recent = async {
        match &conversation {
            Some(c) if limits.recent_turns > 0 => {
                latest(svc, &tenant.tenant_id, c, limits.recent_turns).await
            }
            _ => Ok(Vec::new()),
        }
    };
    let found = async {
        match query {
            Some(q) => memories(svc, &tenant, q, &limits).await,
            None => Ok(Vec::new()),
        }
    };
    let (recent, found) = tokio::try_join!(recent, found)?;
    let counter = &svc.tokens;
    let strings = pack::to_count(&recent, &found);
    let counts = counter.count(strings.clone()).await;
    let tokens: HashMap<String, u32> = strings.into_iter().zip(counts).collect();
    let packed = pack::pack(recent, found, limits.max_tokens, &tokens);
    let total = counter.count(vec![packed.text.clone()]).await;
    Ok(ContextResponse {
        tokens: total.first().copied().unwrap_or_default(),
        max_tokens: limits.max_tokens,
        token_counter: counter.name().into(),
        text: packed.text,
        messages: packed.messages,
        dropped: packed.dropped,
    })
}

/// The conversation's latest `n` live turns, oldest first.
async fn latest(
    svc: &Services,
    tenant: &str,
    conversation: &str,
    n: u32,
) -> Result<Vec<Candidate>> {
    let listing = store::MessageListing {
        newest_first: true,
        include_archived: false,
        after: None,
        limit: u64::from(n),
    };
    let mut found =
        store::conversation_messages(svc.reader(tenant), tenant, conversation, &listing).await?;
    found.reverse();
    Ok(found.into_iter().map(|m| candidate(m, "recent")).collect())
}

/// The query's memories, best first, each with up to `neighbours` live turns either side.
async fn memories(
    svc: &Services,
    tenant: &TenantContext,
    query: &str,
    limits: &Limits,
) -> Result<Vec<Found>> {
    let request = SearchRequest {
        query: query.to_owned(),
        top_k: Some(limits.top_k),
        ..Default::default()
    };
    let hits = search::run_in(svc, tenant, request, Spelling::Json)
        .await?
        .items;
    // A hit already carries what the context shows; only its neighbours are read, all in
    // one statement.
    let memories: Vec<(Candidate, Uuid)> = hits
        .into_iter()
        .filter_map(|h| {
            let id = Uuid::parse_str(&h.message_id).ok()?;
            let at = DateTime::parse_from_rfc3339(&h.created_at).ok()?.to_utc();
            let memory = Candidate {
                at,
                message: ContextMessage {
                    message_id: h.message_id,
                    conversation_id: h.conversation_id,
                    role: h.role,
                    content: h.content,
                    created_at: h.created_at,
                    source: "memory".into(),
                    score: Some(h.score),
                    tokens: 0,
                },
            };
            Some((memory, id))
        })
        .collect();
    let positions: Vec<neighbours::Position> = memories
        .iter()
        .map(|(m, id)| (m.message.conversation_id.as_str(), m.at, *id))
        .collect();
    let around = neighbours::around(
        svc.reader(&tenant.tenant_id),
        &tenant.tenant_id,
        &positions,
        u64::from(limits.neighbours),
    )
    .await?;
    Ok(memories
        .into_iter()
        .zip(around)
        .map(|((memory, _), turns)| Found {
            memory,
            neighbours: turns
                .into_iter()
                .map(|m| candidate(m, "neighbour"))
                .collect(),
        })
        .collect())
}
