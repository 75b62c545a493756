//! `/members`: who belongs to the tenant, with which role. Its admins add people (by email,
//! username or user id), change roles and remove members; everyone else reads the list.

use leptos::{prelude::*, server_fn::ServerFn};

use super::conversations::short_time;
use crate::{
    components::{
        feedback::{ErrorNote, FormDone, FormError},
        table::ListTable,
        tenant::{acting_in, use_tenant},
    },
    server_fns::{
        auth::me,
        tenants::{list_members, AddMember, ChangeMemberRole, RemoveMember},
    },
    wire::auth::MemberResponse,
};

/// The roles, with what each may do.
const ROLES: [(&str, &str); 3] = [
    (
        "admin",
        "admin — everything, including members, keys and retention",
    ),
    ("member", "member — read and write memories"),
    ("read_only", "read_only — read and search only"),
];

/// `/members`.
#[component]
pub fn MembersPage() -> impl IntoView {
    let chosen = use_tenant();
    let data = Resource::new(
        || (),
        move |_| {
            let chosen = chosen.clone();
            async move {
                let user = me().await?;
                let Some(membership) = acting_in(&user, chosen.as_deref()) else {
                    return Ok(None);
                };
                let members = list_members(membership.tenant_id.clone()).await?;
                Ok::<_, crate::wire::error::ErrorBody>(Some((membership, user.id, members)))
            }
        },
    );
    view! {
        <h1>"Members"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some((membership, me, members))) => {
                        let admin = membership.role == "admin";
                        let tenant = membership.tenant_id;
                        view! {
                            <p class="muted">{format!("Tenant {tenant} · your role: {}", membership.role)}</p>
                            {admin.then(|| view! { <AddForm tenant=tenant.clone() /> })}
                            <MemberList members tenant admin me />
                        }.into_any()
                    }
                    Ok(None) => view! { <p class="card">"Choose a tenant in the bar above."</p> }.into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn role_options(current: &str) -> impl IntoView {
    ROLES
        .iter()
        .map(|(role, label)| view! { <option value=*role selected=*role == current>{*label}</option> })
        .collect_view()
}

#[component]
fn AddForm(tenant: String) -> impl IntoView {
    const FIELDS: &[&str] = &["user", "role"];
    view! {
        <section class="card">
            <h2>"Add a member"</h2>
            <p class="muted">"They need an account on this server first."</p>
            <FormDone path=AddMember::PATH message="Member added." />
            <FormError path=AddMember::PATH fields=FIELDS />
            <form method="post" action=AddMember::url() class="stacked">
                <input type="hidden" name="tenant_id" value=tenant />
                <label for="member-user">"Email, username or user id"</label>
                <input id="member-user" name="user" required autocomplete="off" />
                <FormError path=AddMember::PATH field="user" />
                <label for="member-role">"Role"</label>
                <select id="member-role" name="role">{role_options("member")}</select>
                <FormError path=AddMember::PATH field="role" />
                <button type="submit">"Add the member"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn MemberList(
    members: Vec<MemberResponse>,
    tenant: String,
    admin: bool,
    me: String,
) -> impl IntoView {
    let rows = members
        .into_iter()
        .map(|m| {
            let you = m.user_id == me;
            view! { <MemberRow m tenant=tenant.clone() admin you /> }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Members"</h2>
            <FormDone path=ChangeMemberRole::PATH message="Role changed." />
            <FormError path=ChangeMemberRole::PATH />
            <FormDone path=RemoveMember::PATH message="Member removed: their access ended at once." />
            <FormError path=RemoveMember::PATH />
            <ListTable testid="members" headers=&["Username", "Email", "Role", "Joined"]>{rows}</ListTable>
        </section>
    }
    .into_any()
}

#[component]
fn MemberRow(m: MemberResponse, tenant: String, admin: bool, you: bool) -> impl IntoView {
    let select_id = format!("role-{}", m.user_id);
    let role = if admin {
        view! {
            <form method="post" action=ChangeMemberRole::url() class="inline-form">
                <input type="hidden" name="tenant_id" value=tenant.clone() />
                <input type="hidden" name="user_id" value=m.user_id.clone() />
                <label for=select_id.clone() class="visually-hidden">{format!("Role of {}", m.username)}</label>
                <select id=select_id name="role">{role_options(&m.role)}</select>
                <button type="submit" class="secondary">"Change"</button>
            </form>
            <details class="confirm">
                <summary>{if you { "Leave…" } else { "Remove…" }}</summary>
                <form method="post" action=RemoveMember::url()>
                    <input type="hidden" name="tenant_id" value=tenant />
                    <input type="hidden" name="user_id" value=m.user_id.clone() />
                    <p>{format!("Remove {} from this tenant? Their access and their keys here end at once.", m.username)}</p>
                    <button type="submit" class="danger">"Remove the member"</button>
                </form>
            </details>
        }
        .into_any()
    } else {
        view! { <span>{m.role.clone()}</span> }.into_any()
    };
    view! {
        <tr data-member=m.username.clone()>
            <td>{m.username.clone()} {you.then(|| view! { " " <span class="tag">"you"</span> })}</td>
            <td>{m.email.clone()}</td>
            <td>{role}</td>
            <td>{short_time(Some(&m.joined_at))}</td>
        </tr>
    }
    .into_any()
}
