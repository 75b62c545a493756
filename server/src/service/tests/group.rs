//! The SQLite writer's groups: several requests written in one transaction store what each
//! would have stored alone, and one request's failure undoes only its own part.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::oneshot;

use super::{services, user};
use crate::{
    service::{events, unit::group, Result},
    store::{
        entities::messages,
        ingest::{self, NewMessage},
    },
};

/// One request's write of `contents` to `conversation` in the tenant `home`, as the use case
/// hands it to the writer, and the receiver of its answer.
fn request(
    author: uuid::Uuid,
    conversation: &str,
    contents: &[&str],
) -> (
    (group::NewMessages, group::Reply),
    oneshot::Receiver<Result<Vec<messages::Model>>>,
) {
    let items = contents
        .iter()
        .map(|content| {
            let message = NewMessage {
                tenant_id: "home".into(),
                conversation_id: conversation.into(),
                author,
                role: "user".into(),
                content: (*content).into(),
                metadata: serde_json::json!({}),
                importance_score: 0.5,
                importance_override: None,
                created_at: Utc::now() - Duration::seconds(1),
            };
            (message, None)
        })
        .collect();
    let prepared = ingest::prepare(items, "fake");
    let events = events::created(&prepared);
    let (reply, answer) = oneshot::channel();
    let write = group::NewMessages {
        prepared,
        events,
        answer: None,
    };
    ((write, reply), answer)
}

/// Rows of `sql` as strings, column by column.
async fn rows(svc: &crate::service::Services, sql: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let backend = svc.db.get_database_backend();
    let found = svc
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    found
        .iter()
        .map(|row| {
            (columns.iter())
                .map(|c| row.try_get::<String>("", c).unwrap())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_group_stores_each_request_as_if_written_alone() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("home")).await;
    // Two requests create the same conversation; a third writes to another one.
    let (first, first_answer) = request(alice.user_id, "shared", &["one", "two"]);
    let (second, second_answer) = request(alice.user_id, "shared", &["three"]);
    let (third, third_answer) = request(alice.user_id, "other", &["four"]);
    let created_at = first.0.prepared.now;
    let updated_at = second.0.prepared.now;
    let done = group::write_group(&svc.db, vec![first, second, third]).await;
    assert!(done.stored && done.queued_jobs);
    for answer in [first_answer, second_answer, third_answer] {
        assert!(answer.await.unwrap().is_ok());
    }
    let events = rows(
        &svc,
        "SELECT name, conversation_id FROM events WHERE tenant_id = 'home' ORDER BY seq",
        &["name", "conversation_id"],
    )
    .await;
    let expected = [
        ("conversation.created", "shared"),
        ("message.created", "shared"),
        ("message.created", "shared"),
        ("message.created", "shared"),
        ("conversation.created", "other"),
        ("message.created", "other"),
    ];
    let expected: Vec<Vec<String>> = (expected.iter())
        .map(|(n, c)| vec![(*n).to_owned(), (*c).to_owned()])
        .collect();
    assert_eq!(events, expected);
    let shared = crate::store::conversations::get_conversation(&svc.db, "home", "shared")
        .await
        .unwrap();
    assert_eq!(shared.message_count, 3);
    assert_eq!(shared.user_id, Some(alice.user_id));
    assert_eq!(
        (shared.created_at, shared.updated_at),
        (created_at, updated_at)
    );
    let jobs = rows(&svc, "SELECT status FROM embedding_jobs", &["status"]).await;
    assert_eq!(jobs.len(), 4);
}

#[tokio::test]
async fn a_failing_request_in_a_group_undoes_only_its_own_part() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("home")).await;
    let (first, first_answer) = request(alice.user_id, "kept", &["one"]);
    let (mut doomed, doomed_answer) = request(alice.user_id, "doomed", &["two"]);
    let (third, third_answer) = request(alice.user_id, "kept", &["three"]);
    // The same id as the first request's message: its insert fails on the primary key.
    doomed.0.prepared.messages[0].id = first.0.prepared.messages[0].id;
    let done = group::write_group(&svc.db, vec![first, doomed, third]).await;
    assert!(done.stored);
    assert_eq!(first_answer.await.unwrap().unwrap()[0].content, "one");
    assert!(doomed_answer.await.unwrap().is_err());
    assert_eq!(third_answer.await.unwrap().unwrap()[0].content, "three");
    let stored = rows(
        &svc,
        "SELECT content FROM messages ORDER BY content",
        &["content"],
    )
    .await;
    assert_eq!(stored, [["one"], ["three"]]);
    // Nothing of the failed request remains: not its conversation, not its events.
    assert!(
        crate::store::conversations::get_conversation(&svc.db, "home", "doomed")
            .await
            .is_err()
    );
    let events = rows(
        &svc,
        "SELECT name FROM events WHERE tenant_id = 'home' ORDER BY seq",
        &["name"],
    )
    .await;
    assert_eq!(
        events,
        [
            ["conversation.created"],
            ["message.created"],
            ["message.created"]
        ]
    );
    let kept = crate::store::conversations::get_conversation(&svc.db, "home", "kept")
        .await
        .unwrap();
    assert_eq!(kept.message_count, 2);
}
