//! The award (fallo): who wins, and the rules checked before, as pure functions.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::money::Money;

/// A qualified bid competing for the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub bid_id: Uuid,
    pub rfc: String,
    /// The final price: the sealed total, or the last auction price when one ran.
    pub total: Money,
    /// When that price was given: an earlier price wins a tie.
    pub priced_at: DateTime<Utc>,
}

/// The qualified bids from the winner down: lowest final price first, the earlier price
/// winning a tie (then the bid id, so the order is total).
pub fn ranking(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| {
        a.total
            .cmp(&b.total)
            .then(a.priced_at.cmp(&b.priced_at))
            .then(a.bid_id.cmp(&b.bid_id))
    });
    candidates
}

/// Why a supplier can't be awarded on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    NotRegistered,
    Sanctioned,
    NotAdhered,
}

impl Bar {
    pub fn code(self) -> &'static str {
        match self {
            Bar::NotRegistered => "winner_not_registered",
            Bar::Sanctioned => "supplier_sanctioned",
            Bar::NotAdhered => "framework_supplier_not_adhered",
        }
    }
}

/// The reference value minus the awarded amount, in centavos.
pub fn savings(reference: Money, awarded: Money) -> i64 {
    reference.minus(awarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(n: u8, total: &str, at_s: i64) -> Candidate {
        Candidate {
            bid_id: Uuid::from_bytes([n; 16]),
            rfc: format!("R{n}"),
            total: Money::parse(total).unwrap(),
            priced_at: DateTime::from_timestamp(at_s, 0).unwrap(),
        }
    }

    #[test]
    fn the_lowest_price_wins_and_the_earlier_price_breaks_a_tie() {
        let ranked = ranking(vec![
            candidate(1, "100.00", 5),
            candidate(2, "99.99", 9),
            candidate(3, "99.99", 7),
        ]);
        let order: Vec<&str> = ranked.iter().map(|c| c.rfc.as_str()).collect();
        assert_eq!(order, ["R3", "R2", "R1"]);
    }

    #[test]
    fn savings_are_reference_minus_award() {
        assert_eq!(
            savings(
                Money::parse("1000.00").unwrap(),
                Money::parse("850.50").unwrap()
            ),
            14_950
        );
    }
}
