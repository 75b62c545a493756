//! The real bounds of the validated fields and query parameters, written into the OpenAPI
//! document from the constants validation itself uses, so the two cannot drift apart and a
//! client (or a fuzzer) generating from the document produces requests the server accepts.
//!
//! [`apply`] edits the serialised document: `minLength`/`maxLength`, `minimum`/`maximum`,
//! `minItems`/`maxItems`, `pattern` and `enum` on the named properties and parameters.

use serde_json::{json, Value};

use crate::{
    domain::{
        ids::{
            EMAIL_PATTERN, ID_PATTERN, MAX_CONVERSATION_ID_CHARS, MAX_DISPLAY_NAME_CHARS,
            MAX_EMAIL_CHARS, MAX_TENANT_ID_CHARS, PASSWORD_CHARS, PASSWORD_PATTERN, USERNAME_CHARS,
            USERNAME_PATTERN, UUID_PATTERN,
        },
        messages::MAX_CONTENT_CHARS,
        retention::DAYS,
    },
    service::{audit, batch::MAX_BATCH, context, conversations, search},
};

/// One constraint of a field or parameter.
#[derive(Clone, Copy)]
enum Bound {
    /// Characters, inclusive.
    Length(usize, usize),
    /// Whole numbers, inclusive.
    Whole(i64, i64),
    /// Any number, inclusive.
    Number(f64, f64),
    /// Array items, inclusive.
    Items(usize, usize),
    Pattern(&'static str),
    OneOf(&'static [&'static str]),
}

use Bound::*;

/// Tenant and conversation ids, metadata keys.
const ID: Bound = Pattern(ID_PATTERN);
const TENANT: [Bound; 2] = [Length(1, MAX_TENANT_ID_CHARS), ID];
const CONVERSATION: [Bound; 2] = [Length(1, MAX_CONVERSATION_ID_CHARS), ID];
const ROLE: Bound = OneOf(&["user", "assistant", "system"]);
const MODE: Bound = OneOf(&["vector", "lexical", "hybrid"]);
const FUSION: Bound = OneOf(&["score", "rrf"]);
const FRACTION: Bound = Number(0.0, 1.0);
const NAME: Bound = Length(1, MAX_DISPLAY_NAME_CHARS);
/// A person's name may be empty (none given).
const FULL_NAME: Bound = Length(0, MAX_DISPLAY_NAME_CHARS);
const PASSWORD: [Bound; 2] = [
    Length(*PASSWORD_CHARS.start(), *PASSWORD_CHARS.end()),
    Pattern(PASSWORD_PATTERN),
];
const EMAIL: [Bound; 2] = [Length(3, MAX_EMAIL_CHARS), Pattern(EMAIL_PATTERN)];
const USERNAME: [Bound; 2] = [
    Length(*USERNAME_CHARS.start(), *USERNAME_CHARS.end()),
    Pattern(USERNAME_PATTERN),
];
const UUID: Bound = Pattern(UUID_PATTERN);

fn days() -> Bound {
    Whole(*DAYS.start(), *DAYS.end())
}

fn whole(range: std::ops::RangeInclusive<u32>) -> Bound {
    Whole(i64::from(*range.start()), i64::from(*range.end()))
}

fn top_k() -> Bound {
    Whole(1, i64::from(search::MAX_TOP_K))
}

fn query() -> Bound {
    Length(1, search::MAX_QUERY_CHARS)
}

