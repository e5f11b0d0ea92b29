//! Tenders (procedimientos de contratación): procedures, phases, schedule rules and the
//! reference value. Pure functions of their inputs and the time given.

use crate::domain::code::Code;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;
use super::validation::ValidationErrors;

/// The most items one tender may hold, and the largest quantity of one item.
pub const MAX_ITEMS: usize = 500;
pub const MAX_QUANTITY: u64 = 1_000_000_000;
/// The fewest suppliers an invitation procedure invites (invitación a cuando menos tres).
pub const MIN_INVITED: usize = 3;
pub const MAX_INVITED: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Licitación pública: any registered, unsanctioned supplier may bid.
    Open,
    /// Invitación a cuando menos tres personas.
    Invitation,
    /// Adjudicación directa: one supplier, with a legal justification.
    DirectAward,
    /// An order under a framework contract, to its adhered suppliers only.
    FrameworkOrder,
}

impl Procedure {
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::Open => "open",
            Procedure::Invitation => "invitation",
            Procedure::DirectAward => "direct_award",
            Procedure::FrameworkOrder => "framework_order",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Procedure::Open,
            Procedure::Invitation,
            Procedure::DirectAward,
            Procedure::FrameworkOrder,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
    }
}

/// Who may take part in an open tender: national suppliers only, or international too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    National,
    International,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::National => "national",
            Scope::International => "international",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Scope::National, Scope::International]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// What the service records of a tender; the phase shown is computed from it and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    Published,
    Opened,
    Evaluated,
    Auction,
    Awarded,
    Contracted,
    Cancelled,
    Deserted,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::Published,
        Status::Opened,
        Status::Evaluated,
        Status::Auction,
        Status::Awarded,
        Status::Contracted,
        Status::Cancelled,
        Status::Deserted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Opened => "opened",
            Status::Evaluated => "evaluated",
            Status::Auction => "auction",
            Status::Awarded => "awarded",
            Status::Contracted => "contracted",
            Status::Cancelled => "cancelled",
            Status::Deserted => "deserted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the tender may still be cancelled (until the award).
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            Status::Draft
                | Status::Published
                | Status::Opened
                | Status::Evaluated
                | Status::Auction
        )
    }
}

/// The phase of SPEC §2, as a person sees it at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Draft,
    Clarification,
    Submission,
    Evaluation,
    Auction,
    Awarded,
    Contracted,
    Cancelled,
    Deserted,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::Draft,
        Phase::Clarification,
        Phase::Submission,
        Phase::Evaluation,
        Phase::Auction,
        Phase::Awarded,
        Phase::Contracted,
        Phase::Cancelled,
        Phase::Deserted,
    ];

    /// The name the API shows (`phase` of a tender) and audit events record.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Clarification => "clarification",
            Phase::Submission => "submission",
            Phase::Evaluation => "evaluation",
            Phase::Auction => "auction",
            Phase::Awarded => "awarded",
            Phase::Contracted => "contracted",
            Phase::Cancelled => "cancelled",
            Phase::Deserted => "deserted",
        }
    }
}

/// The dates of a tender, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    /// Suppliers may ask questions until then.
    pub clarifications_until: DateTime<Utc>,
    /// Sealed bids may be submitted, replaced or withdrawn until then.
    pub submission_deadline: DateTime<Utc>,
    /// The bids are opened from then on.
    pub opening_at: DateTime<Utc>,
}

/// The phase at `now`.
pub fn phase(status: Status, schedule: &Schedule, now: DateTime<Utc>) -> Phase {
    match status {
        Status::Draft => Phase::Draft,
        Status::Published if now < schedule.clarifications_until => Phase::Clarification,
        Status::Published if now < schedule.submission_deadline => Phase::Submission,
        Status::Published | Status::Opened | Status::Evaluated => Phase::Evaluation,
        Status::Auction => Phase::Auction,
        Status::Awarded => Phase::Awarded,
        Status::Contracted => Phase::Contracted,
        Status::Cancelled => Phase::Cancelled,
        Status::Deserted => Phase::Deserted,
    }
}

/// Legal minimum periods, in days (settings; all zero in the sandbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegalPeriods {
    /// From publication to the submission deadline, per procedure.
    pub open_national_days: i64,
    pub open_international_days: i64,
    pub invitation_days: i64,
    pub direct_award_days: i64,
    pub framework_order_days: i64,
    /// From the end of clarifications to the submission deadline (open tenders and
    /// invitations, which hold a clarification meeting).
    pub clarification_gap_days: i64,
}

