//! The award (fallo) and the contract that follows it.

pub mod award;
pub mod sign;
