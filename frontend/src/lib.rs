//! The WASM entry point: hydrates the islands of the server-rendered dashboard in the browser
//! (the rest of each page is plain HTML that needs no script).

/// Called by the generated JS loader once the WASM module is instantiated; the loader then
/// hydrates each `<leptos-island>` of the page with its exported function (`app`'s
/// `#[island]`s, which mark the page `data-hydrated` once attached).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    app::hydrate_islands();
}