impl LegalPeriods {
    /// Defaults after Mexico's procurement law: 20 days for an international open tender,
    /// 15 for a national one, 5 for an invitation, 6 days between the clarification
    /// meeting and the submission of bids.
    pub const DEFAULT: LegalPeriods = LegalPeriods {
        open_national_days: 15,
        open_international_days: 20,
        invitation_days: 5,
        direct_award_days: 0,
        framework_order_days: 0,
        clarification_gap_days: 6,
    };

    pub const SANDBOX: LegalPeriods = LegalPeriods {
        open_national_days: 0,
        open_international_days: 0,
        invitation_days: 0,
        direct_award_days: 0,
        framework_order_days: 0,
        clarification_gap_days: 0,
    };

    pub fn to_deadline(&self, procedure: Procedure, scope: Scope) -> Duration {
        Duration::days(match (procedure, scope) {
            (Procedure::Open, Scope::National) => self.open_national_days,
            (Procedure::Open, Scope::International) => self.open_international_days,
            (Procedure::Invitation, _) => self.invitation_days,
            (Procedure::DirectAward, _) => self.direct_award_days,
            (Procedure::FrameworkOrder, _) => self.framework_order_days,
        })
    }
}

/// The schedule is in order (checked whenever a draft is saved).
pub fn check_order(schedule: &Schedule, errors: &mut ValidationErrors) {
    if schedule.clarifications_until > schedule.submission_deadline {
        errors.push(
            "schedule.clarifications_until",
            Code::ScheduleOutOfOrder,
            "clarifications end no later than the submission deadline",
        );
    }
    if schedule.submission_deadline > schedule.opening_at {
        errors.push(
            "schedule.opening_at",
            Code::ScheduleOutOfOrder,
            "the opening comes no earlier than the submission deadline",
        );
    }
}

/// The schedule can be published at `now`: in the future, in order, and with the legal
/// minimum periods.
pub fn check_publishable_schedule(
    schedule: &Schedule,
    procedure: Procedure,
    scope: Scope,
    periods: &LegalPeriods,
    now: DateTime<Utc>,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if schedule.clarifications_until <= now {
        errors.push(
            "schedule.clarifications_until",
            Code::ScheduleInPast,
            "the clarification period must end in the future",
        );
    }
    check_order(schedule, &mut errors);
    let to_deadline = periods.to_deadline(procedure, scope);
    if schedule.submission_deadline - now < to_deadline {
        errors.push(
            "schedule.submission_deadline",
            Code::PeriodTooShort,
            format!(
                "a {} tender allows at least {} days from publication to the submission deadline",
                procedure.as_str(),
                to_deadline.num_days()
            ),
        );
    }
    // The clarification meeting's gap applies where one is held: open and invitation.
    let gap = Duration::days(periods.clarification_gap_days);
    if matches!(procedure, Procedure::Open | Procedure::Invitation)
        && schedule.submission_deadline - schedule.clarifications_until < gap
    {
        errors.push(
            "schedule.submission_deadline",
            Code::PeriodTooShort,
            format!(
                "at least {} days must pass between the end of clarifications and the deadline",
                gap.num_days()
            ),
        );
    }
    errors.finish()
}

/// One line of a tender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The lot it belongs to (1-based).
    pub lot: u32,
    pub classifier_code: String,
    pub quantity: u64,
    pub unit: String,
    pub max_unit_price: Money,
}

/// Σ quantity × maximum unit price; `None` on overflow.
pub fn reference_value(items: &[Item]) -> Option<Money> {
    items.iter().try_fold(Money::ZERO, |sum, item| {
        sum.checked_add(item.max_unit_price.checked_mul(item.quantity)?)
    })
}

