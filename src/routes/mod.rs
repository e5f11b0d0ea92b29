//! HTTP routes: extract, parse into domain types, call, respond. One file per endpoint.

pub mod agencies;
pub mod auctions;
pub mod audit;
pub mod awards;
pub mod classifier;
pub mod complaints;
pub mod documents;
pub mod extract;
pub mod framework_contracts;
pub mod health;
pub mod ict_assents;
pub mod me;
pub mod negotiate;
pub mod ocds;
pub mod pagination;
pub mod savings;
pub mod suppliers;
pub mod tenders;

use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::error::ApiError;

/// Registers every route.
pub fn config(cfg: &mut web::ServiceConfig) {
    // Routes are matched in order: the auction routes (the hot path, one request per bid)
    // come first.
    cfg.configure(auctions::config)
        .configure(health::config)
        .configure(me::config)
        .configure(agencies::config)
        .configure(classifier::config)
        .configure(suppliers::config)
        .configure(tenders::config)
        .configure(documents::config)
        .configure(complaints::config)
        .configure(savings::config)
        .configure(ocds::config)
        .configure(awards::config)
        .configure(ict_assents::config)
        .configure(framework_contracts::config)
        .configure(audit::config)
        .configure(crate::portal::config);
}

/// A resource whose unsupported methods answer 405 `method_not_allowed` as a problem.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// Every unknown path: 404 `not_found` as a problem.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound {
        detail: format!("no route matches {} {}", req.method(), req.path()),
    })
}

/// The instant a legal-calendar day starts (the `from`/`to` filters of the public lists:
/// `from` is its day's start, `to` the next day's).
pub fn day_start(
    day: chrono::NaiveDate,
    offset: chrono::FixedOffset,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| offset.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&chrono::Utc))
}
