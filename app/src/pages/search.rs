//! `/search?q=…&mode=…`: the search playground. Its settings live in the URL (a plain GET
//! form), so a search can be bookmarked, shared and read without JavaScript. Results come
//! with every score component (`explain`); the ranking weights and half-life are sliders
//! applied to this search only; "compare" runs a second setting beside the first and marks
//! how each result moved.

use leptos::prelude::*;
use leptos_router::{hooks::use_query_map, params::ParamsMap};

use crate::{
    components::{
        context::ContextCard,
        feedback::{island_ready, ErrorNote},
        results::Results,
        tenant::{use_tenant, TenantField},
    },
    server_fns::search::{memory_context, ranking_defaults, search_memory},
    wire::{
        context::ContextRequest,
        memory::{SearchRequest, Weights},
    },
};

/// One setting of the playground: mode, fusion and weights (`prefix` "" for the first, "b_"
/// for the one compared with it).
fn request(q: &ParamsMap, prefix: &str, tenant: Option<String>) -> Option<SearchRequest> {
    let text = q.get("q").filter(|t| !t.trim().is_empty())?;
    let get = |key: &str| q.get(&format!("{prefix}{key}")).filter(|v| !v.is_empty());
    let shared = |key: &str| q.get(key).filter(|v| !v.is_empty());
    let number = |v: Option<String>| v.and_then(|v| v.parse::<f64>().ok());
    let metadata = shared("meta_key").map(|key| {
        let value = shared("meta_value").unwrap_or_default();
        // The value is read as the JSON it spells (2, true, null), else as text.
        let value = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
        serde_json::Map::from_iter([(key, value)])
    });
    Some(SearchRequest {
        tenant_id: tenant,
        query: text,
        top_k: shared("top_k").and_then(|k| k.parse().ok()),
        conversation_id: shared("conversation"),
        role: shared("role"),
        importance_min: number(shared("importance_min")),
        start: shared("start").map(|d| format!("{d}T00:00:00Z")),
        end: shared("end").map(|d| format!("{d}T23:59:59Z")),
        metadata,
        mode: get("mode"),
        fusion: get("fusion"),
        explain: Some(true),
        include_archived: Some(shared("include_archived").as_deref() == Some("true")),
        weight_relevance: number(get("relevance")),
        weight_importance: number(get("importance")),
        weight_recency: number(get("recency")),
        half_life_hours: number(get("half_life")),
        candidate_limit: None,
    })
}

/// The context a prompt would get for the question (`context=true`), within `max_tokens`
/// (the server's default when empty), with the conversation filter's latest turns.
fn context_request(q: &ParamsMap, tenant: Option<String>) -> Option<ContextRequest> {
    if q.get("context").as_deref() != Some("true") {
        return None;
    }
    let text = q.get("q").filter(|t| !t.trim().is_empty())?;
    let shared = |key: &str| q.get(key).filter(|v| !v.is_empty());
    Some(ContextRequest {
        tenant_id: tenant,
        query: Some(text),
        conversation_id: shared("conversation"),
        // Not a number: 0, which the server refuses naming its bounds.
        max_tokens: shared("max_tokens").map(|n| n.trim().parse().unwrap_or(0)),
        ..Default::default()
    })
}

