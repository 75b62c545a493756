//! The dashboard's session cookie, `mm_session`: an access token the browser keeps (`HttpOnly`,
//! `SameSite=Strict`, `Secure` in production) instead of page scripts.
//!
//! A browser sends a cookie with requests that other sites' pages make, so a request that
//! authenticates by the cookie must come from this server's own pages: its `Origin` is the
//! server's own (the `Host` it was addressed by) or one listed in `MEMORY_ALLOWED_ORIGINS` (the
//! wildcard never counts). Browsers send `Origin` with every WebSocket handshake and every
//! request that can change something, so a request without one is served by the cookie only
//! when it is a `GET` or `HEAD`. This is what refuses cross-site WebSocket hijacking.
//! Headers (`Authorization`, `x-api-key`) carry no such risk and take precedence.

use axum::http::{header, HeaderMap, HeaderValue, Method};
use cookie::{time, Cookie, SameSite};

use crate::{config::Settings, service::ServiceError};

/// The cookie's name.
pub const NAME: &str = "mm_session";

/// A new API key's secret, on its way from the form that created it to the page that shows it
/// once (a browser without JavaScript follows a redirect in between). It lives a minute, and
/// that page removes it.
pub const NEW_KEY: &str = "mm_new_key";

/// The `Set-Cookie` value that stores `token` for `seconds`.
fn set(settings: &Settings, token: &str, seconds: u64) -> HeaderValue {
    set_named(settings, NAME, token, seconds)
}

/// The `Set-Cookie` value that stores cookie `name` (with the session cookie's attributes)
/// for `seconds`.
pub fn set_named(
    settings: &Settings,
    name: &'static str,
    value: &str,
    seconds: u64,
) -> HeaderValue {
    let max_age = time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
    header_value(build(settings, name, value.to_owned()).max_age(max_age))
}

/// The `Set-Cookie` value that keeps a new login's access token for its lifetime.
pub fn for_tokens(settings: &Settings, tokens: &app::wire::auth::TokenResponse) -> HeaderValue {
    set(settings, &tokens.access_token, tokens.expires_in)
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear(settings: &Settings) -> HeaderValue {
    clear_named(settings, NAME)
}

/// The `Set-Cookie` value that removes cookie `name`.
pub fn clear_named(settings: &Settings, name: &'static str) -> HeaderValue {
    header_value(build(settings, name, String::new()).max_age(time::Duration::ZERO))
}

fn build(settings: &Settings, name: &'static str, value: String) -> cookie::CookieBuilder<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(settings.environment.is_production_like())
}

fn header_value(cookie: cookie::CookieBuilder<'static>) -> HeaderValue {
    HeaderValue::from_str(&cookie.build().to_string())
        .expect("a token and fixed attributes make a valid header")
}

/// The session token a request carries in the cookie, if it may be used: `Ok(None)` without
/// the cookie, 403 when the request does not come from this server's pages.
pub fn token(
    headers: &HeaderMap,
    method: &Method,
    settings: &Settings,
) -> Result<Option<String>, ServiceError> {
    let Some(token) = find(headers) else {
        return Ok(None);
    };
    if !from_own_pages(headers, method, &settings.allowed_origins) {
        return Err(ServiceError::Forbidden(
            "The session cookie is accepted only from this server's own pages (or an origin \
             listed in MEMORY_ALLOWED_ORIGINS); other clients send Authorization or x-api-key."
                .into(),
        ));
    }
    Ok(Some(token))
}

fn find(headers: &HeaderMap) -> Option<String> {
    read(headers, NAME)
}

/// The value of a request's cookie `name`, when it has a non-empty one.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Whether a request comes from this server's own pages: its `Origin` is the server's own or
/// listed in `allowed` (never the wildcard); without `Origin`, only a `GET` or `HEAD` counts.
pub fn from_own_pages(headers: &HeaderMap, method: &Method, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return *method == Method::GET || *method == Method::HEAD;
    };
    let origin = origin.trim().trim_end_matches('/');
    let listed = allowed
        .iter()
        .any(|o| o != "*" && o.eq_ignore_ascii_case(origin));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let own = match (origin.split_once("://"), host) {
        (Some(("http" | "https", authority)), Some(host)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    };
    listed || own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    const ALLOWED: &[&str] = &["https://dash.example", "*"];

    fn allowed() -> Vec<String> {
        ALLOWED.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn finds_the_cookie_among_others() {
        let h = headers(&[("cookie", "a=1; mm_session=tok; b=2")]);
        assert_eq!(find(&h).as_deref(), Some("tok"));
        assert_eq!(find(&headers(&[("cookie", "a=1")])), None);
        assert_eq!(find(&headers(&[("cookie", "mm_session=")])), None);
    }

    #[test]
    fn only_own_or_listed_origins_may_use_it() {
        let own = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ];
        assert!(from_own_pages(&headers(&own), &Method::POST, &[]));
        let listed = [("host", "mm.internal"), ("origin", "https://dash.example")];
        assert!(from_own_pages(&headers(&listed), &Method::GET, &allowed()));
        for origin in ["https://evil.example", "null", "http://127.0.0.1:9999"] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]);
            assert!(!from_own_pages(&h, &Method::GET, &allowed()), "{origin}");
        }
        let none = headers(&[("host", "127.0.0.1:8080")]);
        assert!(from_own_pages(&none, &Method::GET, &[]));
        assert!(!from_own_pages(&none, &Method::POST, &[]));
        assert!(!from_own_pages(&none, &Method::DELETE, &[]));
    }
}
