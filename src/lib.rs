#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
//! licita: an e-procurement service in the style of Mexico's CompraNet.
//!
//! The library holds the whole service so that the binary (`main.rs`) and the black-box
//! tests build the very same application. Layers point inward: `routes` parse HTTP into
//! `domain` types and call a use case (`usecases`), which loads facts through the
//! repositories (`persistence`), asks `domain` for the decision and writes it; `domain`
//! knows nothing of HTTP, SQL or Redis, and repositories know nothing of each other.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod error;
pub mod formats;
pub mod limits;
pub mod metrics;
pub mod ocds;
pub mod openapi;
pub mod persistence;
pub mod portal;
pub mod redis_link;
pub mod routes;
pub mod seal;
pub mod settings;
pub mod startup;
pub mod state;
pub mod storage;
pub mod streams;
pub mod telemetry;
pub mod usecases;