/// `(schema, property, bounds)` of request bodies.
fn properties() -> Vec<(&'static str, &'static str, Vec<Bound>)> {
    let content = Length(1, MAX_CONTENT_CHARS);
    let batch = Items(1, MAX_BATCH);
    vec![
        ("CreateMessageRequest", "tenant_id", TENANT.to_vec()),
        (
            "CreateMessageRequest",
            "conversation_id",
            CONVERSATION.to_vec(),
        ),
        ("CreateMessageRequest", "role", vec![ROLE]),
        ("CreateMessageRequest", "content", vec![content]),
        (
            "CreateMessageRequest",
            "importance_override",
            vec![FRACTION],
        ),
        ("UpdateMessageRequest", "content", vec![content]),
        (
            "UpdateMessageRequest",
            "importance_override",
            vec![FRACTION],
        ),
        ("BatchCreateRequest", "messages", vec![batch]),
        ("BatchUpdateRequest", "updates", vec![batch]),
        ("BatchDeleteRequest", "message_ids", vec![batch]),
        ("SearchRequest", "tenant_id", TENANT.to_vec()),
        ("SearchRequest", "query", vec![query()]),
        ("SearchRequest", "top_k", vec![top_k()]),
        ("SearchRequest", "conversation_id", CONVERSATION.to_vec()),
        ("SearchRequest", "role", vec![ROLE]),
        ("SearchRequest", "importance_min", vec![FRACTION]),
        ("SearchRequest", "mode", vec![MODE]),
        ("SearchRequest", "fusion", vec![FUSION]),
        ("ContextRequest", "tenant_id", TENANT.to_vec()),
        (
            "ContextRequest",
            "query",
            vec![Length(0, search::MAX_QUERY_CHARS)],
        ),
        ("ContextRequest", "conversation_id", CONVERSATION.to_vec()),
        (
            "ContextRequest",
            "max_tokens",
            vec![whole(context::MAX_TOKENS)],
        ),
        (
            "ContextRequest",
            "recent_turns",
            vec![whole(context::RECENT_TURNS)],
        ),
        ("ContextRequest", "top_k", vec![top_k()]),
        (
            "ContextRequest",
            "neighbours",
            vec![whole(context::NEIGHBOURS)],
        ),
        (
            "CreateConversationRequest",
            "conversation_id",
            CONVERSATION.to_vec(),
        ),
        ("CreateConversationRequest", "tenant_id", TENANT.to_vec()),
        ("RegisterRequest", "email", EMAIL.to_vec()),
        ("RegisterRequest", "username", USERNAME.to_vec()),
        ("RegisterRequest", "password", PASSWORD.to_vec()),
        ("RegisterRequest", "full_name", vec![FULL_NAME]),
        ("UpdateMeRequest", "email", EMAIL.to_vec()),
        ("UpdateMeRequest", "username", USERNAME.to_vec()),
        ("UpdateMeRequest", "full_name", vec![FULL_NAME]),
        ("AddMemberRequest", "user", vec![Length(1, MAX_EMAIL_CHARS)]),
        ("AddMemberRequest", "user_id", vec![UUID]),
        ("RegisterRequest", "tenant_id", TENANT.to_vec()),
        ("ChangePasswordRequest", "new_password", PASSWORD.to_vec()),
        ("CreateTenantRequest", "id", TENANT.to_vec()),
        ("CreateTenantRequest", "name", vec![NAME]),
        ("UpdateTenantRequest", "name", vec![NAME]),
        ("CreateApiKeyRequest", "name", vec![NAME]),
        ("CreateApiKeyRequest", "tenant_id", TENANT.to_vec()),
        (
            "CreateApiKeyRequest",
            "scope",
            vec![OneOf(&["read", "write"])],
        ),
        ("CreateApiKeyRequest", "expires_days", vec![days()]),
        ("UpdateRetentionPolicy", "max_age_days", vec![days()]),
        ("UpdateRetentionPolicy", "min_age_days", vec![days()]),
        ("UpdateRetentionPolicy", "delete_after_days", vec![days()]),
        (
            "UpdateRetentionPolicy",
            "importance_threshold",
            vec![FRACTION],
        ),
        (
            "UpdateRetentionPolicy",
            "max_items",
            vec![Whole(1, i64::MAX)],
        ),
        ("CreateRetentionRule", "name", vec![NAME]),
        ("CreateRetentionRule", "priority", vec![Whole(1, 1000)]),
        (
            "CreateRetentionRule",
            "rule_type",
            vec![OneOf(&[
                "age",
                "importance",
                "conversation_age",
                "max_items",
                "custom",
            ])],
        ),
        (
            "CreateRetentionRule",
            "action",
            vec![OneOf(&["archive", "delete", "move_to_cold_storage"])],
        ),
        ("UpdateRetentionRule", "name", vec![NAME]),
        ("UpdateRetentionRule", "priority", vec![Whole(1, 1000)]),
    ]
}

