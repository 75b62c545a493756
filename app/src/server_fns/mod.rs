//! The dashboard's server functions, one file per area. Each is a door: it forwards its typed
//! input to one [`crate::port::Port`] method and returns the answer or the API's error envelope;
//! no rule is written here. Functions that only read are `GET` (`GetUrl`); every function that
//! changes something is `POST`, which the server accepts only from its own pages.

pub mod auth;
pub mod conversations;
pub mod messages;
pub mod search;
