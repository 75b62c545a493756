//! The app shell's bar: the screens, the tenant switcher (for a user in several tenants) and
//! sign-out. Signed out (on sign-in and register), it shows only the brand.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_location;

use super::tenant::{use_tenant, with_tenant};
use crate::{
    server_fns::auth::{me, SignOut},
    wire::auth::UserResponse,
};

/// The bar at the top of every page.
#[component]
pub fn Nav() -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let signed_in_page = !matches!(path.as_str(), "/sign-in" | "/register");
    let user = Resource::new(
        || (),
        move |_| async move {
            match signed_in_page {
                true => me().await.ok(),
                false => None,
            }
        },
    );
    view! {
        <header class="nav">
            <a class="brand" href="/">"Memory Mesh"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new({
                    let path = path.clone();
                    async move { user.await.map(|user| view! { <Signed user path /> }) }
                })}
            </Suspense>
        </header>
    }
}

/// The navigation of a signed-in user.
#[component]
fn Signed(user: UserResponse, path: String) -> impl IntoView {
    let tenant = use_tenant();
    let link = |to: &str| with_tenant(to, tenant.as_deref());
    let current = |prefix: &str| {
        let here = if prefix == "/" {
            path == "/"
        } else {
            path.starts_with(prefix)
        };
        here.then_some("page")
    };
    let several = user.tenants.len() > 1;
    // Screens only tenant admins can use are offered to them only.
    let is_admin = user.tenants.iter().any(|m| m.role == "admin");
    let options = user
        .tenants
        .into_iter()
        .map(|m| {
            let selected = tenant.as_deref() == Some(m.tenant_id.as_str());
            view! {
                <option value=m.tenant_id.clone() selected=selected>
                    {format!("{} ({})", m.tenant_id, m.role)}
                </option>
            }
        })
        .collect_view();
    view! {
        <nav aria-label="Main">
            <a href=link("/") aria-current=current("/")>"Overview"</a>
            <a href=link("/conversations") aria-current=current("/conversations")>"Conversations"</a>
            <a href=link("/search") aria-current=current("/search")>"Search"</a>
            <a href=link("/live") aria-current=current("/live")>"Live"</a>
            <a href=link("/members") aria-current=current("/members")>"Members"</a>
            <a href=link("/retention") aria-current=current("/retention")>"Retention"</a>
            <a href=link("/tenants") aria-current=current("/tenants")>"Tenants"</a>
            {is_admin.then(|| view! {
                <a href=link("/keys") aria-current=current("/keys")>"API keys"</a>
                <a href=link("/audit") aria-current=current("/audit")>"Audit"</a>
            })}
            {user.is_instance_admin.then(|| view! {
                <a href=link("/instance") aria-current=current("/instance")>"Instance"</a>
            })}
        </nav>
        <div class="account">
            {several.then(|| view! {
                <form method="get">
                    <label for="tenant-switch" class="visually-hidden">"Tenant"</label>
                    <select id="tenant-switch" name="tenant">{options}</select>
                    <button type="submit" class="secondary">"Switch"</button>
                </form>
            })}
            <a href=link("/account") aria-current=current("/account") data-testid="signed-in-as">{user.username}</a>
            <form method="post" action=SignOut::url()>
                <button type="submit" class="secondary">"Sign out"</button>
            </form>
        </div>
    }
}
