//! Live status card: asks the server's health route from the browser.
//!
//! The button only works once the WASM bundle has hydrated this island.

use leptos::prelude::*;

use crate::wire::{admin::HealthReport, client};

/// A card that shows the instance's health on demand (an island: it runs in the browser).
#[island]
pub fn ServiceStatus() -> impl IntoView {
    super::feedback::island_ready();
    let check = Action::new_local(|_: &()| client::health());
    let text = move || match check.value().get() {
        Some(Ok(report)) => describe(&report),
        Some(Err(error)) => format!("Unreachable: {error}"),
        None if check.pending().get() => "Checking…".to_owned(),
        None => "Not checked yet.".to_owned(),
    };
    view! {
        <section class="card">
            <h2>"Service status"</h2>
            <p data-testid="status-text">{text}</p>
            <button data-testid="check-status" on:click=move |_| {
                check.dispatch(());
            }>"Check now"</button>
        </section>
    }
}

fn describe(report: &HealthReport) -> String {
    format!(
        "Service {} · version {} · up {} s · {}",
        report.status, report.version, report.uptime_seconds, report.environment
    )
}