/// The participant rules that need no database: how many suppliers a procedure names and
/// whether it needs a justification.
pub fn check_participants(
    procedure: Procedure,
    invited: usize,
    justification: Option<&str>,
    errors: &mut ValidationErrors,
) {
    match procedure {
        Procedure::Open | Procedure::FrameworkOrder if invited > 0 => errors.push(
            "invited_suppliers",
            Code::InvitedNotAllowed,
            format!(
                "a {} procedure invites nobody: it is open to every eligible supplier",
                procedure.as_str()
            ),
        ),
        Procedure::Invitation if invited < MIN_INVITED => errors.push(
            "invited_suppliers",
            Code::TooFewInvited,
            format!("an invitation procedure invites at least {MIN_INVITED} suppliers"),
        ),
        Procedure::DirectAward if invited != 1 => errors.push(
            "invited_suppliers",
            Code::DirectAwardNeedsOneSupplier,
            "a direct award names exactly one supplier",
        ),
        _ => {}
    }
    if procedure == Procedure::DirectAward && justification.is_none_or(|j| j.trim().is_empty()) {
        errors.push(
            "legal_justification",
            Code::JustificationRequired,
            "a direct award needs its legal justification",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn schedule() -> Schedule {
        Schedule {
            clarifications_until: at("2026-03-10T18:00:00Z"),
            submission_deadline: at("2026-03-20T18:00:00Z"),
            opening_at: at("2026-03-21T16:00:00Z"),
        }
    }

    #[test]
    fn the_phase_follows_the_clock_once_published() {
        let s = schedule();
        assert_eq!(
            phase(Status::Draft, &s, at("2026-03-15T00:00:00Z")),
            Phase::Draft
        );
        assert_eq!(
            phase(Status::Published, &s, at("2026-03-10T17:59:59Z")),
            Phase::Clarification
        );
        assert_eq!(
            phase(Status::Published, &s, at("2026-03-10T18:00:00Z")),
            Phase::Submission
        );
        assert_eq!(
            phase(Status::Published, &s, at("2026-03-20T18:00:00Z")),
            Phase::Evaluation
        );
        assert_eq!(
            phase(Status::Opened, &s, at("2026-03-22T00:00:00Z")),
            Phase::Evaluation
        );
        assert_eq!(
            phase(Status::Cancelled, &s, at("2026-03-01T00:00:00Z")),
            Phase::Cancelled
        );
    }

    #[test]
    fn a_phase_is_named_as_the_api_shows_it() {
        for p in Phase::ALL {
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::Value::from(p.as_str()))
            );
        }
    }

    #[test]
    fn publishing_needs_the_legal_periods() {
        let s = schedule();
        let now = at("2026-03-01T18:00:00Z");
        let codes = |r: Result<(), ValidationErrors>| -> Vec<Code> {
            r.err()
                .map(|e| e.0.iter().map(|e| e.code).collect())
                .unwrap_or_default()
        };
        // 19 days to the deadline: enough for a national open tender, not an international one.
        assert!(
            check_publishable_schedule(
                &s,
                Procedure::Open,
                Scope::National,
                &LegalPeriods::DEFAULT,
                now
            )
            .is_ok()
        );
        assert_eq!(
            codes(check_publishable_schedule(
                &s,
                Procedure::Open,
                Scope::International,
                &LegalPeriods::DEFAULT,
                now
            )),
            [Code::PeriodTooShort]
        );
        let late = at("2026-03-11T00:00:00Z");
        assert_eq!(
            codes(check_publishable_schedule(
                &s,
                Procedure::DirectAward,
                Scope::National,
                &LegalPeriods::SANDBOX,
                late
            )),
            [Code::ScheduleInPast]
        );
        let mut backwards = s;
        backwards.opening_at = at("2026-03-19T00:00:00Z");
        assert_eq!(
            codes(check_publishable_schedule(
                &backwards,
                Procedure::DirectAward,
                Scope::National,
                &LegalPeriods::SANDBOX,
                now
            )),
            [Code::ScheduleOutOfOrder]
        );
    }

    #[test]
    fn the_reference_value_sums_every_line() {
        let items = [
            Item {
                lot: 1,
                classifier_code: "51501003".into(),
                quantity: 120,
                unit: "pieza".into(),
                max_unit_price: Money::parse("18500.00").unwrap_or_default(),
            },
            Item {
                lot: 1,
                classifier_code: "21101001".into(),
                quantity: 3,
                unit: "caja".into(),
                max_unit_price: Money::parse("0.35").unwrap_or_default(),
            },
        ];
        assert_eq!(
            reference_value(&items).map(|m| m.to_string()),
            Some("2220001.05".into())
        );
        let huge = [Item {
            max_unit_price: Money::from_centavos(super::super::money::MAX_CENTAVOS)
                .unwrap_or_default(),
            quantity: 2,
            ..items[0].clone()
        }];
        assert_eq!(reference_value(&huge), None);
    }

    #[test]
    fn each_procedure_names_its_participants() {
        let codes = |p, n, j| {
            let mut e = ValidationErrors::new();
            check_participants(p, n, j, &mut e);
            e.0.iter().map(|e| e.code).collect::<Vec<_>>()
        };
        assert!(codes(Procedure::Open, 0, None).is_empty());
        assert_eq!(codes(Procedure::Open, 1, None), [Code::InvitedNotAllowed]);
        assert_eq!(codes(Procedure::Invitation, 2, None), [Code::TooFewInvited]);
        assert!(codes(Procedure::Invitation, 3, None).is_empty());
        assert_eq!(
            codes(Procedure::DirectAward, 2, Some("Art. 41")),
            [Code::DirectAwardNeedsOneSupplier]
        );
        assert_eq!(
            codes(Procedure::DirectAward, 1, Some("  ")),
            [Code::JustificationRequired]
        );
        assert!(codes(Procedure::DirectAward, 1, Some("Artículo 41, fracción I")).is_empty());
    }
}

