//! The dashboard's lists as tables: column headings, then rows, scrolling sideways on a narrow
//! screen rather than widening the page.

use leptos::prelude::*;

/// A table of `headers` over the rows its children render.
#[component]
pub fn ListTable(
    /// Names the table for the browser tests.
    #[prop(optional)]
    testid: Option<&'static str>,
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    let heads = headers
        .iter()
        .map(|h| view! { <th scope="col">{*h}</th> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="list" data-testid=testid>
                <thead>
                    <tr>{heads}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
