//! Mounts the Leptos dashboard: server-side rendering of its routes, its server functions under
//! `/api/`, its static assets under `/pkg`, and its HTML 404 page for unknown non-API paths.
//!
//! - [`port`]: the server's side of the dashboard's port, provided to both pages and server
//!   functions.
//! - [`gate`]: the sign-in gate in front of every page.
//! - [`tenant_choice`]: the tenant a browser chose, kept per browser.

mod gate;
mod port;
mod tenant_choice;

use app::{shell, wire::error::ErrorBody, App};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Json, Router,
};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower::Layer;
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
};

use crate::{failure, service::ServiceError, state::AppState};

/// The options Leptos renders with: the site the settings describe (`Leptos.toml` when present,
/// under the `MEMORY_*` settings), so the binary runs from any directory with only
/// `MEMORY_SITE_ROOT` pointing at its assets.
pub fn options(settings: &crate::config::Settings) -> LeptosOptions {
    let site = &settings.site;
    if let Some(file) = &site.file {
        tracing::info!(file = %file.display(), "dashboard site settings read");
    }
    // scripts/build.sh lists the content-hashed copies of the JS and WASM in `pkg/hash.txt`;
    // Leptos then names those in its pages (it joins the path to the binary's directory, which
    // an absolute path replaces).
    let hashes = site.root.join(&site.pkg_dir).join(HASH_FILE);
    let hashes = std::path::absolute(&hashes).unwrap_or(hashes);
    LeptosOptions::builder()
        .output_name(site.output_name.as_str())
        .site_root(site.root.display().to_string())
        .site_pkg_dir(site.pkg_dir.as_str())
        .site_addr(settings.bind_address())
        .hash_files(hashes.is_file())
        .hash_file(std::sync::Arc::<str>::from(hashes.display().to_string()))
        .build()
}

/// The list of content-hashed assets, in the site's package directory.
const HASH_FILE: &str = "hash.txt";

/// The dashboard's routes, listed once per process. Listing them renders the app with every
/// resource's load held back by a flag that is global to the process (leptos_router's
/// `SuppressResourceLoad`), and a resource first polled while it is set never loads: a page
/// another server of the same process (the tests run many) rendered meanwhile would hang until
/// the request timeout.
static ROUTES: std::sync::LazyLock<Vec<AxumRouteListing>> =
    std::sync::LazyLock::new(|| generate_route_list(App));

/// The dashboard routes, to be merged with the API router.
pub fn router(state: &AppState) -> Router<AppState> {
    let routes = ROUTES.clone();
    let options = state.leptos.clone();
    let root = std::path::Path::new(options.site_root.as_ref()).to_path_buf();
    let pkg = root.join(options.site_pkg_dir.as_ref());
    let svc = state.services.clone();
    let context = move || {
        content_security_policy();
        port::provide(&svc);
    };
    // Leptos registers each server function's route (`/api/…`) beside the pages, with the
    // same context.
    Router::new()
        .leptos_routes_with_context(state, routes, context, move || shell(options.clone()))
        // Precompressed assets are served when present, with their cache lifetime.
        .nest_service(
            "/pkg",
            middleware::from_fn(cache_lifetime)
                .layer(ServeDir::new(pkg).precompressed_br().precompressed_gzip()),
        )
        // Files of `public/` (copied to the site root by scripts/build.sh and cargo-leptos).
        .route_service("/favicon.svg", ServeFile::new(root.join("favicon.svg")))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            server_fn_calls,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gate::sign_in_gate,
        ))
        // Pages and server-function answers go compressed to browsers that accept it (the
        // assets above are already compressed, and are left as they are).
        .layer(CompressionLayer::new())
}

/// Where the server functions live (`#[server(prefix = "/api")]`).
pub(crate) const SERVER_FN_PREFIX: &str = "/api/";

