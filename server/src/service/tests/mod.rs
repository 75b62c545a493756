//! Service-level tests: each use case's authorisation and validation, called as every door
//! calls it — a [`Caller`] and typed input, no HTTP — on a SQLite file. They run in seconds
//! and each names the rule it checks; `server/tests/api` proves the doors on both backends.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::{
    accounts, api_keys, authenticate, batch, members, messages, search, tenants, Caller, Presented,
    ServiceError, Services,
};
use crate::config::Settings;

mod group;
mod unit;

/// A directory removed when dropped.
struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The service layer on a fresh SQLite file (no door, no workers), and the directory that
/// holds it.
async fn services(extra: &[(&str, &str)]) -> (Services, Dir) {
    let dir = std::env::temp_dir().join(format!("mm-service-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut vars: Vec<(String, String)> = [
        ("MEMORY_ENVIRONMENT", "test".to_owned()),
        ("MEMORY_PORT", "0".to_owned()),
        ("MEMORY_DATA_DIR", dir.display().to_string()),
        (
            "MEMORY_DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.display()),
        ),
        ("MEMORY_EMBEDDING_PROVIDER", "fake".to_owned()),
        ("MEMORY_JOB_WORKERS", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let settings = Settings::from_vars(&vars).unwrap();
    (Services::open(settings).await.unwrap(), Dir(dir))
}

fn req<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("a well-formed request")
}

/// Registers `name` (with `tenant`, or a personal one) and returns them logged in.
async fn user(svc: &Services, name: &str, tenant: Option<&str>) -> Caller {
    let email = format!("{name}@example.com");
    accounts::register(
        svc,
        req(
            json!({"email": email, "username": name, "password": "SecurePass123",
                   "tenant_id": tenant}),
        ),
    )
    .await
    .unwrap();
    again(svc, name).await
}

/// `name` logged in again, with the memberships they hold now.
async fn again(svc: &Services, name: &str) -> Caller {
    let login = req(json!({"username": name, "password": "SecurePass123"}));
    let tokens = accounts::login(svc, login, Default::default())
        .await
        .unwrap();
    authenticate(svc, Presented::AccessToken(&tokens.access_token))
        .await
        .unwrap()
}

fn message(tenant: Option<&str>, role: &str) -> app::wire::memory::CreateMessageRequest {
    req(
        json!({"tenant_id": tenant, "conversation_id": "c", "role": role,
               "content": "I like green tea"}),
    )
}

fn search_for(text: &str) -> app::wire::memory::SearchRequest {
    req(json!({"query": text}))
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> bool {
    matches!(r, Err(ServiceError::Forbidden(_)))
}

/// The field a validation error names.
fn invalid_field<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
    match r {
        Err(ServiceError::Invalid(i)) => i.field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_read_only_member_reads_but_may_not_write() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    user(&svc, "bob", None).await;
    let add = req(json!({"user": "bob", "role": "read_only"}));
    members::add(&svc, &alice, "acme", add).await.unwrap();
    let bob = again(&svc, "bob").await;
    assert!(forbidden(
        messages::create(
            &svc,
            &bob,
            message(Some("acme"), "user"),
            Default::default()
        )
        .await
    ));
    let mut q = search_for("tea");
    q.tenant_id = Some("acme".into());
    search::run(&svc, &bob, q, search::Spelling::Json)
        .await
        .expect("a read-only member searches");
}

#[tokio::test]
async fn a_read_key_may_not_write_and_no_key_manages_keys() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    let created = api_keys::create(&svc, &alice, req(json!({"name": "r", "scope": "read"})))
        .await
        .unwrap();
    let secret = created.key.expect("the secret is shown once");
    let key = authenticate(&svc, Presented::ApiKey(&secret))
        .await
        .unwrap();
    assert!(forbidden(
        messages::create(&svc, &key, message(None, "user"), Default::default()).await
    ));
    assert!(forbidden(
        api_keys::create(&svc, &key, req(json!({"name": "more"}))).await
    ));
}

#[tokio::test]
async fn another_tenant_s_message_is_not_found_and_its_tenant_forbidden() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    let bob = user(&svc, "bob", Some("bobco")).await;
    let stored = messages::create(&svc, &alice, message(None, "user"), Default::default())
        .await
        .unwrap();
    let seen = messages::get(&svc, &bob, None, &stored.id).await;
    assert!(
        matches!(seen, Err(ServiceError::NotFound { what: "message" })),
        "{seen:?}"
    );
    assert!(forbidden(
        messages::get(&svc, &bob, Some("acme"), &stored.id).await
    ));
    assert!(forbidden(
        messages::create(
            &svc,
            &bob,
            message(Some("acme"), "user"),
            Default::default()
        )
        .await
    ));
}

#[tokio::test]
async fn a_write_naming_an_unheld_tenant_creates_it_for_a_user_never_for_a_key() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    messages::create(
        &svc,
        &alice,
        message(Some("fresh"), "user"),
        Default::default(),
    )
    .await
    .expect("a user's write creates the tenant it names");
    let alice = again(&svc, "alice").await;
    let fresh = tenants::get(&svc, &alice, "fresh").await.unwrap();
    assert_eq!((fresh.role.as_str(), fresh.messages), ("admin", 1));
    let created = api_keys::create(&svc, &alice, req(json!({"name": "w", "tenant_id": "acme"})))
        .await
        .unwrap();
    let key = authenticate(&svc, Presented::ApiKey(&created.key.unwrap()))
        .await
        .unwrap();
    assert!(forbidden(
        messages::create(
            &svc,
            &key,
            message(Some("by-key"), "user"),
            Default::default()
        )
        .await
    ));
    assert!(forbidden(tenants::get(&svc, &alice, "by-key").await));
}

