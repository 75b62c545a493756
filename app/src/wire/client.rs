//! The dashboard's HTTP client for the REST API. It only runs in the browser; during server-side
//! rendering no action is dispatched, so the non-browser build returns an error instead.

use super::admin::HealthReport;

/// `GET /v1/admin/health`.
pub async fn health() -> Result<HealthReport, String> {
    get_json("/v1/admin/health").await
}

#[cfg(feature = "hydrate")]
async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = gloo_net::http::Request::get(path)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.json::<T>().await.map_err(|e| e.to_string())
}

#[cfg(not(feature = "hydrate"))]
async fn get_json<T>(path: &str) -> Result<T, String> {
    Err(format!("{path} can only be fetched from the browser"))
}