/// A tender as an officer writes it, parsed and checked (everything that needs no
/// database). The classifier codes and invited suppliers are checked against the database
/// when saved and when published.
#[derive(Debug, Clone, PartialEq)]
pub struct TenderDraft {
    pub title: String,
    pub description: String,
    pub procedure: Procedure,
    pub scope: Scope,
    /// Every lot's items, numbered 1..n across the tender, lot by lot.
    pub items: Vec<Item>,
    pub lots: Vec<LotDraft>,
    /// Written with `lots` (not top-level `items`): errors name `lots[l].items[i]`.
    pub in_lots: bool,
    pub reference_value: Money,
    pub schedule: Schedule,
    pub invited: Vec<super::rfc::Rfc>,
    pub legal_justification: Option<String>,
    pub framework_contract_id: Option<uuid::Uuid>,
    pub ict_assent_id: Option<uuid::Uuid>,
    pub framework_exception: Option<String>,
    pub auction_settings: Option<serde_json::Value>,
}

/// One lot of a draft: its number is its place (1-based), its items those of
/// [`TenderDraft::items`] that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotDraft {
    pub title: String,
    pub description: Option<String>,
    /// Σ quantity × maximum unit price of its items.
    pub reference_value: Money,
}

/// A lot as received.
#[derive(Debug, Clone)]
pub struct RawLot<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub items: Vec<RawItem<'a>>,
}

/// The raw fields of a draft, as received: its items in lots, or (one lot) without.
#[derive(Debug, Clone)]
pub struct RawDraft<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub procedure: Procedure,
    pub scope: Option<Scope>,
    pub items: Option<&'a [RawItem<'a>]>,
    pub lots: Option<&'a [RawLot<'a>]>,
    pub schedule: Schedule,
    pub invited: &'a [String],
    pub legal_justification: Option<&'a str>,
    pub framework_contract_id: Option<uuid::Uuid>,
    pub ict_assent_id: Option<uuid::Uuid>,
    pub framework_exception: Option<&'a str>,
    pub auction_settings: Option<&'a super::auction_settings::SettingsRequest>,
}

#[derive(Debug, Clone)]
pub struct RawItem<'a> {
    pub classifier_code: &'a str,
    pub quantity: u64,
    pub unit: &'a str,
    pub max_unit_price: Money,
}

pub const TITLE_LEN: std::ops::RangeInclusive<usize> = 5..=300;
pub const LONG_TEXT_LEN: std::ops::RangeInclusive<usize> = 1..=20_000;

