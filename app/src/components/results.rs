//! Search results with *why* each ranked where it did: a bar per score component (relevance,
//! similarity, importance, recency) beside the final score, and each retriever's rank. Against
//! a baseline (the compared setting), each result is marked with how far it moved.

use leptos::prelude::*;

use crate::{
    components::tenant::{encode, with_tenant},
    wire::memory::{SearchHit, SearchResponse},
};

/// How a result's rank compares with the baseline's.
pub fn movement(rank: usize, baseline_rank: Option<usize>) -> (String, &'static str) {
    match baseline_rank {
        None => ("new".into(), "moved-new"),
        Some(b) if b == rank => ("=".into(), "moved-none"),
        Some(b) if b > rank => (format!("▲{}", b - rank), "moved-up"),
        Some(b) => (format!("▼{}", rank - b), "moved-down"),
    }
}

/// A list of results under `label`.
#[component]
pub fn Results(
    response: SearchResponse,
    baseline: Option<SearchResponse>,
    label: &'static str,
    tenant: Option<String>,
) -> impl IntoView {
    let rank_in_baseline = move |id: &str| {
        baseline.as_ref().map(|b| {
            b.items
                .iter()
                .position(|h| h.message_id == id)
                .map(|p| p + 1)
        })
    };
    let weights = response
        .items
        .first()
        .and_then(|h| h.explain.as_ref())
        .map(|e| {
            let w = &e.weights;
            format!(
                "weights: relevance {:.2} · importance {:.2} · recency {:.2} · half-life {} h",
                w.relevance, w.importance, w.recency, w.half_life_hours
            )
        });
    let items = response
        .items
        .into_iter()
        .enumerate()
        .map(|(i, hit)| {
            let moved = rank_in_baseline(&hit.message_id).map(|b| movement(i + 1, b));
            view! { <Hit hit rank=i + 1 moved tenant=tenant.clone() /> }
        })
        .collect_view();
    view! {
        <section class="results" aria-label=label data-testid="results">
            <h2>{label} <span class="muted small">{format!(" {} found", response.total)}</span></h2>
            {weights.map(|w| view! { <p class="muted small">{w}</p> })}
            {response.notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {(response.total == 0).then(|| view! { <p class="muted">"Nothing matches: try other words, another mode, or fewer filters."</p> })}
            <ol class="hits">{items}</ol>
        </section>
    }
}

#[component]
fn Hit(
    hit: SearchHit,
    rank: usize,
    moved: Option<(String, &'static str)>,
    tenant: Option<String>,
) -> impl IntoView {
    let href = with_tenant(
        &format!("/conversations/{}", encode(&hit.conversation_id)),
        tenant.as_deref(),
    );
    let explain = hit.explain.clone();
    let ranks = explain.as_ref().map(|e| {
        let rank = |r: Option<usize>| r.map_or("—".to_owned(), |r| format!("#{r}"));
        format!(
            "{} · vector {} · words {}",
            e.mode,
            rank(e.vector_rank),
            rank(e.lexical_rank)
        )
    });
    let bar = |label: &'static str, value: f64| {
        view! {
            <div class="bar">
                <span>{label}</span>
                <meter min="0" max="1" value=value.clamp(0.0, 1.0) aria-label=label></meter>
                <span class="num">{format!("{value:.3}")}</span>
            </div>
        }
    };
    view! {
        <li class="hit" data-testid="hit" data-message-id=hit.message_id.clone()>
            <header>
                <span class="rank">{format!("{rank}.")}</span>
                {moved.map(|(text, class)| view! { <span class=format!("moved {class}") data-testid="moved">{text}</span> })}
                <span class=format!("role role-{}", hit.role)>{hit.role.clone()}</span>
                <a href=href>{hit.conversation_id.clone()}</a>
                <time datetime=hit.created_at.clone()>{crate::pages::conversations::short_time(Some(&hit.created_at))}</time>
                {hit.archived.then(|| view! { <span class="tag">"archived"</span> })}
            </header>
            <p class="content" data-testid="hit-content">{hit.content.clone()}</p>
            <div class="bars" data-testid="score-breakdown">
                {bar("score", hit.score)}
                {explain.as_ref().map(|e| bar("relevance", e.relevance))}
                {hit.similarity.map(|s| bar("similarity", s))}
                {bar("importance", hit.importance)}
                {bar("recency", hit.decay)}
            </div>
            {ranks.map(|r| view! { <p class="muted small">{r}</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::movement;

    #[test]
    fn movement_marks_rises_falls_and_newcomers() {
        assert_eq!(movement(1, Some(3)).0, "▲2");
        assert_eq!(movement(3, Some(1)).0, "▼2");
        assert_eq!(movement(2, Some(2)).0, "=");
        assert_eq!(movement(4, None).0, "new");
    }
}
