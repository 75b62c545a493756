//! The OpenAPI document, served without credentials at `GET /v1/openapi.json`.
//!
//! Every REST route is registered through `utoipa_axum::routes!`, which takes the method and path
//! from the handler's `#[utoipa::path]`: the router and its documentation cannot drift apart. This
//! module adds what no single handler knows: the title, the tags and the two credentials.

use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Memory Mesh",
        description = "Semantic memory for AI applications: store conversation messages per tenant, \
            and search them ranked by similarity, importance and recency. Every error has the shape \
            `{\"error\": {\"code\", \"message\", \"request_id\", \"field\"?}}`; the tenant always comes \
            from the credential.",
    ),
    modifiers(&Credentials),
    security(("bearer" = []), ("api_key" = [])),
    tags(
        (name = "auth", description = "Accounts, sessions and profiles"),
        (name = "api-keys", description = "Tenant-bound keys for applications (`mm_…`)"),
        (name = "members", description = "Who belongs to a tenant, with which role"),
        (name = "messages", description = "Conversation messages, one at a time or in batches"),
        (name = "conversations", description = "Conversations and their statistics"),
        (name = "search", description = "What do I remember about X?"),
        (name = "analytics", description = "Usage views"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

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
