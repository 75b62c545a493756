//! Reusable pieces of UI.
//!
//! - [`nav`]: the app shell's bar (navigation, tenant switcher, sign-out).
//! - [`feedback`]: error notes and empty states.
//! - [`results`]: search results with their score breakdown.
//! - [`status`]: the instance's health on demand.
//! - [`tenant`]: the tenant a page acts in, kept in the URL (`?tenant=`).

pub mod feedback;
pub mod nav;
pub mod results;
pub mod status;
pub mod tenant;
