//! ICT assents (dictámenes of the Digital Government Unit): requests and decisions.

pub mod decide;
pub mod request;
