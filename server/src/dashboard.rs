//! Mounts the Leptos dashboard: server-side rendering of its routes, its static assets under
//! `/pkg`, and its HTML 404 page for unknown non-API paths.

use app::{shell, App};
use axum::{
    extract::{Request, State},
    http::header,
    response::Response,
    Router,
};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

/// The options Leptos renders with. Built here rather than read from Cargo.toml so that the
/// binary runs from any directory with only `MEMORY_SITE_ROOT` pointing at its assets.
pub fn options(settings: &crate::config::Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("memory-mesh")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind_address())
        .build()
}

/// The dashboard routes, to be merged with the API router.
pub fn router(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(App);
    let options = state.leptos.clone();
    let root = std::path::Path::new(options.site_root.as_ref()).to_path_buf();
    let pkg = root.join(options.site_pkg_dir.as_ref());
    Router::new()
        .leptos_routes_with_context(state, routes, content_security_policy, move || {
            shell(options.clone())
        })
        // Precompressed assets are served when present; WASM is cached by the browser.
        .nest_service(
            "/pkg",
            ServeDir::new(pkg).precompressed_br().precompressed_gzip(),
        )
        // Files of `public/` (copied to the site root by scripts/build.sh and cargo-leptos).
        .route_service("/favicon.svg", ServeFile::new(root.join("favicon.svg")))
}

/// Sets a strict Content-Security-Policy on each rendered page. Leptos puts a fresh nonce on the
/// inline hydration script; the policy allows that script, same-origin modules and WASM, and
/// nothing else: no inline scripts without the nonce, no foreign hosts, no framing.
fn content_security_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Unknown paths outside the API: a browser (which asks for HTML) gets the dashboard's own "page
/// not found" with status 404; any other client gets the JSON error envelope, like the API.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !wants_html {
        return crate::api::middleware::not_found().await;
    }
    let uri = req.uri().clone();
    leptos_axum::file_and_error_handler_with_context::<AppState, _>(content_security_policy, shell)(
        uri,
        State(state),
        req,
    )
    .await
}
