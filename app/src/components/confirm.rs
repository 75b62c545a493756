//! A destructive button that stays disabled until a name is typed (an island, so that step
//! needs JavaScript; without it the button stays disabled).

use leptos::prelude::*;

/// The submit button `button` of the form around it; when `expected` is given, it is enabled
/// only once `expected` is typed into a field labelled `prompt`.
#[island]
pub fn TypedConfirmation(
    expected: Option<String>,
    prompt: String,
    button: String,
    /// The typing field's id (unique on the page).
    field_id: String,
) -> impl IntoView {
    super::feedback::island_ready();
    let typed = RwSignal::new(String::new());
    let needed = expected.clone();
    let confirmed = move || needed.as_ref().is_none_or(|e| typed.get() == *e);
    view! {
        {expected.is_some().then(|| view! {
            <label for=field_id.clone()>{prompt}</label>
            <input id=field_id autocomplete="off" on:input=move |ev| typed.set(event_target_value(&ev)) />
        })}
        <button type="submit" class="danger" disabled=move || !confirmed()>{button}</button>
    }
}
