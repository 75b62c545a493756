//! The unit of work: a change, its events and its audit entries are committed together or not
//! at all, and each use case's change leaves the entries it promises.

use serde_json::json;

use super::{services, user};
use crate::{
    service::{
        accounts, audit,
        unit::{Events, Written},
        ServiceError,
    },
    store::{self, audit::Query, events::NewEvent},
};

/// Every audit entry's action, newest first.
async fn actions(svc: &crate::service::Services) -> Vec<String> {
    let q = Query {
        tenants: None,
        action: None,
        since: None,
        until: None,
        before: None,
        limit: 100,
    };
    let entries = store::audit::list(&svc.db, &q).await.unwrap();
    entries.into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn a_failed_unit_of_work_leaves_no_change_no_event_and_no_audit_entry() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("home")).await;
    let (events_before, audit_before) = (
        store::events::latest(&svc.db).await.unwrap(),
        actions(&svc).await,
    );
    let entry = audit::entry(&alice, Some("doomed"), "tenant.created", None, json!({}));
    let event = NewEvent {
        tenant_id: "doomed".into(),
        conversation_id: None,
        message_id: None,
        name: "conversation.created",
        data: "{}".into(),
    };
    let failed: Result<(), ServiceError> = svc
        .write(async |txn| {
            store::tenants::create_tenant(txn, "doomed", "Doomed", alice.user_id).await?;
            store::events::append(txn, vec![event]).await?;
            store::audit::record(txn, entry).await?;
            // The work fails after its change, its event and its entry: none may remain.
            Err(ServiceError::Conflict("stop here".into()))
        })
        .await;
    assert!(matches!(failed, Err(ServiceError::Conflict(_))));
    assert!(!store::tenants::exists(&svc.db, "doomed").await.unwrap());
    assert_eq!(store::events::latest(&svc.db).await.unwrap(), events_before);
    assert_eq!(actions(&svc).await, audit_before);
}

#[tokio::test]
async fn a_unit_of_work_commits_its_change_with_its_events_and_audit_entries() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("home")).await;
    let before = store::events::latest(&svc.db).await.unwrap();
    let entry = audit::entry(&alice, Some("kept"), "tenant.created", None, json!({}));
    let event = NewEvent {
        tenant_id: "kept".into(),
        conversation_id: None,
        message_id: None,
        name: "conversation.created",
        data: "{}".into(),
    };
    svc.write(async |txn| {
        store::tenants::create_tenant(txn, "kept", "Kept", alice.user_id).await?;
        Ok(Written {
            value: (),
            events: Events::Append(vec![event]),
            audit: vec![entry],
            queued_jobs: false,
            access: Vec::new(),
        })
    })
    .await
    .unwrap();
    assert!(store::tenants::exists(&svc.db, "kept").await.unwrap());
    assert_eq!(store::events::latest(&svc.db).await.unwrap(), before + 1);
    assert_eq!(
        actions(&svc).await.first().map(String::as_str),
        Some("tenant.created")
    );
}

#[tokio::test]
async fn registering_audits_the_new_tenant_and_changing_a_password_is_audited() {
    let (svc, _dir) = services(&[]).await;
    let alice = user(&svc, "alice", Some("home")).await;
    assert_eq!(actions(&svc).await, ["tenant.created"]);
    let change = super::req(json!({"current_password": "SecurePass123",
                                   "new_password": "EvenMoreSecure456"}));
    accounts::change_password(&svc, &alice, change)
        .await
        .unwrap();
    assert_eq!(
        actions(&svc).await,
        ["account.password_changed", "tenant.created"]
    );
}