impl TenderDraft {
    pub fn parse(raw: &RawDraft<'_>) -> Result<Self, ValidationErrors> {
        use super::rfc::{CheckDigit, Rfc};
        use super::text::bounded;

        let mut errors = ValidationErrors::new();
        let title = errors.check(
            "title",
            bounded(raw.title, "title", Code::InvalidTitle, TITLE_LEN, false),
        );
        let description = errors.check(
            "description",
            bounded(
                raw.description,
                "description",
                Code::InvalidDescription,
                LONG_TEXT_LEN,
                true,
            ),
        );
        let (items, lots) = parse_lots(raw, title.as_deref(), &mut errors);
        let reference = lots.iter().try_fold(Money::ZERO, |sum, lot| {
            sum.checked_add(lot.as_ref()?.reference_value)
        });
        if reference.is_none() && lots.iter().all(Option::is_some) {
            errors.push(
                "items",
                Code::InvalidMoney,
                "the reference value is too large",
            );
        }
        for (field, at) in [
            (
                "schedule.clarifications_until",
                raw.schedule.clarifications_until,
            ),
            (
                "schedule.submission_deadline",
                raw.schedule.submission_deadline,
            ),
            ("schedule.opening_at", raw.schedule.opening_at),
        ] {
            super::validation::check_year(&mut errors, field, at);
        }
        check_order(&raw.schedule, &mut errors);
        let mut invited: Vec<Rfc> = Vec::with_capacity(raw.invited.len());
        if raw.invited.len() > MAX_INVITED {
            errors.push(
                "invited_suppliers",
                Code::TooManyInvited,
                format!("at most {MAX_INVITED} suppliers"),
            );
        }
        for (i, rfc) in raw.invited.iter().enumerate() {
            if let Some(rfc) = errors.check(
                &format!("invited_suppliers[{i}]"),
                Rfc::parse_with(rfc, CheckDigit::Override),
            ) && !invited.contains(&rfc)
            {
                invited.push(rfc);
            }
        }
        let justification = raw
            .legal_justification
            .filter(|j| !j.trim().is_empty())
            .and_then(|j| {
                errors.check(
                    "legal_justification",
                    bounded(
                        j,
                        "legal_justification",
                        Code::InvalidJustification,
                        LONG_TEXT_LEN,
                        true,
                    ),
                )
            });
        let exception = raw
            .framework_exception
            .filter(|j| !j.trim().is_empty())
            .and_then(|j| {
                errors.check(
                    "framework_exception_justification",
                    bounded(
                        j,
                        "framework_exception_justification",
                        Code::InvalidJustification,
                        LONG_TEXT_LEN,
                        true,
                    ),
                )
            });
        check_participants(
            raw.procedure,
            invited.len(),
            justification.as_deref(),
            &mut errors,
        );
        // The planned auction settings are checked now with the rules of the scheduling:
        // an auction starts after the opening.
        let auction_settings = raw.auction_settings.and_then(|planned| {
            let parsed = super::auction_settings::AuctionSettings::parse(
                planned.clone(),
                raw.schedule.opening_at,
                1,
            );
            match parsed {
                Ok(_) => serde_json::to_value(planned).ok(),
                Err(found) => {
                    for e in found.0 {
                        let message = if e.field == "starts_at" {
                            format!("{} (and after the opening)", e.message)
                        } else {
                            e.message
                        };
                        errors.push(&format!("auction.{}", e.field), e.code, message);
                    }
                    None
                }
            }
        });
        let scope = raw.scope.unwrap_or_default();
        if raw.procedure != Procedure::Open && scope == Scope::International {
            errors.push(
                "scope",
                Code::InvalidScope,
                "only an open tender is national or international",
            );
        }
        super::validation::all_or_errors(errors, || {
            Some(Self {
                title: title?,
                description: description?,
                procedure: raw.procedure,
                scope,
                reference_value: reference?,
                items,
                lots: lots.into_iter().collect::<Option<Vec<_>>>()?,
                in_lots: raw.lots.is_some(),
                schedule: raw.schedule,
                invited,
                legal_justification: justification,
                framework_contract_id: raw.framework_contract_id,
                ict_assent_id: raw.ict_assent_id,
                framework_exception: exception,
                auction_settings,
            })
        })
    }
}

impl TenderDraft {
    /// The request field of the item at `index` (0-based, across the tender).
    pub fn item_field(&self, index: usize) -> String {
        let Some(item) = self.items.get(index) else {
            return format!("items[{index}]");
        };
        if !self.in_lots {
            return format!("items[{index}]");
        }
        let first = self
            .items
            .iter()
            .position(|i| i.lot == item.lot)
            .unwrap_or(0);
        format!(
            "lots[{}].items[{}]",
            item.lot.saturating_sub(1),
            index - first
        )
    }
}

