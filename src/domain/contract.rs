//! The contract that follows an award: its terms checked as one pure decision.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::code::Code;
use super::ids::TenderId;
use super::money::Money;
use super::rejection::Rejection;
use super::tender::Status;
use super::validation::{ValidationErrors, check_year};

/// The terms of a signed contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractTerms {
    pub amount: Money,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The award a contract follows: its amount and when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwardFigures {
    pub amount: Money,
    pub awarded_at: DateTime<Utc>,
}

/// A contract is recorded for an awarded tender: for the award's amount, signed on or
/// after the award's day and not after today (both in the legal calendar), ending on or
/// after it starts.
pub fn decide_contract(
    tender: TenderId,
    status: Status,
    award: Option<AwardFigures>,
    terms: &ContractTerms,
    today: NaiveDate,
    legal_offset: FixedOffset,
) -> Result<(), Rejection> {
    let award = match (status, award) {
        (Status::Awarded, Some(award)) => award,
        _ => {
            return Err(Rejection::rule(
                Code::NotContractable,
                format!(
                    "tender {tender} is {}; a contract follows the award",
                    status.as_str()
                ),
            ));
        }
    };
    let mut errors = ValidationErrors::new();
    if terms.amount != award.amount {
        errors.push(
            "amount",
            Code::ContractAmountMismatch,
            format!("the contract's amount is the award's: {}", award.amount),
        );
    }
    for (field, date) in [
        ("signed_on", terms.signed_on),
        ("starts_on", terms.starts_on),
        ("ends_on", terms.ends_on),
    ] {
        check_year(&mut errors, field, date);
    }
    if terms.signed_on < award.awarded_at.with_timezone(&legal_offset).date_naive() {
        errors.push(
            "signed_on",
            Code::SignedBeforeAward,
            "a contract is signed on or after its award",
        );
    }
    if terms.signed_on > today {
        errors.push(
            "signed_on",
            Code::SignedInFuture,
            "a contract is recorded once signed",
        );
    }
    if terms.ends_on < terms.starts_on {
        errors.push(
            "ends_on",
            Code::InvalidContractPeriod,
            "a contract ends on or after it starts",
        );
    }
    Ok(errors.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn award() -> Option<AwardFigures> {
        Some(AwardFigures {
            amount: Money::parse("1500.00").unwrap(),
            // 23:30 UTC on the 9th is the 9th at 17:30 in Mexico City (UTC−6).
            awarded_at: DateTime::parse_from_rfc3339("2026-06-09T23:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
        })
    }

    fn terms() -> ContractTerms {
        ContractTerms {
            amount: Money::parse("1500.00").unwrap(),
            signed_on: day("2026-06-09"),
            starts_on: day("2026-06-15"),
            ends_on: day("2026-12-31"),
        }
    }

    fn mexico() -> FixedOffset {
        FixedOffset::west_opt(6 * 3600).unwrap()
    }

    fn codes(terms: &ContractTerms, status: Status, today: &str) -> Vec<Code> {
        match decide_contract(
            TenderId::from_uuid(uuid::Uuid::nil()),
            status,
            award(),
            terms,
            day(today),
            mexico(),
        ) {
            Ok(()) => Vec::new(),
            Err(Rejection::Rule { code, .. }) => vec![code],
            Err(Rejection::Fields(f)) => f.0.iter().map(|e| e.code).collect(),
        }
    }

    #[test]
    fn a_contract_on_the_awards_terms_is_recorded() {
        assert_eq!(
            codes(&terms(), Status::Awarded, "2026-06-10"),
            [Code::InternalError; 0]
        );
    }

    #[test]
    fn a_contract_follows_an_award() {
        assert_eq!(
            codes(&terms(), Status::Contracted, "2026-06-10"),
            [Code::NotContractable]
        );
    }

    #[test]
    fn each_term_is_checked_on_its_own() {
        let mut t = terms();
        t.amount = Money::parse("1499.99").unwrap();
        assert_eq!(
            codes(&t, Status::Awarded, "2026-06-10"),
            [Code::ContractAmountMismatch]
        );
        let mut t = terms();
        t.signed_on = day("2026-06-08");
        assert_eq!(
            codes(&t, Status::Awarded, "2026-06-10"),
            [Code::SignedBeforeAward],
            "the award's day is the legal calendar's, not UTC's"
        );
        assert_eq!(
            codes(&terms(), Status::Awarded, "2026-06-08"),
            [Code::SignedInFuture]
        );
        let mut t = terms();
        t.ends_on = day("2026-06-14");
        assert_eq!(
            codes(&t, Status::Awarded, "2026-06-10"),
            [Code::InvalidContractPeriod]
        );
        let mut t = terms();
        t.ends_on = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert_eq!(
            codes(&t, Status::Awarded, "2026-06-10"),
            [Code::InvalidDate]
        );
    }
}
