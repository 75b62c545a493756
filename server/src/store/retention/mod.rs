//! Retention's persistence: a tenant's policy and rules ([`policies`]), the candidates a run
//! selects ([`select`]), the changes it makes in batches ([`apply`]), and its records and the
//! lease that keeps one instance at a time on a tenant ([`runs`]).

pub mod apply;
pub mod policies;
pub mod runs;
pub mod select;
