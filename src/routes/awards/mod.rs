//! The public list of awards: JSON, CSV for spreadsheets, and an Atom feed for feed
//! readers, chosen by `Accept`.

mod list;

pub use list::{
    __path_list_awards, AwardContract, AwardListParams, AwardedAgency, AwardedSupplier,
    AwardedTender, PublicAward, list_awards,
};

use actix_web::web;

use super::resource;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/awards").route(web::get().to(list_awards)));
}
