//! The ICT policy's assent (dictamen): an agency may buy or lease ICT only under an
//! approved, unexpired assent of the Digital Government Unit that covers the goods and the
//! amount. A unit holds a limited number of approved strategic projects per fiscal year.

use super::code::Code;
use chrono::{Datelike, NaiveDate};

use super::money::Money;

/// The policy's settings, with the 2014 ICT policy's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IctPolicy {
    /// Approved strategic projects an agency may hold per fiscal year.
    pub strategic_limit: u32,
    /// The fiscal year's first month and day.
    pub fiscal_year_start: (u32, u32),
}

impl IctPolicy {
    pub const DEFAULT: IctPolicy = IctPolicy {
        strategic_limit: 7,
        fiscal_year_start: (1, 1),
    };

    /// The fiscal year a date falls in, named by the calendar year it starts in.
    pub fn fiscal_year(&self, date: NaiveDate) -> i32 {
        let (month, day) = self.fiscal_year_start;
        let starts_this_year = NaiveDate::from_ymd_opt(date.year(), month, day).unwrap_or(date);
        if date >= starts_this_year {
            date.year()
        } else {
            date.year() - 1
        }
    }
}

/// An assent as the award and publication rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assent {
    pub agency: String,
    pub approved: bool,
    pub approved_amount: Option<Money>,
    pub expires_on: Option<NaiveDate>,
    pub codes: Vec<String>,
}

/// Why an assent does not allow an ICT purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssentProblem {
    /// None cited, or not one of this agency's.
    Required,
    NotApproved,
    Expired(NaiveDate),
    /// The ICT items whose codes (nor any ancestor's) the assent lists.
    CodesNotCovered(Vec<String>),
    Insufficient {
        approved: Money,
        needed: Money,
    },
}

impl AssentProblem {
    pub fn code(&self) -> Code {
        match self {
            AssentProblem::Required => Code::IctAssentRequired,
            AssentProblem::NotApproved => Code::IctAssentNotApproved,
            AssentProblem::Expired(_) => Code::IctAssentExpired,
            AssentProblem::CodesNotCovered(_) => Code::IctAssentCodesNotCovered,
            AssentProblem::Insufficient { .. } => Code::IctAssentInsufficient,
        }
    }

    pub fn message(&self) -> String {
        match self {
            AssentProblem::Required => {
                "a tender with ICT items cites an approved ICT assent of its agency".into()
            }
            AssentProblem::NotApproved => "the ICT assent is not approved".into(),
            AssentProblem::Expired(on) => format!("the ICT assent expired on {on}"),
            AssentProblem::CodesNotCovered(codes) => {
                format!("the ICT assent does not cover {}", codes.join(", "))
            }
            AssentProblem::Insufficient { approved, needed } => {
                format!("the ICT assent approves {approved}, less than {needed}")
            }
        }
    }
}

/// Checks an assent for an agency's ICT items on a date, and, at the award, the amount.
/// `ict_items` pairs each ICT item's code with its ancestors' codes.
pub fn check_assent(
    assent: Option<&Assent>,
    agency: &str,
    ict_items: &[(String, Vec<String>)],
    on: NaiveDate,
    amount: Option<Money>,
) -> Result<(), AssentProblem> {
    if ict_items.is_empty() {
        return Ok(());
    }
    let assent = assent
        .filter(|a| a.agency == agency)
        .ok_or(AssentProblem::Required)?;
    if !assent.approved {
        return Err(AssentProblem::NotApproved);
    }
    if let Some(expires_on) = assent.expires_on
        && on > expires_on
    {
        return Err(AssentProblem::Expired(expires_on));
    }
    let uncovered: Vec<String> = ict_items
        .iter()
        .filter(|(code, ancestors)| {
            !assent
                .codes
                .iter()
                .any(|c| c == code || ancestors.contains(c))
        })
        .map(|(code, _)| code.clone())
        .collect();
    if !uncovered.is_empty() {
        return Err(AssentProblem::CodesNotCovered(uncovered));
    }
    if let (Some(needed), Some(approved)) = (amount, assent.approved_amount)
        && needed > approved
    {
        return Err(AssentProblem::Insufficient { approved, needed });
    }
    Ok(())
}

