//! The award (fallo): who wins, and the rules checked before, as pure functions.

use super::code::Code;
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
    pub fn code(self) -> Code {
        match self {
            Bar::NotRegistered => Code::WinnerNotRegistered,
            Bar::Sanctioned => Code::SupplierSanctioned,
            Bar::NotAdhered => Code::FrameworkSupplierNotAdhered,
        }
    }
}

/// The reference value minus the awarded amount, in centavos.
pub fn savings(reference: Money, awarded: Money) -> i64 {
    reference.minus(awarded)
}

/// A unit price of a sealed bid once its total fell from `sealed` to `final_total` in the
/// auction: in proportion, rounded down to the centavo (so the lines never sum above the
/// final total).
pub fn scale(unit: Money, sealed: Money, final_total: Money) -> Money {
    if sealed.centavos() <= 0 || final_total >= sealed {
        return unit;
    }
    let scaled = i128::from(unit.centavos()) * i128::from(final_total.centavos())
        / i128::from(sealed.centavos());
    i64::try_from(scaled)
        .ok()
        .and_then(|c| Money::from_centavos(c).ok())
        .unwrap_or(unit)
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

    #[test]
    fn unit_prices_fall_in_proportion_after_an_auction() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(scale(m("100.00"), m("1000.00"), m("900.00")), m("90.00"));
        assert_eq!(
            scale(m("0.03"), m("3.00"), m("2.00")),
            m("0.02"),
            "rounded down"
        );
        assert_eq!(scale(m("100.00"), m("1000.00"), m("1000.00")), m("100.00"));
    }
}
