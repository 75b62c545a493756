//! Reusable pieces of UI.
//!
//! - [`chart`]: charts drawn as SVG on the server, and their scales.
//! - [`confirm`]: a destructive button enabled once a name is typed.
//! - [`context`]: the context a prompt would get for a search's question.
//! - [`copy`]: a copy-to-clipboard button.
//! - [`nav`]: the app shell's bar (navigation, tenant switcher, sign-out).
//! - [`feedback`]: error notes, confirmations and empty states.
//! - [`results`]: search results with their score breakdown.
//! - [`status`]: the instance's health on demand.
//! - [`table`]: lists as tables.
//! - [`tenant`]: the tenant a page acts in, kept in the URL (`?tenant=`).

pub mod chart;
pub mod confirm;
pub mod context;
pub mod copy;
pub mod feedback;
pub mod nav;
pub mod results;
pub mod status;
pub mod table;
pub mod tenant;
