//! `/v1/openapi.json`: public, and true to the server — every documented operation exists, and
//! exactly the operations documented as needing no credential answer without one.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_describes_the_running_server() {
    let app = spawn_app(Backend::Sqlite).await;
    let r = app.get("/v1/openapi.json").await;
    assert_eq!(r.status(), 200, "served without credentials");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Memory Mesh");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "x-api-key");
    assert!(doc["components"]["schemas"]["MessageResponse"].is_object());
    // The shared error answers point at the envelope's schema, which the document holds.
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let refused = &doc["paths"]["/v1/messages"]["post"]["responses"]["401"];
    assert_eq!(
        refused["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
        "{refused}"
    );

    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/v1/messages",
        "/v1/messages/{id}",
        "/v1/messages/batch",
        "/v1/memory/search",
        "/v1/conversations/{id}/stats",
        "/v1/auth/api-keys/{id}",
        "/v1/tenants/{tenant_id}/members/{user_id}",
        "/v1/analytics/tenants",
    ] {
        assert!(paths.contains_key(expected), "{expected} is documented");
    }

    let mut operations = 0;
    let mut public = Vec::new();
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().unwrap() {
            let Ok(m) = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue; // not an operation (e.g. shared parameters)
            };
            operations += 1;
            let r = app
                .client
                .request(m, app.url(&concrete))
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but the server answers {status}"
            );
            let open = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|req| req.as_object().unwrap().is_empty()));
            if open {
                public.push(format!("{method} {path}"));
                assert_ne!(status, 401, "{method} {path} is documented as public");
            } else {
                assert_eq!(
                    status, 401,
                    "{method} {path} is documented as needing a credential"
                );
            }
        }
    }
    assert!(operations >= 30, "{operations} operations");
    public.sort();
    assert_eq!(
        public,
        [
            "get /v1/admin/health",
            "get /v1/admin/readiness",
            "post /v1/auth/login",
            "post /v1/auth/refresh",
            "post /v1/auth/register",
            "post /v1/auth/session",
        ]
    );
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "no asset comes from elsewhere: {html}"
    );
    // The initialiser points Swagger UI at this server's own document.
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/v1/openapi.json"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.bytes().await.unwrap().len() > 100_000,
        "the real bundle"
    );

    let ws = app.get("/docs/websocket").await;
    assert_eq!(ws.status(), 200);
    let html = ws.text().await.unwrap();
    for topic in [
        "/v1/ws/messages/",
        "/v1/ws/stream/",
        "resume",
        "4401",
        "4008",
    ] {
        assert!(html.contains(topic), "the WebSocket page covers {topic}");
    }
}

