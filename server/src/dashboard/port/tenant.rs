//! Running a tenant from the dashboard ([`app::port::TenantPort`]): tenants, members, the audit
//! log and the instance administrators' view, each the service call its REST handler makes.

use app::{
    port::{Answer, TenantPort},
    wire::{
        admin::InstanceHealth,
        analytics::TenantUsage,
        audit::{AuditListQuery, AuditPage},
        auth::{AddMemberRequest, MemberResponse, UpdateMemberRequest},
        tenants::{CreateTenantRequest, TenantList, TenantResponse, UpdateTenantRequest},
    },
};

use super::RequestPort;
use crate::service::{audit, members, operations, tenants};

impl TenantPort for RequestPort {
    fn tenants(&self) -> Answer<'_, TenantList> {
        Box::pin(self.answer(async |svc, caller| tenants::list(svc, caller).await))
    }

    fn create_tenant(&self, tenant: CreateTenantRequest) -> Answer<'_, TenantResponse> {
        Box::pin(self.answer(async |svc, caller| tenants::create(svc, caller, tenant).await))
    }

    fn rename_tenant(&self, id: String, change: UpdateTenantRequest) -> Answer<'_, TenantResponse> {
        Box::pin(
            self.answer(async move |svc, caller| tenants::update(svc, caller, &id, change).await),
        )
    }

    fn delete_tenant(&self, id: String) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| tenants::delete(svc, caller, &id).await))
    }

    fn members(&self, tenant: String) -> Answer<'_, Vec<MemberResponse>> {
        Box::pin(self.answer(async move |svc, caller| members::list(svc, caller, &tenant).await))
    }

    fn add_member(&self, tenant: String, member: AddMemberRequest) -> Answer<'_, MemberResponse> {
        Box::pin(
            self.answer(async move |svc, caller| members::add(svc, caller, &tenant, member).await),
        )
    }

    fn change_member(
        &self,
        tenant: String,
        user_id: String,
        change: UpdateMemberRequest,
    ) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| {
            members::update(svc, caller, &tenant, &user_id, change).await
        }))
    }

    fn remove_member(&self, tenant: String, user_id: String) -> Answer<'_, ()> {
        Box::pin(
            self.answer(async move |svc, caller| {
                members::remove(svc, caller, &tenant, &user_id).await
            }),
        )
    }

    fn audit(&self, query: AuditListQuery) -> Answer<'_, AuditPage> {
        Box::pin(self.answer(async |svc, caller| audit::list(svc, caller, query).await))
    }

    fn instance_tenants(&self) -> Answer<'_, Vec<TenantUsage>> {
        Box::pin(self.answer(async |svc, caller| operations::tenant_usage(svc, caller).await))
    }

    fn instance_health(&self) -> Answer<'_, InstanceHealth> {
        Box::pin(self.answer(async |svc, caller| operations::instance_health(svc, caller).await))
    }
}
