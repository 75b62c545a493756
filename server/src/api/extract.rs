//! Extractors whose rejections speak our error format.

use axum::{
    extract::{rejection::JsonRejection, FromRequest},
    http::StatusCode,
};

use super::error::{error_response, payload_for_status, ApiError};

/// `axum::Json` with rejections turned into the JSON envelope: malformed JSON → 400, a body that
/// does not fit the schema → 422 naming the field, a wrong content type → 415.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(JsonError))]
pub struct AppJson<T>(pub T);

/// The rejection of [`AppJson`].
pub struct JsonError(axum::response::Response);

impl axum::response::IntoResponse for JsonError {
    fn into_response(self) -> axum::response::Response {
        self.0
    }
}

impl From<JsonRejection> for JsonError {
    fn from(rejection: JsonRejection) -> Self {
        let response = match &rejection {
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let detail = text.rsplit(": ").next().unwrap_or(&text).to_owned();
                ApiError::Validation {
                    field: field_of(&text),
                    message: detail,
                }
                .into()
            }
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::BadRequest("The request body is not valid JSON.".into()).into()
            }
            JsonRejection::MissingJsonContentType(_) => error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                payload_for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ),
            other => {
                let status = other.status();
                error_response(status, payload_for_status(status))
            }
        };
        Self(response)
    }
}

impl From<ApiError> for axum::response::Response {
    fn from(e: ApiError) -> Self {
        axum::response::IntoResponse::into_response(e)
    }
}

/// serde names the culprit as "missing field `x`", "unknown field `x`", or by path ("x.y: …").
fn field_of(text: &str) -> Option<String> {
    if let Some(start) = text.find('`') {
        let rest = &text[start + 1..];
        if let Some(end) = rest.find('`') {
            return Some(rest[..end].to_owned());
        }
    }
    let after = text.split_once("body: ").map(|(_, r)| r).unwrap_or(text);
    after
        .split_once(':')
        .map(|(path, _)| path.trim().to_owned())
        .filter(|p| !p.is_empty() && !p.contains(' '))
}
