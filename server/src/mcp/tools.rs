//! The tools an agent calls, each one use case of [`crate::service`] with the caller's
//! credential. A failure comes back as a tool error (`isError`) carrying the REST API's `code`,
//! `message` and `field`, so a model can read what to change; internal causes are logged here
//! and never shown.

use std::sync::Arc;

use app::wire::{
    context::ContextRequest,
    memory::{
        BatchCreateRequest, ConversationListQuery, CreateMessageRequest, MessageListQuery,
        SearchRequest,
    },
};
use rmcp::{
    handler::server::wrapper::Parameters,
    model::{
        CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult,
        ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams,
        ReadResourceResponse, ServerCapabilities, ServerConfig,
    },
    service::RequestContext,
    tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use super::{
    args::{
        ConversationMessagesArgs, ListConversationsArgs, MessageArgs, RecallArgs, RememberArgs,
    },
    resources,
};
use crate::{
    failure,
    service::{
        self, batch, context, conversations,
        messages::{self, WriteOptions},
        search::Spelling,
        Caller, Presented, ServiceError, Services,
    },
};

/// Where a call's credential comes from.
#[derive(Clone)]
pub enum Identity {
    /// Streamable HTTP: each HTTP request's own credential, authenticated by the door's layer
    /// and carried in the request's extensions.
    PerRequest,
    /// stdio: the one configured credential, checked again on every call, so a revoked key
    /// stops working at once.
    Configured(Arc<SecretString>),
}

/// The Memory Mesh MCP server: its tools over the use cases.
#[derive(Clone)]
pub struct MemoryTools {
    svc: Services,
    identity: Identity,
    /// `Some(false)` embeds writes inline: a process without embedding workers (stdio) must
    /// not leave jobs it cannot run.
    defer: Option<bool>,
}

impl MemoryTools {
    pub fn new(svc: Services, identity: Identity) -> Self {
        let defer = match identity {
            Identity::PerRequest => None,
            Identity::Configured(_) => Some(false),
        };
        Self {
            svc,
            identity,
            defer,
        }
    }

    async fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<Caller, ServiceError> {
        match &self.identity {
            Identity::PerRequest => ctx
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Caller>())
                .cloned()
                .ok_or_else(|| {
                    ServiceError::Unauthenticated("Missing or invalid credentials.".into())
                }),
            Identity::Configured(key) => {
                service::authenticate(&self.svc, Presented::bearer(key.expose_secret())).await
            }
        }
    }
}

