//! The tenant a page acts in. A user in several tenants picks one with the switcher; the choice
//! travels in the URL (`?tenant=<id>`), so a link or a bookmark opens the same tenant, and it is
//! left out for the credential's own tenant.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::wire::auth::{TenantMembership, UserResponse};

/// The tenant the current URL names, if any.
pub fn use_tenant() -> Option<String> {
    let query = use_query_map();
    let tenant = query.read_untracked().get("tenant");
    tenant.filter(|t| !t.is_empty())
}

/// `path` with the current tenant kept (`path` may already hold a query).
pub fn with_tenant(path: &str, tenant: Option<&str>) -> String {
    match tenant {
        None => path.to_owned(),
        Some(t) => {
            let joiner = if path.contains('?') { '&' } else { '?' };
            format!("{path}{joiner}tenant={}", encode(t))
        }
    }
}

/// The membership a page acts in: the tenant the URL names (if the person belongs to it), else
/// the person's only tenant.
pub fn acting_in(user: &UserResponse, chosen: Option<&str>) -> Option<TenantMembership> {
    match chosen {
        Some(t) => user.tenants.iter().find(|m| m.tenant_id == t).cloned(),
        None if user.tenants.len() == 1 => user.tenants.first().cloned(),
        None => None,
    }
}

/// Percent-encodes a query value or path segment (unreserved characters stay as they are).
pub fn encode(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    const UNRESERVED: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// A hidden form field that sends the tenant with a server function's arguments (none for the
/// credential's own tenant: an empty value would name no tenant at all).
#[component]
pub fn TenantField() -> impl IntoView {
    use_tenant().map(|t| view! { <input type="hidden" name="tenant_id" value=t /> })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_tenant_encoded() {
        assert_eq!(with_tenant("/search", None), "/search");
        assert_eq!(with_tenant("/search", Some("a b")), "/search?tenant=a%20b");
        assert_eq!(
            with_tenant("/search?q=x", Some("t")),
            "/search?q=x&tenant=t"
        );
    }
}
