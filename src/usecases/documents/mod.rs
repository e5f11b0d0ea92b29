//! Documents: an officer attaches one to a tender, streamed to the document store and
//! recorded once stored whole.

pub mod attach;
pub mod attach_to_bid;
