//! The public Open Contracting feeds: release packages in feed order, and one record
//! package per contracting process. No token.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::resource;
use crate::error::{ApiError, Problem};
use crate::ocds;
use crate::persistence::releases;
use crate::routes::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/releases").route(web::get().to(list_releases)))
        .service(resource("/public/v1/records/{ocid}").route(web::get().to(get_record)))
        .service(
            resource("/public/v1/publication-policy").route(web::get().to(publication_policy)),
        );
}

/// The publication policy every package points to (`publicationPolicy`).
pub const POLICY_PATH: &str = "/public/v1/publication-policy";

/// What every package says of who publishes and under which terms.
pub fn publication(state: &AppState) -> ocds::Publication {
    let p = &state.settings.publisher;
    ocds::Publication {
        publisher_name: p.name.clone(),
        publisher_scheme: p.id.as_ref().map(|(scheme, _)| scheme.clone()),
        publisher_uid: p.id.as_ref().map(|(_, uid)| uid.clone()),
        publisher_uri: p.uri.clone(),
        license: p.license.clone(),
        policy_url: format!("{}{POLICY_PATH}", state.public_url()),
    }
}

/// The publication policy: what is published, when, and what is withheld until when
/// (Spanish, plain text; public, no token).
#[utoipa::path(
    get, path = "/public/v1/publication-policy", tag = "public",
    responses((status = 200, description = "The policy, as plain text", content_type = "text/plain", body = String))
)]
pub async fn publication_policy(state: web::Data<AppState>) -> HttpResponse {
    let p = &state.settings.publisher;
    let text = format!(
        "Política de publicación de datos de contrataciones abiertas (OCDS 1.1)\n\n\
         Publica: {name}.\n\
         Licencia de los datos: {license}.\n\n\
         Qué se publica y cuándo:\n\
         - Cada procedimiento publicado (convocatoria, partidas y montos máximos), en el momento de su publicación.\n\
         - Las preguntas de la junta de aclaraciones y sus respuestas, al responderse, sin el nombre de quien pregunta.\n\
         - La programación de la subasta inversa, al programarse.\n\
         - De cada partida, tras su fallo, o cuando se declara desierta o se cancela después del acto de apertura: quiénes presentaron proposiciones para ella, sus montos (o precios finales tras su subasta), cuáles se descalificaron y por qué, y la estadística de proposiciones. Nunca mientras la partida siga por decidirse, aunque otras ya tengan fallo.\n\
         - El fallo y el contrato de cada partida, y la cancelación de un procedimiento (o de sus partidas pendientes), con su motivo, en el momento en que ocurren.\n\n\
         Qué se reserva y hasta cuándo:\n\
         - El contenido de las proposiciones (precios, propuesta técnica, documentos) y quiénes las presentaron: sellados hasta el acto de apertura, y publicados partida por partida con su fallo.\n\
         - La identidad de quien pregunta en la junta de aclaraciones: nunca se publica.\n\
         - Las pujas de la subasta de una partida: solo el historial anónimo, después del fallo de esa partida.\n\n\
         Cada cambio es una entrega (release) de OCDS 1.1 en {base}/public/v1/releases, en orden; \
         cada procedimiento tiene su registro en {base}/public/v1/records/{{ocid}}.\n",
        name = p.name,
        license = p.license,
        base = state.public_url(),
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(text)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Resume after the releases already read: the `cursor` of the last `links.next`.
    pub cursor: Option<String>,
    /// Releases per package (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The feed position a cursor names (cursors are opaque: hex of the position).
fn position(cursor: Option<&str>) -> Result<i64, ApiError> {
    match cursor {
        None => Ok(0),
        Some(c) => hex::decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|p| *p >= 0)
            .ok_or(ApiError::InvalidCursor),
    }
}

/// Every published release, oldest first, as OCDS 1.1 release packages. `links.next` is
/// always there: it resumes after the last release of this page, so a reader that keeps
/// following it (polling once it comes back empty) sees every release exactly once, in
/// order, even while releases are being written.
#[utoipa::path(
    get, path = "/public/v1/releases", tag = "public",
    params(FeedParams),
    responses(
        (status = 200, description = "An OCDS 1.1 release package, with `links.next`", content_type = "application/json", body = Object),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_releases(
    state: web::Data<AppState>,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let after = position(params.cursor.as_deref())?;
    let rows = releases::page(state.reads(), after, limit).await?;
    let last = rows.last().map_or(after, |r| r.seq);
    let bodies = rows
        .iter()
        .map(|r| serde_json::from_str(&r.body))
        .collect::<Result<Vec<serde_json::Value>, _>>()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("a stored release is not JSON: {e}")))?;
    // Links are built from LICITA_PUBLIC_URL and the parsed parameters only: nothing of
    // the request's Host, forwarded headers or raw query comes back.
    let base = state.public_url();
    let next = format!(
        "{base}/public/v1/releases?limit={limit}&cursor={}",
        hex::encode(last.to_string())
    );
    let uri = match &params.cursor {
        Some(_) => format!(
            "{base}/public/v1/releases?limit={limit}&cursor={}",
            hex::encode(after.to_string())
        ),
        None => format!("{base}/public/v1/releases?limit={limit}"),
    };
    Ok(HttpResponse::Ok().json(ocds::release_package(
        &publication(&state),
        &uri,
        bodies,
        state.clock.now(),
        Some(next),
    )))
}

/// One contracting process as an OCDS 1.1 record package: every release of the `ocid`,
/// oldest first, and the compiled release (the process as it stands).
#[utoipa::path(
    get, path = "/public/v1/records/{ocid}", tag = "public",
    params(("ocid" = String, Path, description = "`LICITA_OCID_PREFIX`-tender id")),
    responses(
        (status = 200, description = "An OCDS 1.1 record package", content_type = "application/json", body = Object),
        (status = 404, description = "`not_found`: no release has this ocid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_record(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ocid = path.into_inner();
    let rows = releases::of_ocid(state.reads(), &ocid).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(format!("record {ocid}")));
    }
    let bodies = rows
        .iter()
        .map(|r| serde_json::from_str(&r.body))
        .collect::<Result<Vec<serde_json::Value>, _>>()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("a stored release is not JSON: {e}")))?;
    let uri = format!("{}/public/v1/records/{ocid}", state.public_url());
    Ok(HttpResponse::Ok().json(ocds::record_package(
        &publication(&state),
        &uri,
        &ocid,
        bodies,
        state.clock.now(),
    )))
}
