//! Dashboard screens, one module each.

pub mod account;
pub mod audit;
pub mod auth;
pub mod conversation;
pub mod conversation_actions;
pub mod conversations;
pub mod home;
pub mod instance;
pub mod keys;
pub mod live;
pub mod members;
pub mod not_found;
pub mod retention;
pub mod search;
pub mod tenants;
