//! The tenant a browser chose, kept per browser as well as in the URL: a page visited with
//! `?tenant=<id>` (the switcher's choice) is remembered in the `mm_tenant` cookie; a page
//! visited without it, by a browser that remembers a tenant its user still belongs to, is sent
//! (303) to the same address with it, so every link and bookmark names the tenant it shows.

use axum::http::{HeaderMap, HeaderValue, Uri};
use cookie::{time, Cookie, SameSite};

use crate::{config::Settings, service::Caller};

/// The cookie's name.
const COOKIE: &str = "mm_tenant";

/// What a signed-in page visit does about the tenant.
pub enum Choice {
    /// The URL names one of the user's tenants: remember it.
    Remember(String),
    /// The URL names none, and the browser remembers one of the user's: go there.
    Redirect(String),
    /// Neither.
    Keep,
}

/// The choice for `caller` visiting `uri` with `headers`.
pub fn decide(caller: &Caller, uri: &Uri, headers: &HeaderMap) -> Choice {
    let member = |t: &str| caller.memberships.iter().any(|m| m.tenant_id == t);
    let named = super::query_value(uri, "tenant");
    if let Some(tenant) = named {
        return match member(&tenant) {
            true => Choice::Remember(tenant),
            false => Choice::Keep,
        };
    }
    match crate::session_cookie::read(headers, COOKIE) {
        Some(tenant) if member(&tenant) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("tenant", &tenant)
                .finish();
            let location = match uri.query() {
                Some(q) if !q.is_empty() => format!("{}?{q}&{query}", uri.path()),
                _ => format!("{}?{query}", uri.path()),
            };
            Choice::Redirect(location)
        }
        _ => Choice::Keep,
    }
}

/// The `Set-Cookie` value that remembers `tenant` for a year.
pub fn remember(settings: &Settings, tenant: &str) -> Option<HeaderValue> {
    let cookie = Cookie::build((COOKIE, tenant.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.environment.is_production_like())
        .max_age(time::Duration::days(365));
    HeaderValue::from_str(&cookie.build().to_string()).ok()
}
