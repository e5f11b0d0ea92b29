//! A tender's reverse auction: scheduling it after the evaluation, and closing it.

pub mod close;
pub mod schedule;
