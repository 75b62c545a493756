//! `/tenants`: the signed-in person's tenants — create one, switch to one, rename one they
//! administer, or delete it (with a typed confirmation that says what goes with it).

use leptos::{prelude::*, server_fn::ServerFn};

use super::conversations::short_time;
use crate::{
    components::{
        confirm::TypedConfirmation,
        feedback::{posted_error, ErrorNote, FormDone, FormError},
        tenant::{encode, use_tenant},
    },
    server_fns::tenants::{list_tenants, CreateTenant, DeleteTenant, RenameTenant},
    wire::tenants::TenantResponse,
};

/// `/tenants`.
#[component]
pub fn TenantsPage() -> impl IntoView {
    let tenants = Resource::new(|| (), |_| list_tenants());
    let current = use_tenant();
    view! {
        <h1>"Tenants"</h1>
        <p class="muted">"Each tenant is a separate memory, with its own members, keys and retention."</p>
        <FormDone path=DeleteTenant::PATH message="The tenant and everything in it are deleted." />
        <FormError path=DeleteTenant::PATH />
        <FormDone path=RenameTenant::PATH message="Renamed." />
        <FormError path=RenameTenant::PATH />
        <CreateForm />
        <Suspense fallback=|| view! { <p class="muted">"Loading tenants…"</p> }>
            {move || Suspend::new({
                let current = current.clone();
                async move {
                    match tenants.await {
                        Ok(list) => {
                            let only = list.tenants.len() == 1;
                            list.tenants
                                .into_iter()
                                .map(|t| {
                                    let here = only || current.as_deref() == Some(t.id.as_str());
                                    view! { <TenantCard t here /> }
                                })
                                .collect_view()
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn CreateForm() -> impl IntoView {
    const FIELDS: &[&str] = &["id", "name"];
    // Open again when the last try failed, so its errors show.
    let failed = posted_error(CreateTenant::PATH).is_some();
    view! {
        <FormDone path=CreateTenant::PATH message="Tenant created; you administer it." />
        <details class="card" open=failed>
            <summary>"Create a tenant"</summary>
            <FormError path=CreateTenant::PATH fields=FIELDS />
            <form method="post" action=CreateTenant::url() class="stacked">
                <label for="tenant-id">"Id (letters, digits, - _ . — it cannot change)"</label>
                <input id="tenant-id" name="id" required maxlength="64" autocomplete="off" />
                <FormError path=CreateTenant::PATH field="id" />
                <label for="tenant-name">"Name (optional)"</label>
                <input id="tenant-name" name="name" maxlength="255" />
                <FormError path=CreateTenant::PATH field="name" />
                <button type="submit">"Create the tenant"</button>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn TenantCard(t: TenantResponse, here: bool) -> impl IntoView {
    let admin = t.role == "admin";
    let switch = format!("/?tenant={}", encode(&t.id));
    let field = |what: &str| format!("{what}-{}", t.id);
    let what_goes = format!(
        "This deletes {} messages, {} conversations and {} memberships, with every key and \
         rule of the tenant, for good. Type its id, {}, to confirm:",
        t.messages, t.conversations, t.members, t.id
    );
    view! {
        <section class="card" data-tenant=t.id.clone()>
            <h2>
                {t.name.clone()}
                {(t.name != t.id).then(|| view! { " " <span class="muted small">{t.id.clone()}</span> })}
                {here.then(|| view! { " " <span class="tag">"current"</span> })}
            </h2>
            <dl class="stats">
                <div><dt>"Your role"</dt><dd>{t.role.clone()}</dd></div>
                <div><dt>"Messages"</dt><dd>{t.messages}</dd></div>
                <div><dt>"Conversations"</dt><dd>{t.conversations}</dd></div>
                <div><dt>"Members"</dt><dd>{t.members}</dd></div>
                <div><dt>"Created"</dt><dd>{short_time(Some(&t.created_at))}</dd></div>
            </dl>
            {(!here).then(|| view! { <p><a href=switch>{format!("Switch to {}", t.id)}</a></p> })}
            {admin.then(|| view! {
                <details>
                    <summary>"Rename or delete"</summary>
                    <form method="post" action=RenameTenant::url() class="stacked">
                        <input type="hidden" name="id" value=t.id.clone() />
                        <label for=field("name")>"Name"</label>
                        <input id=field("name") name="name" required maxlength="255" value=t.name.clone() />
                        <button type="submit">"Rename"</button>
                    </form>
                    <form method="post" action=DeleteTenant::url()>
                        <input type="hidden" name="id" value=t.id.clone() />
                        <TypedConfirmation
                            expected=Some(t.id.clone())
                            prompt=what_goes
                            button="Delete the tenant".to_owned()
                            field_id=field("confirm-delete")
                        />
                    </form>
                </details>
            })}
        </section>
    }
    .into_any()
}
