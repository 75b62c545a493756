//! The dashboard's server functions, one file per area. Each is a door: it forwards its typed
//! input to one method of a port ([`crate::port::Port`], [`crate::port::AccountPort`],
//! [`crate::port::TenantPort`], [`crate::port::RetentionPort`]) and returns the answer or the API's error envelope; no rule is
//! written here. Functions that only read are `GET` (`GetUrl`); every function that changes
//! something is `POST`, which the server accepts only from its own pages.

pub mod account;
pub mod analytics;
pub mod auth;
pub mod conversations;
pub mod keys;
pub mod messages;
pub mod retention;
pub mod search;
pub mod tenants;
