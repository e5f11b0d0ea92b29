use crate::domain::code::Code;
use actix_web::{HttpRequest, HttpResponse, http::header::LOCATION, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{IctAssent, reader_scope};
use crate::auth::{Officer, Principal};
use crate::domain::ids::AssentId;
use crate::domain::money::Money;
use crate::domain::supplier::parse_codes;
use crate::domain::tender::{LONG_TEXT_LEN, TITLE_LEN};
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::persistence::ict::{self, NewAssent};
use crate::routes::extract::ApiJson;
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::usecases::ict::request;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssentRequest {
    #[schema(example = "Renovación del equipo de cómputo de oficinas centrales")]
    pub title: String,
    pub justification: String,
    /// Classifier codes covered; an item is covered when its code or an ancestor's is here.
    #[schema(example = json!(["51501"]))]
    pub classifier_codes: Vec<String>,
    #[schema(value_type = String, example = "2500000.00")]
    pub amount: Money,
    /// One of the agency's strategic projects.
    #[serde(default)]
    pub strategic: bool,
}

/// Request an ICT assent for a project (officers; for their agency).
#[utoipa::path(
    post, path = "/api/v1/ict-assents", tag = "ict",
    request_body = AssentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Requested", body = IctAssent),
        (status = 403, description = "`forbidden_role`, `agency_not_registered` (the token's agency is not in the register)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`, `invalid_justification`, `codes_required`, `too_many_classifier_codes`, `invalid_classifier_code`, `unknown_classifier_code`, `invalid_money`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_assent(
    state: web::Data<AppState>,
    officer: Officer,
    ApiJson(body): ApiJson<AssentRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::new();
    let title = errors.check(
        "title",
        bounded(&body.title, "title", Code::InvalidTitle, TITLE_LEN, false),
    );
    let justification = errors.check(
        "justification",
        bounded(
            &body.justification,
            "justification",
            Code::InvalidJustification,
            LONG_TEXT_LEN,
            true,
        ),
    );
    if body.classifier_codes.is_empty() {
        errors.push(
            "classifier_codes",
            Code::CodesRequired,
            "an assent covers at least one classifier code",
        );
    }
    let codes = parse_codes(&mut errors, "classifier_codes", &body.classifier_codes);
    if body.amount == Money::ZERO {
        errors.push(
            "amount",
            Code::InvalidMoney,
            "the amount is greater than zero",
        );
    }
    errors.finish()?;
    let new = NewAssent {
        title: title.unwrap_or_default(),
        justification: justification.unwrap_or_default(),
        amount: body.amount,
        strategic: body.strategic,
        codes: codes
            .unwrap_or_default()
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
    };
    let record = request::run(
        &state.context(),
        &officer.agency,
        &new,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/api/v1/ict-assents/{}", record.assent.id),
        ))
        .json(IctAssent::from(record)))
}

/// One ICT assent (the requesting agency's officers, the ICT authority, auditors).
#[utoipa::path(
    get, path = "/api/v1/ict-assents/{id}", tag = "ict",
    params(("id" = Uuid, Path, description = "The assent")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The assent", body = IctAssent),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_assent(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = reader_scope(&principal.0)?;
    let raw = path.into_inner();
    let id: AssentId = raw
        .parse()
        .map_err(|_| ApiError::not_found(format!("ICT assent {raw}")))?;
    let record = ict::get(&state.db, id)
        .await?
        .filter(|r| scope.as_ref().is_none_or(|a| a.as_str() == r.assent.agency))
        .ok_or_else(|| ApiError::not_found(format!("ICT assent {id}")))?;
    Ok(HttpResponse::Ok().json(IctAssent::from(record)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssentListParams {
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// ICT assents, newest first: an officer sees its agency's; the ICT authority and
/// auditors see all.
#[utoipa::path(
    get, path = "/api/v1/ict-assents", tag = "ict",
    params(AssentListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of assents", body = Page<IctAssent>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_assents(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<AssentListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let scope = reader_scope(&principal.0)?;
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    let before = page
        .after
        .as_deref()
        .map(|c| c.parse::<AssentId>().map_err(|_| ApiError::InvalidCursor))
        .transpose()?;
    let rows = ict::list(&state.db, scope.as_ref(), before, page.limit + 1).await?;
    let page =
        Page::from_rows(rows, &page, |r| r.assent.id.to_string(), &req, &[]).map(IctAssent::from);
    Ok(HttpResponse::Ok().json(page))
}
