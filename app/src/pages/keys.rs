//! `/keys`: the API keys of the tenants the signed-in person administers — create one (its
//! secret shown once, with a copy button), list them all (revoked ones too), revoke one after
//! a confirmation. Members who administer no tenant are told who can.

use leptos::{prelude::*, server_fn::ServerFn};

use super::conversations::short_time;
use crate::{
    components::{
        copy::CopyButton,
        feedback::{ErrorNote, FormDone, FormError},
        table::ListTable,
        tenant::use_tenant,
    },
    server_fns::{
        auth::me,
        keys::{list_api_keys, new_api_key, CreateApiKey, RevokeApiKey},
    },
    wire::auth::ApiKeyResponse,
};

/// `/keys`.
#[component]
pub fn KeysPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async {
            let user = me().await?;
            let admin: Vec<String> = (user.tenants.iter())
                .filter(|m| m.role == "admin")
                .map(|m| m.tenant_id.clone())
                .collect();
            if admin.is_empty() {
                return Ok((admin, Vec::new(), None));
            }
            Ok((admin, list_api_keys().await?, new_api_key().await?))
        },
    );
    view! {
        <h1>"API keys"</h1>
        <p class="muted">
            "Applications use a key (header " <code>"x-api-key"</code> ") to read and write one "
            "tenant's memory. Keys never administer anything."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((admin, _, _)) if admin.is_empty() => view! {
                        <p class="card">"Only a tenant's admins manage its keys; ask one of them for a key."</p>
                    }.into_any(),
                    Ok((admin, keys, secret)) => {
                        let created = secret.and_then(|s| {
                            let key = keys.iter().find(|k| s.starts_with(&format!("{}_", k.prefix)))?;
                            Some((key.name.clone(), s))
                        });
                        view! {
                            {created.map(|(name, secret)| view! { <NewKey name secret /> })}
                            <CreateForm admin />
                            <KeyList keys />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The secret of the key just created, this once.
#[component]
fn NewKey(name: String, secret: String) -> impl IntoView {
    view! {
        <section class="card notice-card" data-testid="new-key">
            <h2>{format!("Key “{name}” created")}</h2>
            <p class="warning" role="alert">
                "Copy this key now: it is not stored and will not be shown again."
            </p>
            <label for="new-key-secret">"The key"</label>
            <div class="copy-row">
                <input id="new-key-secret" readonly value=secret.clone() class="secret" />
                <CopyButton text=secret />
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn CreateForm(admin: Vec<String>) -> impl IntoView {
    const FIELDS: &[&str] = &["name", "scope", "expires_days", "tenant_id"];
    let current = use_tenant();
    let tenants = admin
        .into_iter()
        .map(|t| {
            let selected = current.as_deref() == Some(t.as_str());
            view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Create a key"</h2>
            <FormError path=CreateApiKey::PATH fields=FIELDS />
            <form method="post" action=CreateApiKey::url() class="stacked">
                <label for="key-name">"Name"</label>
                <input id="key-name" name="name" required maxlength="255" placeholder="e.g. support-bot production" />
                <FormError path=CreateApiKey::PATH field="name" />
                <label for="key-tenant">"Tenant"</label>
                <select id="key-tenant" name="tenant_id">{tenants}</select>
                <FormError path=CreateApiKey::PATH field="tenant_id" />
                <label for="key-scope">"Scope"</label>
                <select id="key-scope" name="scope">
                    <option value="write" selected>"write — store, change and read memories"</option>
                    <option value="read">"read — search and read only"</option>
                </select>
                <FormError path=CreateApiKey::PATH field="scope" />
                <label for="key-expiry">"Expires after (days, 1–3650; empty: never)"</label>
                <input id="key-expiry" name="expires_days" type="number" min="1" max="3650" inputmode="numeric" />
                <FormError path=CreateApiKey::PATH field="expires_days" />
                <button type="submit">"Create the key"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn KeyList(keys: Vec<ApiKeyResponse>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="muted">"No keys yet."</p> }.into_any();
    }
    let rows = keys
        .into_iter()
        .map(|k| view! { <KeyRow k /> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Keys"</h2>
            <FormDone path=RevokeApiKey::PATH message="The key is revoked: requests with it are refused." />
            <FormError path=RevokeApiKey::PATH />
            <ListTable testid="keys" headers=&["Name", "Prefix", "Tenant", "Scope", "Created", "Last used", "Expires", "State"]>{rows}</ListTable>
        </section>
    }
    .into_any()
}

#[component]
fn KeyRow(k: ApiKeyResponse) -> impl IntoView {
    let state = match (&k.revoked_at, k.is_active) {
        (Some(at), _) => format!("revoked {}", short_time(Some(at))),
        (None, true) => "active".to_owned(),
        (None, false) => "expired".to_owned(),
    };
    let revocable = k.revoked_at.is_none();
    let name = k.name.clone();
    view! {
        <tr data-key=k.prefix.clone()>
            <td>{k.name.clone()}</td>
            <td><code>{k.prefix.clone()}</code></td>
            <td>{k.tenant_id.clone()}</td>
            <td>{k.scope.clone()}</td>
            <td>{short_time(Some(&k.created_at))}</td>
            <td>{short_time(k.last_used_at.as_deref())}</td>
            <td>{k.expires_at.as_deref().map_or_else(|| "never".to_owned(), |t| short_time(Some(t)))}</td>
            <td>
                {state}
                {revocable.then(|| view! {
                    <details class="confirm">
                        <summary>"Revoke…"</summary>
                        <form method="post" action=RevokeApiKey::url()>
                            <input type="hidden" name="id" value=k.id.clone() />
                            <p>{format!("Revoke “{name}”? Applications using it are refused at once, and its live connections close.")}</p>
                            <button type="submit" class="danger">"Revoke the key"</button>
                        </form>
                    </details>
                })}
            </td>
        </tr>
    }
    .into_any()
}