/// The draft's lots and their items, numbered across the tender: `lots` as written, or
/// the top-level `items` as one lot titled as the tender. A lot that does not parse is
/// `None` (its errors pushed).
fn parse_lots(
    raw: &RawDraft<'_>,
    tender_title: Option<&str>,
    errors: &mut ValidationErrors,
) -> (Vec<Item>, Vec<Option<LotDraft>>) {
    use super::text::bounded;
    let single;
    let (written, prefix): (&[RawLot<'_>], bool) = match (raw.lots, raw.items) {
        (Some(_), Some(_)) => {
            errors.push(
                "lots",
                Code::LotsAndItems,
                "write the items inside `lots`, or only top-level `items` (one lot), not both",
            );
            return (Vec::new(), vec![None]);
        }
        (Some(lots), None) => (lots, true),
        (None, items) => {
            single = [RawLot {
                title: tender_title.unwrap_or_default(),
                description: None,
                items: items.unwrap_or_default().to_vec(),
            }];
            (&single, false)
        }
    };
    if written.is_empty() {
        errors.push("lots", Code::ItemsRequired, "a tender has at least one lot");
    }
    if written.len() > super::lot::MAX_LOTS {
        errors.push(
            "lots",
            Code::TooManyLots,
            format!("a tender has at most {} lots", super::lot::MAX_LOTS),
        );
        return (Vec::new(), vec![None]);
    }
    let count: usize = written.iter().map(|l| l.items.len()).sum();
    if count > MAX_ITEMS {
        errors.push(
            if prefix { "lots" } else { "items" },
            Code::TooManyItems,
            format!("a tender has at most {MAX_ITEMS} items"),
        );
        return (Vec::new(), vec![None]);
    }
    let mut items = Vec::with_capacity(count);
    let mut lots = Vec::with_capacity(written.len());
    for (l, lot) in written.iter().enumerate() {
        let at = |field: &str| {
            if prefix {
                format!("lots[{l}].{field}")
            } else {
                field.to_owned()
            }
        };
        let number = u32::try_from(l + 1).unwrap_or(u32::MAX);
        let title = if prefix {
            errors.check(
                &at("title"),
                bounded(lot.title, "title", Code::InvalidTitle, 1..=300, false),
            )
        } else {
            Some(lot.title.to_owned())
        };
        let description = lot
            .description
            .filter(|d| !d.trim().is_empty())
            .and_then(|d| {
                errors.check(
                    &at("description"),
                    bounded(
                        d,
                        "description",
                        Code::InvalidDescription,
                        LONG_TEXT_LEN,
                        true,
                    ),
                )
            });
        if lot.items.is_empty() {
            errors.push(
                &at("items"),
                Code::ItemsRequired,
                if prefix {
                    "a lot has at least one item"
                } else {
                    "a tender has at least one item"
                },
            );
        }
        let first = items.len();
        let mut whole = true;
        for (i, item) in lot.items.iter().enumerate() {
            match parse_item(item, number, &at(&format!("items[{i}]")), errors) {
                Some(item) => items.push(item),
                None => whole = false,
            }
        }
        let reference = items.get(first..).and_then(reference_value);
        if reference.is_none() && whole {
            errors.push(
                &at("items"),
                Code::InvalidMoney,
                "the lot's reference value is too large",
            );
        }
        lots.push(match (title, reference, whole) {
            (Some(title), Some(reference_value), true) => Some(LotDraft {
                title,
                description,
                reference_value,
            }),
            _ => None,
        });
    }
    (items, lots)
}

/// One item, its errors pushed under `field`.
fn parse_item(
    item: &RawItem<'_>,
    lot: u32,
    field: &str,
    errors: &mut ValidationErrors,
) -> Option<Item> {
    use super::classifier::{ClassifierCode, UNIT_LEN};
    use super::text::bounded;
    let code = errors.check(
        &format!("{field}.classifier_code"),
        ClassifierCode::parse(item.classifier_code),
    );
    let mut ok = true;
    if !(1..=MAX_QUANTITY).contains(&item.quantity) {
        errors.push(
            &format!("{field}.quantity"),
            Code::InvalidQuantity,
            format!("a quantity is 1 to {MAX_QUANTITY}"),
        );
        ok = false;
    }
    let unit = errors.check(
        &format!("{field}.unit"),
        bounded(item.unit, "unit", Code::InvalidUnit, UNIT_LEN, false),
    );
    if item.max_unit_price == Money::ZERO {
        errors.push(
            &format!("{field}.max_unit_price"),
            Code::InvalidMoney,
            "a maximum unit price is greater than zero",
        );
        ok = false;
    }
    Some(Item {
        lot,
        classifier_code: code?.as_str().to_owned(),
        quantity: item.quantity,
        unit: unit?,
        max_unit_price: item.max_unit_price,
    })
    .filter(|_| ok)
}