/// `/search`.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let tenant = use_tenant();
    let comparing = query.get("compare").as_deref() == Some("true");
    let first_request = request(&query, "", tenant.clone());
    let second_request = comparing
        .then(|| request(&query, "b_", tenant.clone()))
        .flatten();
    let run = |req: Option<SearchRequest>| {
        Resource::new(
            || (),
            move |_| {
                let req = req.clone();
                async move {
                    match req {
                        Some(req) => Some(search_memory(req).await),
                        None => None,
                    }
                }
            },
        )
    };
    let (first, second) = (run(first_request), run(second_request));
    let context_req = context_request(&query, tenant.clone());
    let context = Resource::new(
        || (),
        move |_| {
            let req = context_req.clone();
            async move {
                match req {
                    Some(req) => Some(memory_context(req).await),
                    None => None,
                }
            }
        },
    );
    let defaults = Resource::new(|| (), |_| ranking_defaults());
    view! {
        <h1>"Search playground"</h1>
        <p class="muted">"Ask what this tenant remembers, and see why each memory ranks where it does."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match defaults.await {
                    Ok(defaults) => view! { <SearchForm defaults /> }.into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match context.await {
                    Some(Ok(context)) => view! { <ContextCard context /> }.into_any(),
                    Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                    None => ().into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
            {move || Suspend::new({
                let tenant = tenant.clone();
                async move {
                    match (first.await, second.await) {
                        (None, _) => view! { <p class="muted">"Type a question above: results show here with their score breakdown."</p> }.into_any(),
                        (Some(Err(error)), _) | (_, Some(Err(error))) => view! { <ErrorNote error /> }.into_any(),
                        (Some(Ok(a)), None) => view! {
                            <Results response=a baseline=None label="Results" tenant />
                        }.into_any(),
                        (Some(Ok(a)), Some(Ok(b))) => view! {
                            <div class="compare">
                                <Results response=a.clone() baseline=None label="Setting A" tenant=tenant.clone() />
                                <Results response=b baseline=Some(a) label="Setting B" tenant />
                            </div>
                        }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// The playground's form: the query and filters, then one or two settings.
#[component]
fn SearchForm(defaults: Weights) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let value = |key: &str| query.get(key).unwrap_or_default();
    let compare = query.get("compare").as_deref() == Some("true");
    let include_archived = query.get("include_archived").as_deref() == Some("true");
    let context = query.get("context").as_deref() == Some("true");
    let role = value("role");
    view! {
        <form method="get" action="/search">
            <TenantField />
            <div class="search-bar">
                <label for="q" class="visually-hidden">"Question"</label>
                <input id="q" name="q" type="search" placeholder="What do I remember about…" value=value("q") required />
                <button type="submit">"Search"</button>
            </div>
            <details class="card" open=true>
                <summary>"Filters"</summary>
                <div class="grid">
                    <label>"Results " <input name="top_k" type="number" min="1" max="100" placeholder="5" value=value("top_k") /></label>
                    <label>"Conversation " <input name="conversation" value=value("conversation") /></label>
                    <label>"Role "
                        <select name="role">
                            {["", "user", "assistant", "system"].map(|r| view! {
                                <option value=r selected=role == r>{if r.is_empty() { "any" } else { r }}</option>
                            })}
                        </select>
                    </label>
                    <label>"Minimum importance " <input name="importance_min" type="number" min="0" max="1" step="0.05" value=value("importance_min") /></label>
                    <label>"From " <input name="start" type="date" value=value("start") /></label>
                    <label>"To " <input name="end" type="date" value=value("end") /></label>
                    <label>"Metadata key " <input name="meta_key" value=value("meta_key") /></label>
                    <label>"equals " <input name="meta_value" value=value("meta_value") /></label>
                    <label class="inline"><input type="checkbox" name="include_archived" value="true" checked=include_archived />" Include archived"</label>
                </div>
            </details>
            <div class="settings">
                <Setting prefix="" title="Setting A" defaults=defaults.clone() />
                {compare.then(|| view! { <Setting prefix="b_" title="Setting B" defaults=defaults.clone() /> })}
            </div>
            <label class="inline">
                <input type="checkbox" name="compare" value="true" checked=compare />
                " Compare with a second setting (apply with Search)"
            </label>
            <div class="actions">
                <label class="inline">
                    <input type="checkbox" name="context" value="true" checked=context />
                    " Show the context a prompt would get, within"
                </label>
                <label class="inline">
                    <input name="max_tokens" type="number" min="16" max="32000" placeholder="1000" value=value("max_tokens") aria-label="Token budget" />
                    " tokens"
                </label>
            </div>
        </form>
    }
    .into_any()
}

/// Mode, fusion, weights and half-life of one setting.
#[component]
fn Setting(prefix: &'static str, title: &'static str, defaults: Weights) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let name = |key: &str| format!("{prefix}{key}");
    let current = |key: &str, default: f64| {
        query
            .get(&name(key))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let mode = query.get(&name("mode")).unwrap_or_default();
    let fusion = query.get(&name("fusion")).unwrap_or_default();
    let d = defaults;
    view! {
        <fieldset class="card setting">
            <legend>{title}</legend>
            <label for=name("mode")>"Mode"</label>
            <select id=name("mode") name=name("mode")>
                {["hybrid", "vector", "lexical"].map(|m| view! { <option value=m selected=mode == m>{m}</option> })}
            </select>
            <label for=name("fusion")>"Fusion (hybrid)"</label>
            <select id=name("fusion") name=name("fusion")>
                {["score", "rrf"].map(|f| view! { <option value=f selected=fusion == f>{f}</option> })}
            </select>
            <WeightSlider name=name("relevance") label="Relevance weight".to_owned() value=current("relevance", d.relevance) />
            <WeightSlider name=name("importance") label="Importance weight".to_owned() value=current("importance", d.importance) />
            <WeightSlider name=name("recency") label="Recency weight".to_owned() value=current("recency", d.recency) />
            <label for=name("half_life")>"Recency half-life (hours)"</label>
            <input id=name("half_life") name=name("half_life") type="number" min="0.01" max="1000000" step="any"
                value=current("half_life", d.half_life_hours).to_string() />
        </fieldset>
    }
    .into_any()
}

/// A weight's slider, its value shown beside it as it moves (an island: without JavaScript the
/// slider works and the value shows after the search).
#[island]
fn WeightSlider(name: String, label: String, value: f64) -> impl IntoView {
    island_ready();
    let shown = RwSignal::new(value);
    view! {
        <label for=name.clone()>{label} " " <output for=name.clone()>{move || format!("{:.2}", shown.get())}</output></label>
        <input id=name.clone() name=name type="range" min="0" max="1" step="0.05" value=value.to_string()
            on:input=move |ev| shown.set(event_target_value(&ev).parse().unwrap_or(0.0)) />
    }
}
