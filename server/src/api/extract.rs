//! Extractors whose rejections speak our error format: [`AppJson`] and [`AppQuery`] name the
//! field a type error is in, and [`Caller`] is who is calling, from `Authorization: Bearer
//! <jwt | mm_key>`, `x-api-key`, or the dashboard's session cookie ([`crate::session_cookie`]).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use super::error::{error_response, payload_for_status, ApiError};
use crate::{
    domain::Invalid,
    service::{Caller, ServiceError},
    state::AppState,
};

/// A JSON body: malformed JSON → 400, a body that does not fit the schema → 422 naming the
/// field by its path (`items[3].importance_override`), a wrong content type → 415.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        if !is_json(req.headers()) {
            return Err(error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                payload_for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.into_response().status();
            error_response(status, payload_for_status(status))
        })?;
        let not_json = || bad_request("The request body is not valid JSON.").into_response();
        if has_nul_escape(&bytes) {
            if let Some(field) = nul_field(&bytes) {
                return Err(nul_refused(field));
            }
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = match serde_path_to_error::deserialize(&mut de) {
            Ok(value) => value,
            Err(e) if e.inner().is_data() => return Err(invalid(e.path(), &e.inner().to_string())),
            Err(_) => return Err(not_json()),
        };
        de.end().map_err(|_| not_json())?;
        Ok(Self(value))
    }
}

/// A JSON body that may be left out: no body at all is `T::default()`; any body is read as
/// [`AppJson`] reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let headers = req.headers();
        let empty = headers.get(header::CONTENT_TYPE).is_none()
            && headers
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0");
        if empty {
            return Ok(Self(T::default()));
        }
        AppJson::from_request(req, state)
            .await
            .map(|AppJson(value)| Self(value))
    }
}

/// Text cannot hold the NUL character (PostgreSQL refuses it, and no client means it), so it is
/// refused in every body and on every backend alike: 422 naming the field.
fn nul_refused(field: String) -> Response {
    nul_error(field).into_response()
}

fn nul_error(field: String) -> ApiError {
    let message = format!("{field} must not contain the NUL character (U+0000)");
    ServiceError::Invalid(Invalid { field, message }).into()
}

/// Whether the raw body escapes a NUL (`\u0000`): JSON can carry it no other way, as raw
/// control characters are invalid in strings. An escaped backslash before `u0000` is text.
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\\' {
            backslashes += 1;
            continue;
        }
        if backslashes % 2 == 1 && bytes[i..].starts_with(b"u0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// The path of the first string (or key) holding a NUL, found the slow way: only bodies that
/// carry one get here.
fn nul_field(bytes: &[u8]) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                if k.contains('\0') {
                    Some(join(k))
                } else {
                    walk(item, &join(k))
                }
            }),
            _ => None,
        }
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    walk(&value, "").map(|p| if p.is_empty() { "body".into() } else { p })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters, with type errors named like [`AppJson`]'s (`page`, not a bare 400).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or_default();
        query_pairs(query, |_| false)
            .map(|(value, _)| Self(value))
            .map_err(IntoResponse::into_response)
    }
}

/// The prefix of the parameters [`MetadataQuery`] sets apart.
const METADATA_PREFIX: &str = "metadata.";

/// Query parameters as [`AppQuery`] reads them, but with `metadata.<key>=<value>` set apart as
/// `(key, value)`: parameters whose names are data cannot be fields of a type.
#[derive(Debug, Clone, Default)]
pub struct MetadataQuery<T>(pub T, pub Vec<(String, String)>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for MetadataQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or_default();
        let (value, apart) = query_pairs(query, |k| k.starts_with(METADATA_PREFIX))
            .map_err(IntoResponse::into_response)?;
        let apart = apart
            .into_iter()
            .map(|(k, v)| (k[METADATA_PREFIX.len()..].to_owned(), v))
            .collect();
        Ok(Self(value, apart))
    }
}

/// Deserialises the pairs of `query` that `set_apart` does not pick into `T`, and returns the
/// others as they are. NUL characters are refused in either.
fn query_pairs<T: DeserializeOwned>(
    query: &str,
    set_apart: impl Fn(&str) -> bool,
) -> Result<(T, Vec<(String, String)>), ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    if let Some((key, _)) = pairs
        .clone()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(nul_error(key.replace('\0', "")));
    }
    let apart: Vec<_> = pairs.filter(|(k, _)| set_apart(k)).collect();
    // serde_urlencoded reads only a `form_urlencoded::Parse`: the other pairs are encoded
    // again, but only when some were set apart (most queries are read as they came).
    let rest;
    let typed = if apart.is_empty() {
        pairs
    } else {
        rest = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.filter(|(k, _)| !set_apart(k)))
            .finish();
        form_urlencoded::parse(rest.as_bytes())
    };
    let de = serde_urlencoded::Deserializer::new(typed);
    let value = serde_path_to_error::deserialize(de)
        .map_err(|e| invalid_error(e.path(), &e.inner().to_string()))?;
    Ok((
        value,
        apart
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    ))
}

fn invalid(path: &serde_path_to_error::Path, detail: &str) -> Response {
    invalid_error(path, detail).into_response()
}

/// A 422 naming the field: the path to the value, or the field serde names in backticks
/// ("missing field `x`", "unknown field `x`") below it.
fn invalid_error(path: &serde_path_to_error::Path, detail: &str) -> ApiError {
    let path = path.to_string();
    let named = detail
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    let field = match (path.as_str(), named) {
        (".", Some(name)) => Some(name),
        (".", None) => None,
        // An unknown key is already the last segment of its path.
        (p, Some(name)) if p == name || p.ends_with(&format!(".{name}")) => Some(p.to_owned()),
        (p, Some(name)) if detail.starts_with("missing") || detail.starts_with("unknown") => {
            Some(format!("{p}.{name}"))
        }
        (p, _) => Some(p.to_owned()),
    };
    // serde's messages end with " at line 1 column 12"; the field says where instead.
    let detail = detail
        .rsplit_once(" at line ")
        .map_or(detail, |(head, _)| head);
    let message = match &field {
        Some(f) if !detail.contains('`') => format!("{f}: {detail}"),
        _ => detail.to_owned(),
    };
    match field {
        Some(field) => ApiError::from(ServiceError::Invalid(Invalid { field, message })),
        None => ApiError::Unreadable(message),
    }
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Self {
        e.into_response()
    }
}

fn bad_request(message: &str) -> ApiError {
    ServiceError::BadRequest(message.into()).into()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = crate::http_auth::caller(&state.services, &parts.headers, &parts.method);
        Ok(caller.await?)
    }
}

/// The `Idempotency-Key` header as the client sent it; the service checks it
/// ([`crate::service::idempotency`]), so a key that is not ASCII reaches it as such.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get("idempotency-key");
        Ok(Self(value.map(|v| {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        })))
    }
}
