//! A tender's reverse auction: scheduling it after the evaluation, pausing it while the
//! tender is suspended, and closing it.

pub mod close;
pub mod pause;
pub mod schedule;