/// `(path, parameter, bounds)` of query and path parameters; a path ending in `*` is every
/// path it begins (`*` alone: every path).
fn parameters() -> Vec<(&'static str, &'static str, Vec<Bound>)> {
    let page_size = Whole(1, conversations::MAX_PAGE_SIZE as i64);
    vec![
        ("*", "tenant_id", TENANT.to_vec()),
        ("/v1/conversations/{id}*", "id", CONVERSATION.to_vec()),
        ("/v1/messages/{id}*", "id", vec![UUID]),
        ("/v1/retention/rules/{id}*", "id", vec![UUID]),
        ("/v1/retention/runs/{id}*", "id", vec![UUID]),
        ("/v1/auth/api-keys/{id}", "id", vec![UUID]),
        ("/v1/auth/sessions/{id}", "id", vec![UUID]),
        (
            "/v1/tenants/{tenant_id}/members/{user_id}",
            "user_id",
            vec![UUID],
        ),
        ("/v1/memory/search", "query", vec![query()]),
        ("/v1/memory/search", "top_k", vec![top_k()]),
        ("/v1/memory/search", "mode", vec![MODE]),
        ("/v1/memory/search", "fusion", vec![FUSION]),
        ("/v1/memory/search", "role", vec![ROLE]),
        ("/v1/memory/search", "importance_min", vec![FRACTION]),
        (
            "/v1/memory/search",
            "conversation_id",
            CONVERSATION.to_vec(),
        ),
        ("/v1/analytics/trends", "days", vec![Whole(1, 365)]),
        (
            "/v1/analytics/top-conversations",
            "limit",
            vec![Whole(1, 100)],
        ),
        (
            "/v1/conversations",
            "page",
            vec![Whole(1, conversations::MAX_PAGE as i64)],
        ),
        ("/v1/conversations", "page_size", vec![page_size]),
        (
            "/v1/conversations/{id}/messages",
            "page_size",
            vec![page_size],
        ),
        (
            "/v1/conversations/{id}/messages",
            "order",
            vec![OneOf(&["asc", "desc"])],
        ),
        (
            "/v1/audit",
            "page_size",
            vec![Whole(1, audit::MAX_PAGE as i64)],
        ),
        ("/v1/retention/runs", "page_size", vec![Whole(1, 200)]),
    ]
}

/// Writes `bounds` into the JSON schema `schema`.
fn constrain(schema: &mut Value, bounds: &[Bound]) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let nullable = object
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    for bound in bounds {
        match *bound {
            Length(min, max) => {
                object.insert("minLength".into(), json!(min));
                object.insert("maxLength".into(), json!(max));
            }
            Whole(min, max) => {
                object.insert("minimum".into(), json!(min));
                object.insert("maximum".into(), json!(max));
            }
            Number(min, max) => {
                object.insert("minimum".into(), json!(min));
                object.insert("maximum".into(), json!(max));
            }
            Items(min, max) => {
                object.insert("minItems".into(), json!(min));
                object.insert("maxItems".into(), json!(max));
            }
            Pattern(p) => {
                object.insert("pattern".into(), json!(p));
            }
            OneOf(values) => {
                let mut allowed: Vec<Value> = values.iter().map(|v| json!(v)).collect();
                if nullable {
                    allowed.push(Value::Null);
                }
                object.insert("enum".into(), Value::Array(allowed));
            }
        }
    }
}

/// Writes every bound into `doc`. A name the document does not hold is a programming error,
/// caught by the OpenAPI test (which checks the bounds are there).
pub fn apply(doc: &mut Value) {
    for (schema, property, bounds) in properties() {
        if let Some(p) = doc.pointer_mut(&format!(
            "/components/schemas/{schema}/properties/{property}"
        )) {
            constrain(p, &bounds);
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, parameter, bounds) in parameters() {
        for (at, operations) in paths.iter_mut() {
            let applies = match path.strip_suffix('*') {
                Some(prefix) => at.starts_with(prefix),
                None => path == at,
            };
            if !applies {
                continue;
            }
            let Some(operations) = operations.as_object_mut() else {
                continue;
            };
            for operation in operations.values_mut() {
                let Some(list) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for p in list.iter_mut().filter(|p| p["name"] == parameter) {
                    if let Some(schema) = p.get_mut("schema") {
                        constrain(schema, &bounds);
                    }
                }
            }
        }
    }
}