#[tokio::test]
async fn with_create_on_write_off_an_unheld_tenant_is_forbidden() {
    let (svc, _dir) = services(&[("MEMORY_TENANT_CREATE_ON_WRITE", "false")]).await;
    let alice = user(&svc, "alice", None).await;
    assert!(forbidden(
        messages::create(
            &svc,
            &alice,
            message(Some("fresh"), "user"),
            Default::default()
        )
        .await
    ));
}

#[tokio::test]
async fn a_batch_with_a_refused_tenant_writes_and_creates_nothing() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    user(&svc, "bob", Some("bobco")).await;
    let items = json!({"messages": [
        {"tenant_id": "acme", "conversation_id": "c", "role": "user", "content": "a"},
        {"tenant_id": "new-one", "conversation_id": "c", "role": "user", "content": "b"},
        {"tenant_id": "new-one", "conversation_id": "d", "role": "user", "content": "d"},
        {"tenant_id": "bobco", "conversation_id": "c", "role": "user", "content": "c"},
    ]});
    assert!(forbidden(
        batch::create(&svc, &alice, req(items), Default::default()).await
    ));
    let alice = again(&svc, "alice").await;
    assert!(forbidden(tenants::get(&svc, &alice, "new-one").await));
    let acme = tenants::get(&svc, &alice, "acme").await.unwrap();
    assert_eq!(acme.messages, 0);
}

#[tokio::test]
async fn validation_errors_name_the_broken_field() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", None).await;
    let r = messages::create(&svc, &alice, message(None, "robot"), Default::default()).await;
    assert_eq!(invalid_field(r), "role");
    let mut bad_id = message(None, "user");
    bad_id.conversation_id = "has space".into();
    let r = messages::create(&svc, &alice, bad_id, Default::default()).await;
    assert_eq!(invalid_field(r), "conversation_id");
    let r = messages::create(
        &svc,
        &alice,
        message(Some("bad tenant"), "user"),
        Default::default(),
    )
    .await;
    assert_eq!(invalid_field(r), "tenant_id");
    for (change, field) in [
        (json!({"top_k": 0}), "top_k"),
        (json!({"top_k": 101}), "top_k"),
        (json!({"mode": "fuzzy"}), "mode"),
        (json!({"fusion": "max"}), "fusion"),
        (json!({"start": "yesterday"}), "start"),
        (json!({"importance_min": 2.0}), "importance_min"),
        (json!({"metadata": {"k": {"nested": 1}}}), "metadata"),
        (json!({"metadata": {"bad key": 1}}), "metadata"),
        (json!({"query": "   "}), "query"),
    ] {
        let mut body = json!({"query": "tea"});
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = search::run(&svc, &alice, req(body), search::Spelling::Json).await;
        assert_eq!(invalid_field(r), field, "{change}");
    }
}

