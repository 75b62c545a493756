//! A tenant's retention from the dashboard ([`app::port::RetentionPort`]): policy, rules, runs
//! and restores, each the service call its REST handler makes.

use app::{
    port::{Answer, RetentionPort},
    wire::retention::{
        CreateRetentionRule, RetentionPolicy, RetentionRule, RetentionRun, RetentionRunPage,
        RunMessages, RunRestored, UpdateRetentionPolicy, UpdateRetentionRule,
    },
};

use super::RequestPort;
use crate::service::retention::{policy, runs};

impl RetentionPort for RequestPort {
    fn retention_policy(&self, tenant_id: Option<String>) -> Answer<'_, RetentionPolicy> {
        Box::pin(
            self.answer(async move |svc, caller| {
                policy::get(svc, caller, tenant_id.as_deref()).await
            }),
        )
    }

    fn update_retention_policy(
        &self,
        tenant_id: Option<String>,
        change: UpdateRetentionPolicy,
    ) -> Answer<'_, RetentionPolicy> {
        Box::pin(self.answer(async move |svc, caller| {
            policy::update(svc, caller, tenant_id.as_deref(), change).await
        }))
    }

    fn retention_rules(&self, tenant_id: Option<String>) -> Answer<'_, Vec<RetentionRule>> {
        Box::pin(self.answer(async move |svc, caller| {
            policy::list_rules(svc, caller, tenant_id.as_deref(), false).await
        }))
    }

    fn create_retention_rule(
        &self,
        tenant_id: Option<String>,
        rule: CreateRetentionRule,
    ) -> Answer<'_, RetentionRule> {
        Box::pin(self.answer(async move |svc, caller| {
            policy::create_rule(svc, caller, tenant_id.as_deref(), rule).await
        }))
    }

    fn update_retention_rule(
        &self,
        tenant_id: Option<String>,
        id: String,
        change: UpdateRetentionRule,
    ) -> Answer<'_, RetentionRule> {
        Box::pin(self.answer(async move |svc, caller| {
            policy::update_rule(svc, caller, tenant_id.as_deref(), &id, change).await
        }))
    }

    fn delete_retention_rule(&self, tenant_id: Option<String>, id: String) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| {
            policy::delete_rule(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn run_retention(&self, tenant_id: Option<String>, dry_run: bool) -> Answer<'_, RetentionRun> {
        Box::pin(self.answer(async move |svc, caller| {
            runs::execute(svc, caller, tenant_id.as_deref(), dry_run).await
        }))
    }

    fn retention_runs(
        &self,
        tenant_id: Option<String>,
        cursor: Option<String>,
    ) -> Answer<'_, RetentionRunPage> {
        Box::pin(self.answer(async move |svc, caller| {
            let tenant = tenant_id.as_deref();
            runs::list(svc, caller, tenant, Some(20), cursor.as_deref()).await
        }))
    }

    fn retention_run(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RetentionRun> {
        Box::pin(self.answer(async move |svc, caller| {
            runs::get(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn run_messages(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RunMessages> {
        Box::pin(self.answer(async move |svc, caller| {
            runs::messages(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }

    fn restore_run(&self, tenant_id: Option<String>, id: String) -> Answer<'_, RunRestored> {
        Box::pin(self.answer(async move |svc, caller| {
            runs::restore(svc, caller, tenant_id.as_deref(), &id).await
        }))
    }
}
