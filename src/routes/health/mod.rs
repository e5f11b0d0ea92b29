//! Liveness, readiness, metrics and the OpenAPI document.

mod live;
mod metrics;
mod openapi;
mod ready;

pub use live::__path_healthz;
pub use live::healthz;
pub use metrics::__path_metrics;
pub use metrics::metrics;
pub use ready::{__path_readyz, Check, ReadyReport, readyz};

use actix_web::web;

use super::resource;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(healthz)))
        .service(resource("/readyz").route(web::get().to(readyz)))
        .service(resource("/metrics").route(web::get().to(metrics)))
        .service(resource("/api-docs/openapi.json").route(web::get().to(openapi::openapi_json)))
        // The interactive reference of that document, served from assets built in.
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/api-docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/api-docs/openapi.json")),
        );
}
