//! Wire types shared by the server's REST API and the dashboard, one module per resource, and the
//! dashboard's HTTP client.

pub mod admin;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod client;
pub mod context;
pub mod error;
pub mod export;
pub mod live;
pub mod memory;
pub mod retention;
pub mod tenants;
