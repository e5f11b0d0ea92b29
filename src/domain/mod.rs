//! Pure domain types and rules: no HTTP, SQL or Redis here.

pub mod agency;
pub mod auction;
pub mod auction_settings;
pub mod audit;
pub mod award;
pub mod bid;
pub mod classifier;
pub mod code;
pub mod complaint;
pub mod contract;
pub mod document;
pub mod duration;
pub mod framework;
pub mod ict;
pub mod ids;
pub mod lot;
pub mod money;
pub mod publication;
pub mod rejection;
pub mod rfc;
pub mod scheduling;
pub mod supplier;
pub mod tender;
pub mod text;
pub mod validation;
