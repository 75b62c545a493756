//! Reusable pieces of UI.

pub mod nav;
pub mod status;
