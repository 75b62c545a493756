//! Memory Mesh server library: everything the `memory-mesh` binary runs, reusable by tests.
//!
//! Layers, each importing only those below it:
//!
//! ```text
//! api (REST + WebSocket), dashboard (pages + server functions), mcp, jobs   startup, cli, serving,
//!                                                                          http_server
//!        │                                                │
//!      state, failure, http_auth, session_cookie (what every HTTP door shares)
//!        │
//!        └──────────────────► service (use cases: rules, authorisation, transactions, events)
//!                              │
//!                              ▼
//!        store, live (event hub), embed, ratelimit, auth (credentials' crypto)
//!                              │
//!                  domain (pure rules), config
//! ```
//!
//! - [`config`]: typed `MEMORY_*` settings.
//! - [`startup`]: build the application (connect, migrate, bind) and run it; [`cli`]: the
//!   command line (`serve`, `migrate`, `admin`); [`http_server`]: the connection loop, with the
//!   header and keep-alive timeouts.
//! - [`state`]: the shared `AppState` of the HTTP edge; [`failure`]: how a use case's failure
//!   reads over HTTP; [`http_auth`]: who a request is; [`session_cookie`]: the dashboard's cookie
//!   and when it counts (all three for every HTTP door).
//! - [`api`]: the REST and WebSocket doors — errors, middleware, routes by resource; [`dashboard`]: the
//!   Leptos dashboard (SSR, server functions, assets); [`mcp`]: the Model Context Protocol
//!   door (streamable HTTP at `/mcp`, stdio with `memory-mesh mcp`); [`serving`]: how a
//!   running server announces itself in its data directory.
//! - [`service`]: the use cases every door calls (search's pipeline among them).
//! - [`store`]: persistence (SQLite / PostgreSQL), no HTTP types.
//! - [`embed`]: embedding providers (local model, remote APIs, fake).
//! - [`jobs`]: the durable embedding worker.
//! - [`live`]: this instance's live subscribers and the pump that feeds them from `events`.
//! - [`ratelimit`]: GCRA limits per address, tenant and API key; the login throttle.
//! - [`auth`]: passwords, tokens, API keys.
//! - [`domain`]: validated identifiers and business rules.
//! - [`metrics`], [`telemetry`]: observability.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod embed;
pub mod failure;
pub mod http_auth;
pub mod http_server;
pub mod jobs;
pub mod live;
pub mod mcp;
pub mod metrics;
pub mod ratelimit;
pub mod service;
pub mod serving;
pub mod session_cookie;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
