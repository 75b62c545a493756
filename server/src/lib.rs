//! Memory Mesh server library: everything the `memory-mesh` binary runs, reusable by tests.
//!
//! - [`config`]: typed `MEMORY_*` settings.
//! - [`startup`]: build the application (connect, migrate, bind) and run it.
//! - [`state`]: the shared `AppState`.
//! - [`api`]: the REST edge — errors, middleware, routes by resource.
//! - [`dashboard`]: the Leptos dashboard (SSR + assets).
//! - [`store`]: persistence (SQLite / PostgreSQL), no HTTP types.
//! - [`ratelimit`]: GCRA limits per IP, tenant and API key; Redis-shared or in memory.
//! - [`metrics`], [`telemetry`]: observability.
//! - [`auth`]: credentials, tokens, API keys, tenant resolution.
//! - [`domain`]: validated identifiers and business rules.
//! - [`embed`]: embedding providers (local model, fake).
//! - [`search`]: the search pipeline (retrieve, fuse, score).
//! - [`jobs`]: the durable embedding worker.
//! - [`cli`]: the command line (`serve`, `migrate`).

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod embed;
pub mod jobs;
pub mod metrics;
pub mod ratelimit;
pub mod search;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
