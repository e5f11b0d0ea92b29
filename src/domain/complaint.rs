//! Complaints (inconformidades): a supplier contests an act of a tender before the
//! internal control body (the `auditor`), who admits or rejects it, may suspend the
//! tender meanwhile, and resolves it. Pure decisions: who may file, until when (business
//! days of the legal calendar), and which transition each status allows.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::code::Code;
use super::rejection::Rejection;

/// The act a complaint contests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// The call and its clarifications.
    Conditions,
    Opening,
    Evaluation,
    /// A lot's award.
    Award,
}

impl Act {
    pub const ALL: [Act; 4] = [Act::Conditions, Act::Opening, Act::Evaluation, Act::Award];

    pub fn as_str(self) -> &'static str {
        match self {
            Act::Conditions => "conditions",
            Act::Opening => "opening",
            Act::Evaluation => "evaluation",
            Act::Award => "award",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Filed,
    Admitted,
    Rejected,
    Upheld,
    Dismissed,
    Withdrawn,
}

impl ComplaintStatus {
    pub const ALL: [ComplaintStatus; 6] = [
        ComplaintStatus::Filed,
        ComplaintStatus::Admitted,
        ComplaintStatus::Rejected,
        ComplaintStatus::Upheld,
        ComplaintStatus::Dismissed,
        ComplaintStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Filed => "filed",
            ComplaintStatus::Admitted => "admitted",
            ComplaintStatus::Rejected => "rejected",
            ComplaintStatus::Upheld => "upheld",
            ComplaintStatus::Dismissed => "dismissed",
            ComplaintStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Rejected, resolved (upheld or dismissed) or withdrawn: no step is left.
    pub fn closed(self) -> bool {
        !matches!(self, ComplaintStatus::Filed | ComplaintStatus::Admitted)
    }

    /// Resolved (upheld or dismissed): its text, complainant and resolution are public
    /// from then on (SPEC §2).
    pub fn resolved(self) -> bool {
        matches!(self, ComplaintStatus::Upheld | ComplaintStatus::Dismissed)
    }
}

/// Why an auditor rejects a complaint (a fixed list, with a text beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// Filed after its window.
    OutOfTime,
    /// The complainant may not contest that act.
    NoStanding,
    /// It does not say which facts or what it asks for.
    Incomplete,
    /// The same act is contested by an earlier complaint of the same supplier.
    Duplicate,
    /// The act is not one the control body reviews.
    NotReviewable,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 5] = [
        RejectionReason::OutOfTime,
        RejectionReason::NoStanding,
        RejectionReason::Incomplete,
        RejectionReason::Duplicate,
        RejectionReason::NotReviewable,
    ];

    /// The name the API shows and the database keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionReason::OutOfTime => "out_of_time",
            RejectionReason::NoStanding => "no_standing",
            RejectionReason::Incomplete => "incomplete",
            RejectionReason::Duplicate => "duplicate",
            RejectionReason::NotReviewable => "not_reviewable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// What an auditor or the complainant does to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Admit,
    Reject,
    Resolve,
    Withdraw,
    LiftSuspension,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Admit => "admitted",
            Step::Reject => "rejected",
            Step::Resolve => "resolved",
            Step::Withdraw => "withdrawn",
            Step::LiftSuspension => "its suspension lifted",
        }
    }
}

/// The status after `step`, or why it is refused from `status` (409 with a stable code).
/// A suspension is lifted only while it is in force (`suspended`).
pub fn next(
    status: ComplaintStatus,
    step: Step,
    upheld: bool,
    suspended: bool,
) -> Result<ComplaintStatus, Rejection> {
    use ComplaintStatus::*;
    let to = match (status, step) {
        (Filed, Step::Admit) => Some(Admitted),
        (Filed, Step::Reject) => Some(Rejected),
        (Admitted, Step::Resolve) => Some(if upheld { Upheld } else { Dismissed }),
        (Filed | Admitted, Step::Withdraw) => Some(Withdrawn),
        (Admitted, Step::LiftSuspension) if suspended => Some(Admitted),
        _ => None,
    };
    to.ok_or_else(|| {
        let code = match (status, step) {
            (Admitted, Step::LiftSuspension) => Code::NotSuspended,
            (_, Step::Withdraw) => Code::ComplaintClosed,
            _ => Code::ComplaintStepNotAllowed,
        };
        Rejection::rule(
            code,
            format!(
                "a complaint that is {} can't be {}",
                status.as_str(),
                step.name()
            ),
        )
    })
}

/// The legal calendar's working days: Monday to Friday, except the holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    pub holidays: Vec<NaiveDate>,
}

impl Calendar {
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The last day of a window of `days` business days counted from the day after `act`
    /// (the act's own day does not count).
    pub fn window_end(&self, act: NaiveDate, days: u32) -> NaiveDate {
        let mut day = act;
        let mut left = days;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        day
    }
}

/// Who the complainant is with respect to the tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Registered (and so may contest the conditions).
    pub registered: bool,
    /// It has an opened bid in the tender (in the award's lot, for an award complaint).
    pub bid: bool,
}

/// What filing decides on: the act, when it happened (its legal-calendar day; `None`: it
/// has not happened), today, the window and the calendar.
#[derive(Debug, Clone)]
pub struct FilingFacts<'a> {
    pub act: Act,
    pub act_day: Option<NaiveDate>,
    /// The submission deadline's day, for the conditions, and whether it has passed.
    pub deadline_day: NaiveDate,
    pub deadline_passed: bool,
    pub today: NaiveDate,
    pub standing: Standing,
    pub days: u32,
    pub calendar: &'a Calendar,
}

