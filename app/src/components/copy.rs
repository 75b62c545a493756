//! A button that copies a text to the clipboard (an island: the clipboard is the browser's).
//! Without JavaScript it stays hidden, and the text beside it is selected by hand.

use leptos::prelude::*;

/// Copies `text`, and says whether it worked.
#[island]
pub fn CopyButton(text: String) -> impl IntoView {
    super::feedback::island_ready();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(None::<bool>);
    let outcome = move || match copied.get() {
        Some(true) => "Copied.",
        Some(false) => "Could not copy: select the text and copy it by hand.",
        None => "",
    };
    view! {
        <button type="button" class="secondary" data-testid="copy" hidden=move || !hydrated.get()
            on:click=move |_| copy(text.clone(), copied)>
            "Copy"
        </button>
        <span role="status" class="muted small">{outcome}</span>
    }
}

#[cfg(feature = "hydrate")]
fn copy(text: String, copied: RwSignal<Option<bool>>) {
    leptos::task::spawn_local(async move {
        let promise = window().navigator().clipboard().write_text(&text);
        let done = wasm_bindgen_futures::JsFuture::from(promise).await;
        copied.set(Some(done.is_ok()));
    });
}

/// On the server a click never happens.
#[cfg(not(feature = "hydrate"))]
fn copy(_text: String, _copied: RwSignal<Option<bool>>) {}
