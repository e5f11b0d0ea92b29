//! Pure domain types and rules: no HTTP, SQL or Redis here.

pub mod agency;
pub mod audit;
pub mod duration;
pub mod validation;
