//! The OpenAPI document, served without credentials at `GET /v1/openapi.json`.
//!
//! Every REST route is registered through `utoipa_axum::routes!`, which takes the method and path
//! from the handler's `#[utoipa::path]`: the router and its documentation cannot drift apart. This
//! module adds what no single handler knows: the title, the tags and the two credentials.

use std::collections::BTreeMap;

use utoipa::{
    openapi::{
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, Ref, RefOr, Response, ResponseBuilder,
    },
    IntoResponses, Modify, OpenApi,
};

/// The error answers routes share, each documented once with the envelope as its body; a
/// handler lists the ones it can give (`responses((status = 200, …), Unauthorized, Forbidden)`).
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let body = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", body)
                    .build();
                BTreeMap::from([($status.to_owned(), RefOr::T(response))])
            }
        }
    )*};
}

error_responses! {
    /// 401: no credential, or one that is not (or no longer) valid.
    Unauthorized = "401", "No valid credential";
    /// 403: the credential may not do this (in this tenant).
    Forbidden = "403", "Not allowed for this credential or role";
    /// 404: no such id in the caller's tenant (another tenant's ids included).
    NotFound = "404", "No such id in the tenant";
    /// 409: it conflicts with the current state (a name taken, a run in progress).
    Conflict = "409", "Conflicts with the current state";
    /// 422: a field is invalid; `error.field` names it.
    Invalid = "422", "Invalid field (named in `error.field`)";
}

/// The `Idempotency-Key` header of the writes that take one.
pub struct IdempotencyKeyHeader;

impl utoipa::IntoParams for IdempotencyKeyHeader {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::{
            path::{ParameterBuilder, ParameterIn},
            ObjectBuilder, Required, Type,
        };
        let max = crate::service::idempotency::MAX_LEN;
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(max));
        vec![ParameterBuilder::new()
            .name(crate::service::idempotency::HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(format!(
                "Carries the write out once: a retry with the same key within {} hours answers \
                 the first answer (status and body) and stores nothing twice; the same key with \
                 another request is 422. 1 to {max} visible ASCII characters, per tenant.",
                crate::service::idempotency::KEPT_HOURS
            )))
            .schema(Some(schema))
            .build()]
    }
}

/// States the limits every request is served under, as this server is configured, in the
/// document's description: the body size and the request timeout.
pub fn state_limits(doc: &mut serde_json::Value, max_body_bytes: usize, timeout_seconds: u64) {
    let Some(description) = doc["info"]["description"].as_str() else {
        return;
    };
    doc["info"]["description"] = format!(
        "{description}\n\nLimits: a request body may hold at most {max_body_bytes} bytes \
         (`MEMORY_MAX_BODY_BYTES`; 413 beyond), and a request is answered within \
         {timeout_seconds} s (`MEMORY_REQUEST_TIMEOUT_SECONDS`; 504 beyond). An inline write \
         waits for its embedding at most half that time: past it the write is stored and \
         answered 202 with its messages `pending`, embedded by the job queue."
    )
    .into();
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Memory Mesh",
        description = "Semantic memory for AI applications: store conversation messages per tenant, \
            and search them ranked by similarity, importance and recency. Every error has the shape \
            `{\"error\": {\"code\", \"message\", \"request_id\", \"field\"?}}`; the tenant always comes \
            from the credential. Live events and streaming search are WebSocket protocols, described at \
            [/docs/websocket](/docs/websocket).",
    ),
    components(schemas(app::wire::error::ErrorBody)),
    modifiers(&Credentials),
    security(("bearer" = []), ("api_key" = [])),
    tags(
        (name = "auth", description = "Accounts, sessions and profiles"),
        (name = "api-keys", description = "Tenant-bound keys for applications (`mm_…`)"),
        (name = "members", description = "Who belongs to a tenant, with which role"),
        (name = "tenants", description = "Create, list, rename and delete tenants"),
        (name = "audit", description = "Who did what and when"),
        (name = "messages", description = "Conversation messages, one at a time or in batches"),
        (name = "conversations", description = "Conversations and their statistics"),
        (name = "search", description = "What do I remember about X?"),
        (name = "retention", description = "Policies, rules, runs, archive and restore"),
        (name = "analytics", description = "Usage views"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// Gives every operation an id that is unique in the document (client generators need it,
/// and the specification requires it) and stable: its tag and its handler's name
/// (`conversations_list`), or the handler's name alone where it already starts with the tag
/// (`search_get`). utoipa names an operation after its handler, and handlers are named by
/// action (`list`, `create`) within their resource's module.
pub fn unique_operation_ids(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let tag = operation["tags"][0]
            .as_str()
            .unwrap_or("api")
            .replace('-', "_");
        let Some(name) = operation.get("operationId").and_then(|n| n.as_str()) else {
            continue;
        };
        if !name.starts_with(&tag) {
            operation["operationId"] = format!("{tag}_{name}").into();
        }
    }
}

/// A session's access token or an API key as a bearer token, or an API key in `x-api-key`.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("access token (JWT) or API key (mm_…)")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
    }
}

/// The people's side of the document: Swagger UI at `/docs` (assets compiled into the binary),
/// reading `/v1/openapi.json`, and the WebSocket protocols at `/docs/websocket`.
pub fn interactive<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    use utoipa_swagger_ui::{Config, SwaggerUi};
    let ui = SwaggerUi::new("/docs").config(Config::from("/v1/openapi.json"));
    let page = websocket_page();
    axum::Router::from(ui).route(
        "/docs/websocket",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    )
}

/// `docs/websocket.md`, rendered once into a standalone page.
fn websocket_page() -> &'static str {
    use std::sync::OnceLock;
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let markdown = include_str!("../../../docs/websocket.md");
        let mut body = String::new();
        pulldown_cmark::html::push_html(
            &mut body,
            pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES),
        );
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Memory Mesh WebSocket protocols</title><style>body{{font-family:system-ui,\
             sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
             pre{{background:#f4f4f4;padding:.75rem;overflow:auto}}table{{border-collapse:\
             collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem}}</style></head><body>\
             <p><a href=\"/docs\">REST API</a></p>{body}</body></html>"
        )
    })
}
