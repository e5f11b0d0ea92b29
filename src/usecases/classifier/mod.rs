//! The classifier of goods and services, as the registrar keeps it.

pub mod import;
pub mod upsert;
