//! Extractors that state a handler's guard in its signature: `Officer`, `Supplier`, …
//! Each verifies the bearer token and the role, or refuses with 401/403.

use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header::AUTHORIZATION, web,
};

use super::{Identity, Role, TokenError};
use crate::domain::agency::AgencyCode;
use crate::error::ApiError;
use crate::state::AppState;

fn authenticate(req: &HttpRequest) -> Result<Identity, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("AppState is not registered")))?;
    // Verified once already by the rate-limit check, on this very request.
    if let Some(crate::limits::Verified(identity)) = req.extensions().get() {
        return Ok(identity.clone());
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(ApiError::MissingToken)?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::InvalidToken("the Authorization header is not ASCII".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::InvalidToken("use `Authorization: Bearer <token>`".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::InvalidToken(
            "use `Authorization: Bearer <token>`".into(),
        ));
    }
    state.tokens.verify(token.trim()).map_err(|e| match e {
        TokenError::Expired => ApiError::TokenExpired,
        TokenError::Invalid(why) => ApiError::InvalidToken(why),
    })
}

/// Any authenticated caller, whatever the role.
#[derive(Debug, Clone)]
pub struct Principal(pub Identity);

impl Principal {
    /// Refuses with 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::ForbiddenRole {
                required: roles.first().map_or("(none)", |r| r.as_str()),
            })
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(Principal))
    }
}

fn with_role(req: &HttpRequest, role: Role) -> Result<Identity, ApiError> {
    let identity = authenticate(req)?;
    if identity.role == role {
        Ok(identity)
    } else {
        Err(ApiError::ForbiddenRole {
            required: role.as_str(),
        })
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Identity);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(with_role(req, $role).map($name))
            }
        }
    };
}

role_extractor!(
    /// A supplier; `sub` is its RFC.
    Supplier,
    Role::Supplier
);
role_extractor!(
    /// The Digital Government Unit.
    IctAuthority,
    Role::IctAuthority
);
role_extractor!(
    /// The central procurement authority.
    Registrar,
    Role::Registrar
);
role_extractor!(
    /// An internal control body.
    Auditor,
    Role::Auditor
);

/// A procurement officer of one buying unit.
#[derive(Debug, Clone)]
pub struct Officer {
    pub identity: Identity,
    pub agency: AgencyCode,
}

impl Officer {
    /// Refuses with 403 `not_your_agency` unless `agency` is the officer's own.
    pub fn require_agency(&self, agency: &AgencyCode) -> Result<(), ApiError> {
        if &self.agency == agency {
            Ok(())
        } else {
            Err(ApiError::NotYourAgency(format!(
                "this belongs to agency {agency}; your token is for {}",
                self.agency
            )))
        }
    }
}

impl FromRequest for Officer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(with_role(req, Role::Officer).and_then(|identity| {
            let agency = identity.agency.clone().ok_or_else(|| {
                ApiError::InvalidToken("an officer token needs an agency claim".into())
            })?;
            Ok(Officer { identity, agency })
        }))
    }
}

/// An optional caller: `None` without an `Authorization` header; a header that does not
/// verify is still refused (401), never silently treated as anonymous.
#[derive(Debug, Clone)]
pub struct MaybePrincipal(pub Option<Identity>);

impl FromRequest for MaybePrincipal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if req.headers().contains_key(AUTHORIZATION) {
            ready(authenticate(req).map(|id| MaybePrincipal(Some(id))))
        } else {
            ready(Ok(MaybePrincipal(None)))
        }
    }
}