/// The ICT authority's decision on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve {
        amount: Money,
        expires_on: NaiveDate,
        notes: Option<String>,
    },
    Reject {
        notes: String,
    },
}

/// A request is decided once (`decided` names its status when it was); approving a
/// strategic project needs a free place in the agency's limit for the fiscal year (`held`
/// are approved already).
pub fn decide_request(
    id: super::ids::AssentId,
    decided: Option<&str>,
    strategic: bool,
    decision: &Decision,
    (agency, held, fiscal_year): (&str, u64, i32),
    policy: &IctPolicy,
) -> Result<(), super::rejection::Rejection> {
    use super::rejection::Rejection;
    if let Some(status) = decided {
        return Err(Rejection::rule(
            Code::AlreadyDecided,
            format!("ICT assent {id} is {status} already"),
        ));
    }
    if strategic
        && matches!(decision, Decision::Approve { .. })
        && held >= u64::from(policy.strategic_limit)
    {
        return Err(Rejection::field(
            "decision",
            Code::StrategicLimitReached,
            format!(
                "{agency} holds {held} approved strategic projects in fiscal year {fiscal_year}; the limit is {}",
                policy.strategic_limit
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn assent() -> Assent {
        Assent {
            agency: "SEP".into(),
            approved: true,
            approved_amount: Some(Money::parse("1000000.00").unwrap()),
            expires_on: Some(date("2026-12-31")),
            codes: vec!["51501".into()],
        }
    }

    fn laptop() -> Vec<(String, Vec<String>)> {
        vec![(
            "51501003".into(),
            vec!["5000".into(), "5100".into(), "515".into(), "51501".into()],
        )]
    }

    #[test]
    fn an_approved_assent_covers_items_under_its_codes() {
        assert_eq!(
            check_assent(Some(&assent()), "SEP", &laptop(), date("2026-06-01"), None),
            Ok(())
        );
        assert_eq!(
            check_assent(None, "SEP", &[], date("2026-06-01"), None),
            Ok(()),
            "no ICT item, no assent needed"
        );
    }

    #[test]
    fn each_failure_has_its_code() {
        let code = |a: Option<&Assent>, agency: &str, on: &str, amount: Option<&str>| {
            check_assent(
                a,
                agency,
                &laptop(),
                date(on),
                amount.map(|m| Money::parse(m).unwrap()),
            )
            .err()
            .map(|e| e.code())
        };
        assert_eq!(
            code(None, "SEP", "2026-06-01", None),
            Some(Code::IctAssentRequired)
        );
        assert_eq!(
            code(Some(&assent()), "SSA", "2026-06-01", None),
            Some(Code::IctAssentRequired)
        );
        let pending = Assent {
            approved: false,
            ..assent()
        };
        assert_eq!(
            code(Some(&pending), "SEP", "2026-06-01", None),
            Some(Code::IctAssentNotApproved)
        );
        assert_eq!(
            code(Some(&assent()), "SEP", "2027-01-01", None),
            Some(Code::IctAssentExpired)
        );
        assert_eq!(
            code(Some(&assent()), "SEP", "2026-12-31", None),
            None,
            "the last day counts"
        );
        let other = Assent {
            codes: vec!["59101".into()],
            ..assent()
        };
        assert_eq!(
            code(Some(&other), "SEP", "2026-06-01", None),
            Some(Code::IctAssentCodesNotCovered)
        );
        assert_eq!(
            code(Some(&assent()), "SEP", "2026-06-01", Some("1000000.01")),
            Some(Code::IctAssentInsufficient)
        );
        assert_eq!(
            code(Some(&assent()), "SEP", "2026-06-01", Some("1000000.00")),
            None
        );
    }

    #[test]
    fn the_fiscal_year_follows_its_start() {
        assert_eq!(IctPolicy::DEFAULT.fiscal_year(date("2026-01-01")), 2026);
        let april = IctPolicy {
            fiscal_year_start: (4, 1),
            ..IctPolicy::DEFAULT
        };
        assert_eq!(april.fiscal_year(date("2026-03-31")), 2025);
        assert_eq!(april.fiscal_year(date("2026-04-01")), 2026);
    }
}