#[tool_router]
impl MemoryTools {
    #[tool(
        description = "Store messages of a conversation in long-term memory so they can be \
                       recalled later. Use it for what the user says and decides, facts about \
                       them and their preferences, and your own answers worth keeping. Give the \
                       conversation's id and its messages oldest first. Returns the stored \
                       messages with their ids and importance scores.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false
        )
    )]
    async fn remember(
        &self,
        Parameters(args): Parameters<RememberArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let caller = match self.caller(&ctx).await {
            Ok(caller) => caller,
            Err(e) => return failed(e),
        };
        let mut items: Vec<CreateMessageRequest> = args
            .messages
            .into_iter()
            .map(|m| CreateMessageRequest {
                tenant_id: args.tenant_id.clone(),
                conversation_id: args.conversation_id.clone(),
                role: m.role,
                content: m.content,
                metadata: m.metadata.map(serde_json::Value::Object),
                importance_override: m.importance,
                created_at: m.created_at,
            })
            .collect();
        if items.len() == 1 {
            let one = items.pop().expect("one item");
            return answer(
                messages::create(&self.svc, &caller, one, WriteOptions::deferred(self.defer))
                    .await
                    .map(|m| json!({ "stored": [m], "errors": [] })),
            );
        }
        let request = BatchCreateRequest { messages: items };
        match batch::create(
            &self.svc,
            &caller,
            request,
            WriteOptions::deferred(self.defer),
        )
        .await
        {
            Ok(done) => {
                let value = json!({ "stored": done.created, "errors": done.errors });
                if done.created.is_empty() && !done.errors.is_empty() {
                    CallToolResult::structured_error(value)
                } else {
                    CallToolResult::structured(value)
                }
            }
            Err(e) => failed(e),
        }
    }

    #[tool(
        description = "Search long-term memory: what do I remember about something? Use it \
                       before answering whenever earlier conversations may matter (the user's \
                       preferences, facts, decisions, past questions). Returns matching \
                       messages best first, each with its conversation, time and score; filter \
                       by conversation, role, importance, time or metadata.",
        annotations(read_only_hint = true)
    )]
    async fn recall(
        &self,
        Parameters(args): Parameters<RecallArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let request = SearchRequest {
            tenant_id: args.tenant_id,
            query: args.query,
            top_k: Some(args.top_k.unwrap_or(10)),
            conversation_id: args.conversation_id,
            role: args.role,
            importance_min: args.importance_min,
            start: args.start,
            end: args.end,
            metadata: args.metadata,
            mode: args.mode,
            include_archived: args.include_archived,
            ..SearchRequest::default()
        };
        answer(
            async {
                let caller = self.caller(&ctx).await?;
                service::search::run(&self.svc, &caller, request, Spelling::Text).await
            }
            .await,
        )
    }

    #[tool(
        description = "Get a ready-to-paste block of memories for a prompt, within a token \
                       budget: the latest turns of the current conversation, then the memories \
                       most relevant to the query with the turns around them, in reading order. \
                       Use it to ground an answer in what was said before. The text comes \
                       first; the structured result lists each message and what was dropped \
                       for the budget.",
        annotations(read_only_hint = true)
    )]
    async fn context(
        &self,
        Parameters(request): Parameters<ContextRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let built = async {
            let caller = self.caller(&ctx).await?;
            context::build(&self.svc, &caller, request).await
        };
        match built.await {
            Ok(built) => {
                let text = built.text.clone();
                let mut result = structured(&built);
                result.content = vec![ContentBlock::text(text)];
                result
            }
            Err(e) => failed(e),
        }
    }

    #[tool(
        description = "Delete one stored message for good, by its id: when the user asks you \
                       to forget something, or a memory is wrong. Needs a credential that may \
                       write (a read-only key is refused).",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true
        )
    )]
    async fn forget(
        &self,
        Parameters(args): Parameters<MessageArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(
            async {
                let caller = self.caller(&ctx).await?;
                let tenant = args.tenant_id.as_deref();
                messages::delete(&self.svc, &caller, tenant, &args.message_id).await?;
                Ok(json!({ "deleted": args.message_id }))
            }
            .await,
        )
    }

    #[tool(
        description = "List the conversations in memory, most recently active first, with \
                       their titles, message counts and last activity. Use it to find a \
                       conversation by id or title text; page with `cursor`.",
        annotations(read_only_hint = true)
    )]
    async fn list_conversations(
        &self,
        Parameters(args): Parameters<ListConversationsArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let query = ConversationListQuery {
            tenant_id: args.tenant_id,
            archived: args.archived,
            page: None,
            page_size: args.page_size,
            updated_since: None,
            cursor: args.cursor,
            q: args.q,
        };
        answer(
            async {
                let caller = self.caller(&ctx).await?;
                conversations::list(&self.svc, &caller, query).await
            }
            .await,
        )
    }

    #[tool(
        description = "Read a conversation's messages in order (oldest first, or newest first \
                       with order=desc), a page at a time; follow `next_cursor` for more.",
        annotations(read_only_hint = true)
    )]
    async fn get_conversation_messages(
        &self,
        Parameters(args): Parameters<ConversationMessagesArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let query = MessageListQuery {
            tenant_id: args.tenant_id,
            order: args.order,
            include_archived: args.include_archived.unwrap_or(false),
            page_size: args.page_size,
            cursor: args.cursor,
        };
        answer(
            async {
                let caller = self.caller(&ctx).await?;
                conversations::messages(&self.svc, &caller, &args.conversation_id, query).await
            }
            .await,
        )
    }

    #[tool(
        description = "Read one stored message by its id, with its metadata, importance and \
                       embedding status.",
        annotations(read_only_hint = true)
    )]
    async fn get_message(
        &self,
        Parameters(args): Parameters<MessageArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(
            async {
                let caller = self.caller(&ctx).await?;
                let tenant = args.tenant_id.as_deref();
                messages::get(&self.svc, &caller, tenant, &args.message_id).await
            }
            .await,
        )
    }
}

#[tool_handler]
impl ServerHandler for MemoryTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new(
            "memory-mesh",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "Memory Mesh is long-term memory shared across conversations. Call `recall` (or \
             `context` for a ready prompt block) before answering when earlier conversations \
             may matter, and `remember` to store what is worth keeping. Ids from one tool's \
             results are the ids the others take. Each recent conversation's latest turns are \
             also a resource.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let caller = self.caller(&ctx).await.map_err(unauthenticated)?;
        resources::list(&self.svc, &caller).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = self.caller(&ctx).await.map_err(unauthenticated)?;
        Ok(resources::read(&self.svc, &caller, &request.uri)
            .await?
            .into())
    }
}

fn unauthenticated(e: ServiceError) -> ErrorData {
    ErrorData::invalid_request(failure::public_message(&e), None)
}

fn answer<T: Serialize>(result: Result<T, ServiceError>) -> CallToolResult {
    match result {
        Ok(value) => structured(&value),
        Err(e) => failed(e),
    }
}

fn structured<T: Serialize>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(value) => CallToolResult::structured(value),
        Err(e) => failed(ServiceError::Internal(e.into())),
    }
}

/// A use case's failure as a tool error: the REST envelope's fields, and a sentence for the
/// model to read.
fn failed(e: ServiceError) -> CallToolResult {
    if let ServiceError::Internal(cause) = &e {
        tracing::error!(error = ?cause, "an MCP tool failed");
    }
    let message = failure::public_message(&e);
    let mut text = format!("{}: {message}", e.code());
    if let Some(field) = e.field() {
        text.push_str(&format!(" (field: {field})"));
    }
    let mut result = CallToolResult::structured_error(json!({
        "error": { "code": e.code(), "message": message, "field": e.field() }
    }));
    result.content = vec![ContentBlock::text(text)];
    result
}
