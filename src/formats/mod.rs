//! The public formats besides JSON and OCDS: Atom feeds and CSV tables. Writers only:
//! what goes in a row or an entry is the route's to say.

pub mod atom;
pub mod csv;
