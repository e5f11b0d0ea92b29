//! Every stable refusal code of the service, with the HTTP status and title it is answered
//! with. The registry lives in the domain so that every layer names a refusal by its
//! `Code`, never by a string; only `error.rs` turns one into an HTTP answer.

macro_rules! codes {
    ($($variant:ident = ($code:literal, $status:literal, $title:literal),)*) => {
        /// Every stable error code the API returns, with its HTTP status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl std::fmt::Display for Code {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The code spelled `code`, if it is one of ours (for tests and tools).
            pub fn parse(code: &str) -> Option<Code> {
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
    InvalidDocumentType = ("invalid_document_type", 422, "Invalid document type"),
    UnknownDocument = ("unknown_document", 422, "Not a document of this tender"),
    RangeNotSatisfiable = ("range_not_satisfiable", 416, "The range lies outside the document"),
    IncompleteBody = ("incomplete_body", 400, "The request body ended early"),
    InvalidQuantity = ("invalid_quantity", 422, "Invalid quantity"),
    InvalidMoney = ("invalid_money", 422, "Invalid amount of money"),
    InvalidScope = ("invalid_scope", 422, "Invalid scope for this procedure"),
    InvalidJustification = ("invalid_justification", 422, "Invalid justification"),
    InvalidAuctionSettings = ("invalid_auction_settings", 422, "Invalid auction settings"),
    ItemsRequired = ("items_required", 422, "A tender has at least one item"),
    TooManyItems = ("too_many_items", 422, "Too many items"),
    TooManyLots = ("too_many_lots", 422, "Too many lots"),
    LotsAndItems = ("lots_and_items", 422, "A tender is written with lots or with items, not both"),
    IncompleteLot = ("incomplete_lot", 422, "A bid prices every item of each lot it offers"),
    LotNotOffered = ("lot_not_offered", 422, "The bid does not offer that lot"),
    LotRequired = ("lot_required", 409, "This tender has several lots: name the lot"),
    ComplaintOutOfTime = ("complaint_out_of_time", 422, "The complaint is filed after its window"),
    ActNotHappened = ("act_not_happened", 422, "That act has not happened"),
    NoStanding = ("no_standing", 403, "This supplier may not contest that act"),
    ComplaintStepNotAllowed = ("complaint_step_not_allowed", 409, "The complaint's status does not allow that"),
    ComplaintClosed = ("complaint_closed", 409, "The complaint is closed"),
    NotSuspended = ("not_suspended", 409, "No suspension is in force"),
    TenderSuspended = ("tender_suspended", 409, "The tender is suspended by an admitted complaint"),
    InvalidComplaint = ("invalid_complaint", 422, "Invalid complaint"),
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
    RequestTimeout = ("request_timeout", 408, "Request timeout"),
    TooManyStreams = ("too_many_streams", 429, "Too many event streams"),
    RateLimited = ("rate_limited", 429, "Too many requests"),
    ServiceUnavailable = ("service_unavailable", 503, "Service unavailable"),
    InternalError = ("internal_error", 500, "Internal error"),
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Codes compare with their spelling, so that tests read as the API answers.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
            assert!((400..600).contains(&code.status()), "{s}");
            assert_eq!(Code::parse(s), Some(*code));
        }
    }
}
