//! The one error type a client can see, mapped once to an RFC 7807 problem.
//!
//! Below the request boundary code uses `anyhow` with context; a failure the client can
//! act on gets its own variant here with a stable `code`. Internal error text is logged,
//! never sent.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validation::ValidationErrors;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

pub use crate::domain::code::Code;

/// What went wrong, as far as a client is concerned.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    NotFound { detail: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The `Accept` header excludes every representation the resource has.
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    MalformedJson(String),
    #[error("{message}")]
    InvalidBody { field: String, message: String },
    #[error("{0}")]
    InvalidPathParameter(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("the cursor is not one this service issued")]
    InvalidCursor,
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("send a bearer token in the Authorization header")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(String),
    #[error("the token has expired")]
    TokenExpired,
    #[error("this requires the role {required}")]
    ForbiddenRole { required: &'static str },
    #[error("{0}")]
    NotYourAgency(String),
    #[error("{0}")]
    NotYourRecord(String),
    /// A conflict with the current state; `code` is one of [`Code`]'s 409s.
    #[error("{detail}")]
    Conflict { code: Code, detail: String },
    /// A 403 with its own code.
    #[error("{detail}")]
    Denied { code: Code, detail: String },
    /// A refusal with its own code and, optionally, the offending fields.
    #[error("{detail}")]
    Rejected {
        code: Code,
        detail: String,
        fields: ValidationErrors,
    },
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// The body did not arrive in time; the connection is closed after the answer.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    TooManyStreams(String),
    /// The client's budget for this kind of request is spent (`crate::limits`).
    #[error("too many {class} from this client; retry in {} s", retry_after_secs(*retry_after))]
    RateLimited {
        class: &'static str,
        retry_after: std::time::Duration,
    },
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<anyhow::Error> for ApiError {
    /// A database with no free connection is a temporary condition (503, retry), not a
    /// fault; everything else unexpected is a 500.
    fn from(error: anyhow::Error) -> Self {
        let busy = crate::persistence::is_unreachable(&error);
        // Unreachable, or there but not serving yet (loading its AOF, failing over).
        let redis_down = error.chain().any(|cause| {
            cause.downcast_ref::<redis::RedisError>().is_some_and(|e| {
                e.is_io_error()
                    || e.is_connection_refusal()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || matches!(e.retry_method(), redis::RetryMethod::WaitAndRetry)
            })
        });
        // The document store unreachable, refusing or timing out (a missing object behind
        // a recorded document is a fault, and stays a 500).
        let store_down = error.chain().any(|cause| {
            cause
                .downcast_ref::<object_store::Error>()
                .is_some_and(|e| !matches!(e, object_store::Error::NotFound { .. }))
        });
        if store_down {
            tracing::warn!(error = format!("{error:#}"), "document store unavailable");
            return ApiError::ServiceUnavailable(
                "the document store did not answer; retry in a moment".into(),
            );
        }
        if busy {
            tracing::warn!(error = format!("{error:#}"), "database busy");
            ApiError::ServiceUnavailable("the database is busy; retry in a moment".into())
        } else if redis_down {
            tracing::warn!(error = format!("{error:#}"), "Redis unreachable");
            ApiError::ServiceUnavailable(
                "the auction engine did not answer; retry in a moment with the same \
                 Idempotency-Key, which never makes a second bid"
                    .into(),
            )
        } else {
            ApiError::Unexpected(error)
        }
    }
}

impl From<crate::usecases::UseCaseError> for ApiError {
    /// The one mapping of a use case's refusal to HTTP: its code decides the status.
    fn from(error: crate::usecases::UseCaseError) -> Self {
        use crate::usecases::UseCaseError;
        match error {
            UseCaseError::NotFound(detail) => ApiError::NotFound { detail },
            UseCaseError::Refused {
                code: Code::NotYourAgency,
                detail,
            } => ApiError::NotYourAgency(detail),
            UseCaseError::Refused { code, detail } if code.status() == 409 => {
                ApiError::Conflict { code, detail }
            }
            UseCaseError::Refused { code, detail } => ApiError::Denied { code, detail },
            UseCaseError::Invalid(errors) => ApiError::Validation(errors),
            UseCaseError::Unheld(_) => ApiError::ServiceUnavailable(
                "the tender's auctions changed meanwhile; retry in a moment".into(),
            ),
            UseCaseError::Unexpected(e) => ApiError::from(e),
        }
    }
}

impl ApiError {
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound {
            detail: format!("{what} not found"),
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::NotFound { .. } => Code::NotFound,
            Self::MethodNotAllowed => Code::MethodNotAllowed,
            Self::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => Code::UnsupportedMediaType,
            Self::NotAcceptable(_) => Code::NotAcceptable,
            Self::MalformedJson(_) => Code::MalformedJson,
            Self::InvalidBody { .. } => Code::InvalidBody,
            Self::InvalidPathParameter(_) => Code::InvalidPathParameter,
            Self::InvalidQuery(_) => Code::InvalidQuery,
            Self::InvalidCursor => Code::InvalidCursor,
            // The first offending field names the problem; all of them are listed.
            Self::Validation(errors) => errors
                .0
                .first()
                .map(|e| e.code)
                .filter(|c| c.status() == 422)
                .unwrap_or(Code::ValidationFailed),
            Self::MissingToken => Code::MissingToken,
            Self::InvalidToken(_) => Code::InvalidToken,
            Self::TokenExpired => Code::TokenExpired,
            Self::ForbiddenRole { .. } => Code::ForbiddenRole,
            Self::NotYourAgency(_) => Code::NotYourAgency,
            Self::NotYourRecord(_) => Code::NotYourRecord,
            Self::Conflict { code, .. }
            | Self::Rejected { code, .. }
            | Self::Denied { code, .. } => *code,
            Self::RangeNotSatisfiable(_) => Code::RangeNotSatisfiable,
            Self::RequestTimeout(_) => Code::RequestTimeout,
            Self::TooManyStreams(_) => Code::TooManyStreams,
            Self::RateLimited { .. } => Code::RateLimited,
            Self::ServiceUnavailable(_) => Code::ServiceUnavailable,
            Self::Unexpected(_) => Code::InternalError,
        }
    }

    fn fields(&self) -> Option<Vec<ProblemField>> {
        match self {
            Self::Validation(errors) | Self::Rejected { fields: errors, .. }
                if !errors.is_empty() =>
            {
                Some(
                    errors
                        .0
                        .iter()
                        .map(|e| ProblemField {
                            field: e.field.clone(),
                            code: e.code.as_str().to_owned(),
                            message: e.message.clone(),
                        })
                        .collect(),
                )
            }
            Self::InvalidBody { field, message } => Some(vec![ProblemField {
                field: field.clone(),
                code: Code::InvalidBody.as_str().to_owned(),
                message: message.clone(),
            }]),
            _ => None,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let code = self.code();
        let detail = match self {
            Self::Unexpected(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("/problems/{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            detail,
            code: code.as_str().to_owned(),
            fields: self.fields(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unexpected(error) => tracing::error!(error = ?error, "unexpected error"),
            other if other.status_code().is_server_error() => {
                tracing::warn!(error = %other, "request failed")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if matches!(
            self,
            Self::MissingToken | Self::InvalidToken(_) | Self::TokenExpired
        ) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if matches!(self, Self::ServiceUnavailable(_)) {
            response.insert_header(("Retry-After", "1"));
        }
        if matches!(self, Self::TooManyStreams(_)) {
            response.insert_header(("Retry-After", "5"));
        }
        if let Self::RateLimited { retry_after, .. } = self {
            response.insert_header(("Retry-After", retry_after_secs(*retry_after).to_string()));
        }
        if matches!(self, Self::RequestTimeout(_)) {
            response.force_close();
        }
        response.json(self.to_problem())
    }
}

/// `Retry-After` is in whole seconds: the wait, rounded up, and at least 1.
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// An RFC 7807 problem body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable, machine-readable code; see the `ErrorCode` schema for every value.
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    /// The offending fields, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<ProblemField>>,
}

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's path in the body (`items[2].price`), or a query or path parameter.
    pub field: String,
    /// A stable code for the rule it broke.
    pub code: String,
    pub message: String,
}

/// The schema of `Problem.code`: an enum of every code, so that the document lists them.
pub fn error_code_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Code::ALL.iter().map(|c| c.as_str())))
        .description(Some(
            Code::ALL
                .iter()
                .map(|c| format!("`{}` ({}): {}", c.as_str(), c.status(), c.title()))
                .collect::<Vec<_>>()
                .join("\n\n"),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_take_the_code_of_the_first_field() {
        let mut errors = ValidationErrors::new();
        errors.push("code", Code::InvalidAgencyCode, "bad");
        errors.push("name", Code::InvalidAgencyName, "bad");
        let problem = ApiError::from(errors).to_problem();
        assert_eq!(problem.code, "invalid_agency_code");
        assert_eq!(problem.status, 422);
        assert_eq!(problem.fields.map(|f| f.len()), Some(2));
    }

    #[test]
    fn unexpected_errors_do_not_leak_their_text() {
        let problem = ApiError::from(anyhow::anyhow!("password=hunter2")).to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }
}