/// The rules of a server-function call (`/api/…`), in one layer. Leptos checks neither `Origin`
/// nor tokens: a call that may change something (any method but `GET` and `HEAD`) runs only
/// for a request from this server's own pages, whatever credential it carries (the session
/// cookie's own rule, applied to every call). Arguments a function cannot read are the
/// client's error (422 with the envelope), not the 500 that `server_fn` answers them with.
/// And a plain form post is answered with the way back to its page, which says what was done.
async fn server_fn_calls(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(SERVER_FN_PREFIX) {
        return next.run(req).await;
    }
    let allowed = &state.services.settings.allowed_origins;
    if !crate::session_cookie::from_own_pages(req.headers(), req.method(), allowed) {
        let refused = ServiceError::Forbidden(
            "Server functions are called only from this server's own pages.".into(),
        );
        let status = failure::status_of(&refused);
        let body = failure::envelope(&refused, failure::request_id(req.headers()));
        return (status, Json(body)).into_response();
    }
    let form_post = accepts_html(req.headers());
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    // A plain HTML form's answer is the way back to its page (`server_fn` puts a failure's
    // envelope in that URL), whatever status the use case set: 303, so the browser follows
    // with a GET.
    if form_post && response.headers().contains_key(header::LOCATION) {
        *response.status_mut() = StatusCode::SEE_OTHER;
        let back = response.headers()[header::LOCATION].to_str().unwrap_or("/");
        if !back.contains("__err=") {
            if let Ok(done) = HeaderValue::from_str(&mark_done(back, &path)) {
                response.headers_mut().insert(header::LOCATION, done);
            }
        }
        return response;
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(e) if e.error.code == "validation_failed" => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(e)).into_response()
        }
        _ => Response::from_parts(parts, bytes.into()),
    }
}

/// The way back to a page after server function `path` succeeded: the page's address without
/// an earlier post's outcome (`__err`, `__path`, `__done`), with `__done=<path>`, which the
/// page shows as a confirmation.
fn mark_done(back: &str, path: &str) -> String {
    let (page, query) = back.split_once('?').unwrap_or((back, ""));
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !matches!(k.as_ref(), "__err" | "__path" | "__done") {
            kept.append_pair(&k, &v);
        }
    }
    kept.append_pair("__done", path);
    format!("{page}?{}", kept.finish())
}

/// How long a browser may keep an asset: a year for a content-hashed one
/// (`memory-mesh.<16 hex>.js`, whose name changes with its content), otherwise only until it
/// asks again (the answer is a cheap 304 while it has not changed).
async fn cache_lifetime(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut response = next.run(req).await;
    let served = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    if served {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// Whether an asset's file name holds a content hash: a segment of 16 hex digits.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.split('.')
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The value of query parameter `name` in `uri`, decoded.
fn query_value(uri: &axum::http::Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether a request asks for HTML: a browser's navigation or plain form post, not a script's
/// call.
fn accepts_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
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
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Unknown paths outside the API: a browser (which asks for HTML) gets the dashboard's own "page
/// not found" with status 404; any other client gets the JSON error envelope, like the API.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if !accepts_html(req.headers()) {
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

#[cfg(test)]
mod tests {
    use super::SERVER_FN_PREFIX;

    #[test]
    fn only_content_hashed_assets_are_kept_for_a_year() {
        assert!(super::is_hashed("/pkg/memory-mesh.0123456789abcdef.wasm"));
        assert!(!super::is_hashed("/pkg/memory-mesh_bg.wasm"));
        assert!(!super::is_hashed("/pkg/memory-mesh.css"));
    }

    #[test]
    fn a_done_form_goes_back_to_its_page_saying_so_and_no_earlier_outcome() {
        assert_eq!(
            super::mark_done(
                "/keys?tenant=a%20b&__path=%2Fapi%2Fx&__err=e",
                "/api/keys/create"
            ),
            "/keys?tenant=a+b&__done=%2Fapi%2Fkeys%2Fcreate"
        );
        assert_eq!(
            super::mark_done("/account", "/api/p"),
            "/account?__done=%2Fapi%2Fp"
        );
    }

    /// The layer that applies the calls' rules knows them by their prefix: a server function
    /// registered elsewhere would escape it.
    #[test]
    fn every_server_function_lives_under_the_guarded_prefix() {
        let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
        assert!(
            !paths.is_empty(),
            "the app's server functions are registered"
        );
        for (path, _) in paths {
            assert!(path.starts_with(SERVER_FN_PREFIX), "{path}");
        }
    }
}
