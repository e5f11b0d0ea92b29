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

macro_rules! codes {
    ($($variant:ident = ($code:literal, $status:literal, $title:literal),)*) => {
        /// Every stable error code the API returns, with its HTTP status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::from_u16($status)
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),)*
                }
            }

            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The code a field-level validation code maps to, if it is one of ours.
            pub fn from_str_code(code: &str) -> Option<Code> {
                match code { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    NotFound = ("not_found", 404, "No such resource"),
    MethodNotAllowed = ("method_not_allowed", 405, "Method not allowed on this resource"),
    PayloadTooLarge = ("payload_too_large", 413, "Request body too large"),
    UnsupportedMediaType = ("unsupported_media_type", 415, "Unsupported media type"),
    NotAcceptable = ("not_acceptable", 406, "None of the accepted media types is available"),
    MalformedJson = ("malformed_json", 400, "Malformed JSON"),
    InvalidBody = ("invalid_body", 422, "The request body does not match the expected shape"),
    InvalidPathParameter = ("invalid_path_parameter", 400, "Invalid path parameter"),
    InvalidQuery = ("invalid_query", 400, "Invalid query parameter"),
    InvalidCursor = ("invalid_cursor", 400, "Invalid pagination cursor"),
    ValidationFailed = ("validation_failed", 422, "Validation failed"),
    InvalidAgencyCode = ("invalid_agency_code", 422, "Invalid agency code"),
    InvalidAgencyName = ("invalid_agency_name", 422, "Invalid agency name"),
    InvalidRfc = ("invalid_rfc", 422, "Invalid RFC"),
    InvalidRfcCheckDigit = ("invalid_rfc_check_digit", 422, "The RFC's check digit is wrong"),
    InvalidLegalName = ("invalid_legal_name", 422, "Invalid legal name"),
    InvalidEmail = ("invalid_email", 422, "Invalid e-mail address"),
    InvalidClassifierCode = ("invalid_classifier_code", 422, "Invalid classifier code"),
    UnknownClassifierCode = ("unknown_classifier_code", 422, "No such classifier code"),
    TooManyClassifierCodes = ("too_many_classifier_codes", 422, "Too many classifier codes"),
    EmptyUpdate = ("empty_update", 422, "Nothing to change"),
    InvalidText = ("invalid_text", 422, "Invalid text field"),
    InvalidSanctionPeriod = ("invalid_sanction_period", 422, "A sanction must end after it starts"),
    InvalidDate = ("invalid_date", 422, "Date out of range"),
    InvalidDescription = ("invalid_description", 422, "Invalid description"),
    InvalidUnit = ("invalid_unit", 422, "Invalid unit of measure"),
    InvalidPartida = ("invalid_partida", 422, "Invalid expense-object partida"),
    InvalidFlag = ("invalid_flag", 422, "Invalid true/false value"),
    UnknownParent = ("unknown_parent", 422, "The parent is not in the classifier"),
    ClassifierCycle = ("classifier_cycle", 422, "That parent would make a cycle"),
    ClassifierTooDeep = ("classifier_too_deep", 422, "The classifier would be too deep"),
    InvalidCsv = ("invalid_csv", 422, "The CSV file cannot be read"),
    InvalidCsvRow = ("invalid_csv_row", 422, "A CSV row cannot be read"),
    DuplicateCode = ("duplicate_code", 422, "The code is on an earlier line of the file"),
    ImportRefused = ("import_refused", 422, "Rows were refused; nothing was imported"),
    InvalidTitle = ("invalid_title", 422, "Invalid title"),
    InvalidQuantity = ("invalid_quantity", 422, "Invalid quantity"),
    InvalidMoney = ("invalid_money", 422, "Invalid amount of money"),
    InvalidScope = ("invalid_scope", 422, "Invalid scope for this procedure"),
    InvalidJustification = ("invalid_justification", 422, "Invalid justification"),
    InvalidAuctionSettings = ("invalid_auction_settings", 422, "Invalid auction settings"),
    ItemsRequired = ("items_required", 422, "A tender has at least one item"),
    TooManyItems = ("too_many_items", 422, "Too many items"),
    ScheduleOutOfOrder = ("schedule_out_of_order", 422, "The schedule is out of order"),
    ScheduleInPast = ("schedule_in_past", 422, "The schedule is in the past"),
    PeriodTooShort = ("period_too_short", 422, "Shorter than the legal minimum period"),
    InvitedNotAllowed = ("invited_not_allowed", 422, "This procedure invites nobody"),
    TooFewInvited = ("too_few_invited", 422, "An invitation names at least three suppliers"),
    TooManyInvited = ("too_many_invited", 422, "Too many invited suppliers"),
    DirectAwardNeedsOneSupplier = ("direct_award_needs_one_supplier", 422, "A direct award names exactly one supplier"),
    JustificationRequired = ("justification_required", 422, "A legal justification is required"),
    InvitedSupplierNotRegistered = ("invited_supplier_not_registered", 422, "An invited supplier is not registered"),
    InvitedSupplierSanctioned = ("invited_supplier_sanctioned", 422, "An invited supplier is sanctioned"),
    FrameworkContractRequired = ("framework_contract_required", 422, "A framework order needs its framework contract"),
    InvalidQuestion = ("invalid_question", 422, "Invalid question"),
    InvalidAnswer = ("invalid_answer", 422, "Invalid answer"),
    InvalidReason = ("invalid_reason", 422, "Invalid reason"),
    BidItemsMismatch = ("bid_items_mismatch", 422, "The bid's prices do not match the tender's items"),
    AboveMaxPrice = ("above_max_price", 422, "A unit price is above the item's maximum"),
    InvalidTechnicalOffer = ("invalid_technical_offer", 422, "Invalid technical offer"),
    InvalidDocumentHash = ("invalid_document_hash", 422, "Invalid document hash"),
    UnknownBid = ("unknown_bid", 422, "Not an opened bid of this tender"),
    EvaluationIncomplete = ("evaluation_incomplete", 422, "Every opened bid is evaluated once"),
    ReasonRequired = ("reason_required", 422, "A reason is required"),
    ContractAmountMismatch = ("contract_amount_mismatch", 422, "The contract's amount is the award's"),
    SignedInFuture = ("signed_in_future", 422, "A contract is recorded once signed"),
    InvalidContractPeriod = ("invalid_contract_period", 422, "A contract ends on or after it starts"),
    IctAssentRequired = ("ict_assent_required", 422, "ICT items need an approved ICT assent of the agency"),
    IctAssentNotApproved = ("ict_assent_not_approved", 422, "The ICT assent is not approved"),
    IctAssentExpired = ("ict_assent_expired", 422, "The ICT assent has expired"),
    IctAssentCodesNotCovered = ("ict_assent_codes_not_covered", 422, "The ICT assent does not cover these goods"),
    IctAssentInsufficient = ("ict_assent_insufficient", 422, "The ICT assent's amount does not cover the award"),
    StrategicLimitReached = ("strategic_limit_reached", 422, "The agency holds its limit of strategic projects this fiscal year"),
    CodesRequired = ("codes_required", 422, "At least one classifier code"),
    InvalidDecision = ("invalid_decision", 422, "Invalid decision"),
    FrameworkContractApplies = ("framework_contract_applies", 422, "A framework contract covers these goods"),
    FrameworkContractInactive = ("framework_contract_inactive", 422, "The framework contract is not in force"),
    FrameworkItemNotCovered = ("framework_item_not_covered", 422, "The framework contract does not cover this item"),
    FrameworkPriceExceeded = ("framework_price_exceeded", 422, "Above the framework contract's fixed price"),
    AdherentNotRegistered = ("adherent_not_registered", 422, "An adhering supplier is not registered"),
    AdherentSanctioned = ("adherent_sanctioned", 422, "An adhering supplier is sanctioned"),
    InvalidValidity = ("invalid_validity", 422, "A contract is valid until on or after it starts"),
    InvalidEndDate = ("invalid_end_date", 422, "An early end falls within the contract's validity"),
    FrameworkUnitMismatch = ("framework_unit_mismatch", 422, "The framework contract prices this item by another unit"),
    FrameworkItemDuplicate = ("framework_item_duplicate", 422, "This code has a price already"),
    SignedBeforeAward = ("signed_before_award", 422, "A contract is signed on or after its award"),
    DecrementTooSmall = ("decrement_too_small", 422, "The bid does not lower your price by the least decrement"),
    AboveCeiling = ("above_ceiling", 422, "The bid is above the auction's ceiling"),
    MustBeatBest = ("must_beat_best", 422, "The bid must beat the best price"),
    IdempotencyConflict = ("idempotency_conflict", 422, "This Idempotency-Key was used for another request"),
    InvalidIdempotencyKey = ("invalid_idempotency_key", 400, "Invalid Idempotency-Key header"),
    MissingToken = ("missing_token", 401, "Authentication required"),
    InvalidToken = ("invalid_token", 401, "Invalid token"),
    TokenExpired = ("token_expired", 401, "Token expired"),
    ForbiddenRole = ("forbidden_role", 403, "Your role may not do this"),
    NotYourAgency = ("not_your_agency", 403, "This belongs to another agency"),
    NotYourRecord = ("not_your_record", 403, "This record belongs to someone else"),
    AgencyNotRegistered = ("agency_not_registered", 403, "Your token's agency is not registered"),
    NotInvited = ("not_invited", 403, "You are not invited to this procedure"),
    SupplierNotRegistered = ("supplier_not_registered", 403, "Register as a supplier first"),
    NotAParticipant = ("not_a_participant", 403, "You do not take part in this auction"),
    AuctionNotPublic = ("auction_not_public", 403, "An auction is public after its award"),
    AgencyExists = ("agency_exists", 409, "An agency with this code already exists"),
    SupplierExists = ("supplier_exists", 409, "A supplier with this RFC is already registered"),
    NotADraft = ("not_a_draft", 409, "Only a draft can be changed or published"),
    ClarificationClosed = ("clarification_closed", 409, "The clarification period is over"),
    NotAnswerable = ("not_answerable", 409, "Questions of this tender can't be answered now"),
    AlreadyAnswered = ("already_answered", 409, "This question has its answer"),
    SubmissionClosed = ("submission_closed", 409, "The submission deadline has passed"),
    BidNotLive = ("bid_not_live", 409, "This bid was replaced or withdrawn"),
    NotOpenable = ("not_openable", 409, "This tender can't be opened"),
    TooEarlyToOpen = ("too_early_to_open", 409, "The opening time has not come"),
    NotEvaluable = ("not_evaluable", 409, "This tender's bids can't be evaluated now"),
    NotCancellable = ("not_cancellable", 409, "This tender can no longer be cancelled"),
    SupplierSanctioned = ("supplier_sanctioned", 409, "A sanction is in force on this supplier"),
    NotAwardable = ("not_awardable", 409, "This tender can't be awarded now"),
    NoEligibleBid = ("no_eligible_bid", 409, "No qualified bid can be awarded"),
    AboveReferenceValue = ("above_reference_value", 409, "The award exceeds the reference value"),
    NotContractable = ("not_contractable", 409, "A contract follows the award"),
    AlreadyDecided = ("already_decided", 409, "This request is decided already"),
    FrameworkSupplierNotAdhered = ("framework_supplier_not_adhered", 409, "The supplier does not adhere to the framework contract"),
    AlreadyAdhered = ("already_adhered", 409, "The supplier adheres already"),
    AlreadyEnded = ("already_ended", 409, "The framework contract has ended already"),
    WinnerNotRegistered = ("winner_not_registered", 409, "The first-ranked supplier is not in the register"),
    NotAuctionable = ("not_auctionable", 409, "An auction follows the evaluation"),
    TooFewQualified = ("too_few_qualified", 409, "An auction needs at least two qualified bids"),
    AuctionNotOpen = ("auction_not_open", 409, "The auction has not started"),
    AuctionClosed = ("auction_closed", 409, "The auction has closed"),
    NotYourTurn = ("not_your_turn", 409, "It is not your turn"),
    AuctionNotClosed = ("auction_not_closed", 409, "The auction has not closed yet"),
    ServiceUnavailable = ("service_unavailable", 503, "Service unavailable"),
    InternalError = ("internal_error", 500, "Internal error"),
}

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
    ServiceUnavailable(String),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<anyhow::Error> for ApiError {
    /// A database with no free connection is a temporary condition (503, retry), not a
    /// fault; everything else unexpected is a 500.
    fn from(error: anyhow::Error) -> Self {
        let busy = error.chain().any(|cause| {
            matches!(
                cause.downcast_ref::<sea_orm::DbErr>(),
                Some(sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_))
            )
        });
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
                .and_then(|e| Code::from_str_code(e.code))
                .filter(|c| c.status() == StatusCode::UNPROCESSABLE_ENTITY)
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
                            code: e.code.to_owned(),
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
            status: code.status().as_u16(),
            detail,
            code: code.as_str().to_owned(),
            fields: self.fields(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
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
        response.json(self.to_problem())
    }
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
                .map(|c| format!("`{}` ({}): {}", c.as_str(), c.status().as_u16(), c.title()))
                .collect::<Vec<_>>()
                .join("\n\n"),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_errors_are_4xx_or_5xx() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!(code.status().as_u16() >= 400, "{s}");
            assert_eq!(Code::from_str_code(s), Some(*code));
        }
    }

    #[test]
    fn validation_errors_take_the_code_of_the_first_field() {
        let mut errors = ValidationErrors::new();
        errors.push("code", "invalid_agency_code", "bad");
        errors.push("name", "invalid_agency_name", "bad");
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
