//! Black-box tests: each starts the real application on a random port, with its own
//! database (a temporary SQLite file, or a fresh PostgreSQL database), its own Redis key
//! prefix and a clock it controls, and talks HTTP to it as a client would.
//!
//! PostgreSQL and Redis come from `DATABASE_URL` and `REDIS_URL` (`scripts/test.sh`
//! starts both). Without them those variants are skipped, unless
//! `LICITA_TEST_REQUIRE_SERVERS=1` (set by the script), which makes them fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod helpers;

mod ict;

mod agencies;
mod auctions;
mod audit;
mod auth;
mod awards;
mod browser;
mod classifier;
mod cli;
mod complaints;
mod demo;
mod documents;
mod durability;
mod errors;
mod faults;
mod frameworks;
mod health;
mod limits;
mod lots;
mod migrations;
mod ocds;
mod openapi;
mod portal;
mod public_awards;
mod review;
mod sealing;
mod suppliers;
mod tenders;
