//! The sign-in gate: decided for each page request before anything renders. A signed-out
//! visit to a page redirects to `/sign-in?next=<path>`; a signed-in visit to sign-in or
//! register goes on to `next` (a path of this site, never another site) or to `/`; a signed-in
//! visit keeps the tenant its browser chose ([`super::tenant_choice`]). Server
//! functions, assets and the API are not pages: each authenticates for itself.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::tenant_choice::{self, Choice};
use crate::{service::ServiceError, state::AppState};

/// The pages a signed-out visitor may see.
const PUBLIC_PAGES: [&str; 2] = ["/sign-in", "/register"];

/// Paths under the dashboard's router that are not pages.
const NOT_PAGES: [&str; 3] = ["/api/", "/pkg/", "/favicon.svg"];

/// The middleware.
pub async fn sign_in_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = (req.method() == Method::GET || req.method() == Method::HEAD)
        && !NOT_PAGES.iter().any(|p| path.starts_with(p));
    if !is_page {
        return next.run(req).await;
    }
    let public = PUBLIC_PAGES.contains(&path);
    let svc = &state.services;
    let caller = match crate::http_auth::caller(svc, req.headers(), req.method()).await {
        Ok(caller) => Some(caller),
        Err(ServiceError::Unauthenticated(_) | ServiceError::Forbidden(_)) => None,
        // Anything else (the database unreachable, say) is for the page to show.
        Err(_) => return next.run(req).await,
    };
    match (caller, public) {
        (None, false) => {
            let here = req.uri().path_and_query().map_or(path, |p| p.as_str());
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", here)
                .finish();
            see_other(&format!("/sign-in?{query}"))
        }
        (None, true) => next.run(req).await,
        (Some(_), true) => {
            let next = super::query_value(req.uri(), "next");
            see_other(local_path(next.as_deref()))
        }
        (Some(caller), false) => {
            let choice = tenant_choice::decide(&caller, req.uri(), req.headers());
            // The page's use cases run as this caller, without authenticating again.
            let mut req = req;
            req.extensions_mut().insert(caller);
            match choice {
                Choice::Redirect(location) => see_other(&location),
                Choice::Remember(tenant) => {
                    let mut response = next.run(req).await;
                    if let Some(cookie) = tenant_choice::remember(&svc.settings, &tenant) {
                        response.headers_mut().append(header::SET_COOKIE, cookie);
                    }
                    response
                }
                Choice::Keep => next.run(req).await,
            }
        }
    }
}

/// `next` when it is a path on this site; `/` for anything else (another site's address,
/// `//host`, a backslash that some browsers read as a slash).
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(
            local_path(Some("/conversations?page=2")),
            "/conversations?page=2"
        );
        for foreign in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "x",
        ] {
            assert_eq!(local_path(Some(foreign)), "/", "{foreign}");
        }
        assert_eq!(local_path(None), "/");
    }
}
