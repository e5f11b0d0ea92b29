//! Buying units (agencies), as the registrar keeps them.

pub mod register;
pub mod update;
