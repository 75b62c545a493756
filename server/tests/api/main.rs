//! Black-box API tests: each test starts the real application on 127.0.0.1:0 against a fresh
//! database (PostgreSQL with pgvector, or a SQLite file) and talks to it over real HTTP.
//!
//! Needs PostgreSQL and Redis on 127.0.0.1 (scripts/setup-services.sh starts them); override with
//! MEMORY_TEST_DATABASE_URL / MEMORY_TEST_REDIS_URL. Set TEST_LOG=1 to see the server's logs.

mod admin;
mod analytics;
mod api_keys;
mod audit;
mod auth;
mod bad_input;
mod batch;
mod cli;
mod context;
mod contract;
mod conversations;
mod dashboard;
mod embeddings;
mod errors;
mod export;
mod faults;
mod feed;
mod helpers;
mod idempotency;
mod import;
mod index;
mod instance_transfer;
mod instances;
mod isolation;
mod jobs;
mod members;
mod messages;
mod metadata_filters;
mod migrations;
mod observability;
mod openapi;
mod overview;
mod providers;
mod ratelimit;
mod replicas;
mod retention;
mod search;
mod server_fn_account;
mod server_fn_retention;
mod server_fn_tenants;
mod server_fn_writes;
mod server_fns;
mod sessions;
mod shutdown;
mod tenants;
mod text_index;
mod usage;
mod versioning;
