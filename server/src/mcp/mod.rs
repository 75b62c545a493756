//! The agents' door: a Model Context Protocol server built on `rmcp`, whose tools are thin
//! calls of the use cases in [`crate::service`] (the same tenant rules, budgets and audit as
//! REST). docs/mcp.md is the user's guide.
//!
//! - [`tools`]: the tools, what they tell a model, and how a failure reads.
//! - [`args`]: what each tool takes (their JSON schemas come from these types).
//! - [`resources`]: each recent conversation's latest turns, as a resource.
//! - [`http`]: streamable HTTP at `/mcp` on the running server, each request authenticated by
//!   its headers.
//! - [`stdio`]: `memory-mesh mcp`, forwarded to a serving instance of the same data directory
//!   or served from the store itself.

pub mod args;
pub mod http;
pub mod resources;
pub mod stdio;
pub mod tools;