/// A complaint may be filed now (SPEC §2): against the conditions by any registered
/// supplier until the submission deadline; against the opening, the evaluation or an
/// award by a supplier that bid, within the window of business days after the act. An act
/// that has not happened can't be contested.
pub fn decide_filing(f: &FilingFacts<'_>) -> Result<(), Rejection> {
    if !f.standing.registered {
        return Err(Rejection::rule(
            Code::SupplierNotRegistered,
            "only a registered supplier files a complaint",
        ));
    }
    match f.act {
        Act::Conditions => {
            if f.deadline_passed {
                return Err(Rejection::rule(
                    Code::ComplaintOutOfTime,
                    format!(
                        "the conditions are contested until the submission deadline, {}",
                        f.deadline_day
                    ),
                ));
            }
        }
        act => {
            let Some(day) = f.act_day else {
                return Err(Rejection::rule(
                    Code::ActNotHappened,
                    format!("the {} has not happened", act.as_str()),
                ));
            };
            if !f.standing.bid {
                return Err(Rejection::rule(
                    Code::NoStanding,
                    format!("only a supplier that bid contests the {}", act.as_str()),
                ));
            }
            let end = f.calendar.window_end(day, f.days);
            if f.today > end {
                return Err(Rejection::rule(
                    Code::ComplaintOutOfTime,
                    format!(
                        "the {} of {day} is contested within {} business days, until {end}",
                        act.as_str(),
                        f.days
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_window_counts_business_days_after_the_act() {
        let calendar = Calendar {
            holidays: vec![day("2026-11-16")],
        };
        // Friday 13 November 2026: Monday 16th is a holiday; 6 business days end on the 24th.
        assert_eq!(calendar.window_end(day("2026-11-13"), 6), day("2026-11-24"));
        assert_eq!(
            Calendar::default().window_end(day("2026-11-13"), 6),
            day("2026-11-23")
        );
        assert_eq!(
            Calendar::default().window_end(day("2026-11-13"), 0),
            day("2026-11-13")
        );
        assert!(!calendar.is_business_day(day("2026-11-14")));
    }

    fn facts(act: Act, today: &str) -> FilingFacts<'static> {
        static CALENDAR: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        FilingFacts {
            act,
            act_day: Some(day("2026-11-13")),
            deadline_day: day("2026-11-10"),
            deadline_passed: day(today) > day("2026-11-10"),
            today: day(today),
            standing: Standing {
                registered: true,
                bid: true,
            },
            days: 6,
            calendar: CALENDAR.get_or_init(Calendar::default),
        }
    }

    #[test]
    fn each_act_is_contested_by_whom_and_until_when_it_may_be() {
        let code = |f: FilingFacts<'_>| decide_filing(&f).err().map(|e| e.code());
        assert_eq!(code(facts(Act::Award, "2026-11-23")), None);
        assert_eq!(
            code(facts(Act::Award, "2026-11-24")),
            Some(Code::ComplaintOutOfTime)
        );
        assert_eq!(code(facts(Act::Conditions, "2026-11-10")), None);
        assert_eq!(
            code(facts(Act::Conditions, "2026-11-11")),
            Some(Code::ComplaintOutOfTime)
        );
        let mut stranger = facts(Act::Evaluation, "2026-11-16");
        stranger.standing.bid = false;
        assert_eq!(code(stranger), Some(Code::NoStanding));
        let mut early = facts(Act::Opening, "2026-11-16");
        early.act_day = None;
        assert_eq!(code(early), Some(Code::ActNotHappened));
        let mut unregistered = facts(Act::Conditions, "2026-11-01");
        unregistered.standing.registered = false;
        assert_eq!(code(unregistered), Some(Code::SupplierNotRegistered));
    }

    #[test]
    fn a_rejection_reason_is_named_as_the_api_shows_it() {
        for r in RejectionReason::ALL {
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::Value::from(r.as_str()))
            );
            assert_eq!(RejectionReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn each_status_allows_its_steps_only() {
        use ComplaintStatus::*;
        assert_eq!(next(Filed, Step::Admit, false, false), Ok(Admitted));
        assert_eq!(next(Filed, Step::Reject, false, false), Ok(Rejected));
        assert_eq!(next(Admitted, Step::Resolve, true, true), Ok(Upheld));
        assert_eq!(next(Admitted, Step::Resolve, false, false), Ok(Dismissed));
        assert_eq!(next(Admitted, Step::Withdraw, false, false), Ok(Withdrawn));
        assert_eq!(
            next(Admitted, Step::LiftSuspension, false, true),
            Ok(Admitted)
        );
        let code = |s, step| next(s, step, false, false).unwrap_err().code();
        assert_eq!(code(Filed, Step::Resolve), Code::ComplaintStepNotAllowed);
        assert_eq!(
            code(Withdrawn, Step::Resolve),
            Code::ComplaintStepNotAllowed
        );
        assert_eq!(code(Upheld, Step::Withdraw), Code::ComplaintClosed);
        assert_eq!(code(Admitted, Step::LiftSuspension), Code::NotSuspended);
        assert_eq!(code(Admitted, Step::Admit), Code::ComplaintStepNotAllowed);
    }
}
