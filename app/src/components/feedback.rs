//! Feedback: what went wrong and what to do, and what an empty screen is for.
//!
//! Every form posts to its server function as a plain HTML form, with or without JavaScript;
//! the server then sends the browser back to the page, with a failure's envelope in the URL
//! (`__path` names the function, `__err` holds the error). [`FormError`] shows it beside the
//! form (or the field) it concerns.

use leptos::{prelude::*, server_fn::error::ServerFnUrlError};
use leptos_router::hooks::use_query_map;

use crate::wire::error::ErrorBody;

/// An error as the API words it, with what to do about it when the code says.
#[component]
pub fn ErrorNote(error: ErrorBody) -> impl IntoView {
    let advice = match error.error.code.as_str() {
        "unauthorized" => Some("Sign in again."),
        "forbidden" => Some("Your role in this tenant does not allow it; ask a tenant admin."),
        "not_found" => Some("It may have been deleted, or belong to another tenant."),
        "conflict" => Some("Reload the page to see the current state."),
        "rate_limited" => Some("Wait a moment and try again."),
        "unavailable" => Some("The service is degraded; try again shortly."),
        _ => None,
    };
    view! {
        <p class="error" role="alert">
            {error.error.message}
            {advice.map(|a| view! { " " <span class="muted">{a}</span> })}
        </p>
    }
}

/// The error server function `path` answered the last post with, if the URL carries one.
pub fn posted_error(path: &str) -> Option<ErrorBody> {
    let query = use_query_map();
    let query = query.read_untracked();
    if query.get("__path").as_deref() != Some(path) {
        return None;
    }
    query
        .get("__err")
        .map(|e| ServerFnUrlError::<ErrorBody>::decode_err(&e))
}

/// The error of server function `path`'s last post: the one about `field` when given, else
/// one that concerns none of `fields` (shown above the form).
#[component]
pub fn FormError(
    path: &'static str,
    #[prop(optional)] field: Option<&'static str>,
    #[prop(optional)] fields: &'static [&'static str],
) -> impl IntoView {
    let error = posted_error(path).filter(|e| {
        let about = e.error.field.as_deref();
        match field {
            Some(f) => about == Some(f),
            None => !about.is_some_and(|a| fields.contains(&a)),
        }
    });
    error.map(|error| match field {
        Some(f) => view! {
            <span class="field-error" id=format!("{f}-error") role="alert">{error.error.message}</span>
        }
        .into_any(),
        None => view! { <ErrorNote error /> }.into_any(),
    })
}

/// A confirmation that server function `path`'s last post succeeded (the server adds
/// `__done=<path>` to the way back).
#[component]
pub fn FormDone(path: &'static str, message: &'static str) -> impl IntoView {
    let query = use_query_map();
    let done = query.read_untracked().get("__done").as_deref() == Some(path);
    done.then(|| view! { <p class="notice" role="status">{message}</p> })
}

/// What an empty tenant is for: how to store a first message, with this server's address.
#[component]
pub fn EmptyTenant() -> impl IntoView {
    let address = Resource::new(|| (), |_| crate::server_fns::auth::address());
    view! {
        <section class="card empty">
            <h2>"No memories yet"</h2>
            <p>
                "Store a first message on a "
                <a href="/conversations/first-conversation">"new conversation's page"</a>
                ", or from your application with an API key or access token:"
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let origin = address.await.unwrap_or_else(|_| "http://127.0.0.1:8000".into());
                    view! {
                        <pre><code>{format!(
                            "curl -X POST {origin}/v1/messages \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' \\\n  -d '{{\"conversation_id\":\"first\",\"role\":\"user\",\"content\":\"I love hiking in the Alps\"}}'"
                        )}</code></pre>
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Marks the page `data-hydrated` once an island runs in the browser (its effects run only
/// there), for the browser tests and the time-to-interactive benchmark.
pub fn island_ready() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