#[tokio::test]
async fn a_batch_creates_each_unheld_tenant_it_names_once() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    let items = json!({"messages": [
        {"tenant_id": "new-one", "conversation_id": "c", "role": "user", "content": "a"},
        {"tenant_id": "new-one", "conversation_id": "d", "role": "user", "content": "b"},
        {"tenant_id": "acme", "conversation_id": "c", "role": "user", "content": "c"},
    ]});
    let stored = batch::create(&svc, &alice, req(items), Default::default())
        .await
        .unwrap();
    assert_eq!((stored.created.len(), stored.errors.len()), (3, 0));
    let alice = again(&svc, "alice").await;
    let created = tenants::get(&svc, &alice, "new-one").await.unwrap();
    assert_eq!((created.role.as_str(), created.messages), ("admin", 2));
}

#[tokio::test]
async fn a_stored_rule_the_rules_now_refuse_is_skipped_and_said_so() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};

    use crate::store::entities::retention_rules;

    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    // Written when a metadata key needed only to be free of quotes.
    let now = chrono::Utc::now();
    let loose = retention_rules::Model {
        id: uuid::Uuid::now_v7(),
        tenant_id: "acme".into(),
        name: "loose key".into(),
        description: None,
        rule_type: "custom".into(),
        conditions: json!({"filters": {"metadata": {"a key": "x"}}}),
        action: "archive".into(),
        priority: 1,
        enabled: true,
        last_applied_at: None,
        created_at: now,
        updated_at: now,
    };
    loose
        .clone()
        .into_active_model()
        .insert(&svc.db)
        .await
        .unwrap();
    let run = super::retention::runs::execute(&svc, &alice, None, true)
        .await
        .unwrap();
    assert_eq!(run.rules_skipped.len(), 1, "{run:?}");
    let skipped = &run.rules_skipped[0];
    assert_eq!(
        (skipped.rule_id.as_str(), skipped.name.as_str()),
        (loose.id.to_string().as_str(), "loose key")
    );
    assert!(
        skipped.reason.contains("conditions.filters.metadata"),
        "{}",
        skipped.reason
    );
    let listed = super::retention::plan::unusable_rules(&svc.db)
        .await
        .unwrap();
    assert_eq!(listed, vec![("acme".to_owned(), skipped.clone())]);
}

#[tokio::test]
async fn private_metrics_are_for_instance_administrators_only() {
    let (svc, _dir) = services(&[
        ("MEMORY_METRICS_PUBLIC", "false"),
        ("MEMORY_ADMIN_EMAILS", "root@example.com"),
    ])
    .await;
    let nobody = super::operations::metrics(&svc, None).await;
    assert!(
        matches!(nobody, Err(ServiceError::Unauthenticated(_))),
        "{nobody:?}"
    );
    let alice = user(&svc, "alice", None).await;
    assert!(forbidden(
        super::operations::metrics(&svc, Some(&alice)).await
    ));
    let root = user(&svc, "root", None).await;
    let text = super::operations::metrics(&svc, Some(&root)).await.unwrap();
    assert!(
        text.contains("memory_mesh_embedding_queue_depth 0"),
        "{text}"
    );
}

#[tokio::test]
async fn a_streaming_connection_runs_at_most_its_cap_of_queries_and_fills_its_conversation() {
    use super::{search::streaming, watchers};

    let (svc, _dir) = services(&[("MEMORY_WS_MAX_QUERIES_IN_FLIGHT", "2")]).await;
    let alice = user(&svc, "alice", Some("acme")).await;
    for conversation in ["a", "b"] {
        let mut m = message(None, "user");
        m.conversation_id = conversation.into();
        messages::create(&svc, &alice, m, Default::default())
            .await
            .unwrap();
    }
    let login = req(json!({"username": "alice", "password": "SecurePass123"}));
    let tokens = accounts::login(&svc, login, Default::default())
        .await
        .unwrap();
    let held = watchers::Held::new(Presented::AccessToken(&tokens.access_token));
    let watcher = watchers::open(&svc, held, "acme").await.unwrap();
    streaming::admit(&svc, &watcher, 1)
        .await
        .expect("one running: room for another");
    let full = streaming::admit(&svc, &watcher, 2).await;
    assert!(
        matches!(full, Err(ServiceError::TooManyQueries(_))),
        "{full:?}"
    );
    let found = streaming::run(&svc, &watcher.tenant, Some("b"), search_for("green tea"))
        .await
        .unwrap();
    let conversations: Vec<&str> = found
        .items
        .iter()
        .map(|h| h.conversation_id.as_str())
        .collect();
    assert_eq!(
        conversations,
        ["b"],
        "the connection's conversation fills the query's"
    );
}
