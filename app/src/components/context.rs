//! The search playground's "context for a prompt": what `POST /v1/memory/context` would hand a
//! model for this question, within a token budget — the text to paste, with a copy button, and
//! what did not fit.

use leptos::prelude::*;

use crate::{components::copy::CopyButton, wire::context::ContextResponse};

/// The context card.
#[component]
pub fn ContextCard(context: ContextResponse) -> impl IntoView {
    let counted = match context.token_counter.as_str() {
        "tokenizer" => "counted with the model's tokenizer",
        _ => "counted at 4 characters a token",
    };
    let summary = format!(
        "{} messages, {} of {} tokens ({counted}); {} memories left out for the budget.",
        context.messages.len(),
        context.tokens,
        context.max_tokens,
        context.dropped.len()
    );
    let empty = context.text.is_empty();
    view! {
        <section class="card" data-testid="context">
            <h2>"Context for a prompt"</h2>
            <p class="muted">{summary}</p>
            {if empty {
                view! { <p class="muted">"Nothing to remember for this question."</p> }.into_any()
            } else {
                view! {
                    <pre class="context-text">{context.text.clone()}</pre>
                    <CopyButton text=context.text />
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
