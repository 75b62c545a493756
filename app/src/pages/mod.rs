//! Dashboard screens, one module each.

pub mod auth;
pub mod conversation;
pub mod conversation_actions;
pub mod conversations;
pub mod home;
pub mod live;
pub mod not_found;
pub mod search;