#[tokio::test]
async fn the_document_states_the_bounds_validation_enforces() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_TENANT_RATE_LIMIT".into(), "100000/minute".into())],
            ..Options::no_workers()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    store(&app, token, "c1", "user", "something to list").await;
    let doc: Value = app.get("/v1/openapi.json").await.json().await.unwrap();

    // Body bounds are the constants validation uses.
    let schema = |name: &str, property: &str| {
        doc["components"]["schemas"][name]["properties"][property].clone()
    };
    let content = schema("CreateMessageRequest", "content");
    assert_eq!(
        content["maxLength"],
        server::domain::messages::MAX_CONTENT_CHARS,
        "{content}"
    );
    assert_eq!(
        schema("SearchRequest", "top_k")["maximum"],
        server::service::search::MAX_TOP_K
    );
    assert_eq!(
        schema("BatchCreateRequest", "messages")["maxItems"],
        server::service::batch::MAX_BATCH
    );
    assert_eq!(
        schema("CreateMessageRequest", "role")["enum"],
        serde_json::json!(["user", "assistant", "system"])
    );
    assert!(schema("CreateTenantRequest", "id")["pattern"].is_string());
    // Accounts: the email, username and password rules.
    use server::domain::ids::{EMAIL_PATTERN, PASSWORD_PATTERN, USERNAME_PATTERN, UUID_PATTERN};
    assert_eq!(schema("RegisterRequest", "email")["pattern"], EMAIL_PATTERN);
    assert_eq!(
        schema("RegisterRequest", "username")["pattern"],
        USERNAME_PATTERN
    );
    assert_eq!(
        schema("RegisterRequest", "password")["pattern"],
        PASSWORD_PATTERN
    );
    // Path ids: a conversation's id rule, a UUID for what the server names.
    let path_id = |path: &str, method: &str| {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "id")
            .unwrap()["schema"]["pattern"]
            .clone()
    };
    assert_eq!(
        path_id("/v1/conversations/{id}/messages", "get"),
        server::domain::ids::ID_PATTERN
    );
    assert_eq!(path_id("/v1/messages/{id}/archive", "post"), UUID_PATTERN);
    assert_eq!(path_id("/v1/retention/runs/{id}", "get"), UUID_PATTERN);
    // One body bound probed on each side.
    for (len, status) in [
        (server::domain::messages::MAX_CONTENT_CHARS, 201),
        (server::domain::messages::MAX_CONTENT_CHARS + 1, 422),
    ] {
        let r = post_message(
            &app,
            token,
            serde_json::json!({"conversation_id": "c1", "role": "user", "content": "a".repeat(len)}),
        )
        .await;
        assert_eq!(r.status(), status, "content of {len} characters");
    }

    // Every bounded whole-number query parameter of a GET route: its bounds are accepted, one
    // past either is refused with 422 naming it.
    let mut probed = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else {
            continue;
        };
        let path = match path.as_str() {
            "/v1/conversations/{id}/messages" => "/v1/conversations/c1/messages".to_owned(),
            p if p.contains('{') => continue,
            p => p.to_owned(),
        };
        let empty = Vec::new();
        let parameters = get["parameters"].as_array().unwrap_or(&empty);
        let required: String = parameters
            .iter()
            .filter(|p| p["required"] == true && p["in"] == "query")
            .map(|p| format!("&{}=x", p["name"].as_str().unwrap()))
            .collect();
        for p in parameters {
            let (Some(min), Some(max)) = (
                p["schema"]["minimum"].as_i64(),
                p["schema"]["maximum"].as_i64(),
            ) else {
                continue;
            };
            let name = p["name"].as_str().unwrap();
            for (value, accepted) in [(min, true), (max, true), (min - 1, false), (max + 1, false)]
            {
                let url = format!("{path}?{name}={value}{required}");
                let r = app.call(reqwest::Method::GET, &url, token, None).await;
                let status = r.status().as_u16();
                if accepted {
                    assert_ne!(status, 422, "{url}: {}", r.text().await.unwrap());
                } else {
                    assert_eq!(status, 422, "{url}");
                    let body: Value = r.json().await.unwrap();
                    assert_eq!(body["error"]["field"], name, "{url}: {body}");
                }
            }
            probed.push(format!("{path} {name}"));
        }
    }
    assert!(probed.len() >= 7, "bounded parameters: {probed:?}");
}

#[tokio::test]
async fn every_operation_has_a_unique_stable_id_and_the_original_path_serves_the_document() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/v1/openapi.json").await.json().await.unwrap();
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let tag = operation["tags"][0].as_str().unwrap().replace('-', "_");
            assert!(
                id.starts_with(&tag),
                "{method} {path}: {id} is not under {tag}"
            );
            if let Some(other) = ids.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{id} names both {other} and {method} {path}");
            }
        }
    }
    // Ids are a resource's tag and its action, so they stay as handlers come and go.
    assert_eq!(
        doc["paths"]["/v1/conversations"]["get"]["operationId"],
        "conversations_list"
    );
    assert_eq!(
        doc["paths"]["/v1/memory/search"]["post"]["operationId"],
        "search_post"
    );

    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["deprecation"], "@1764547200");
    assert_eq!(
        r.headers()["link"],
        "</v1/openapi.json>; rel=\"successor-version\""
    );
    let original: Value = r.json().await.unwrap();
    assert_eq!(original, doc);
}
