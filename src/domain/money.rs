//! Money: MXN held as integer centavos, written in JSON as a decimal string with two
//! places (`"12500.00"`).

use super::code::Code;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validation::ErrorCode;

/// The largest amount accepted: one trillion pesos, far above any federal contract, and
/// small enough that sums of thousands of items cannot overflow.
pub const MAX_CENTAVOS: i64 = 100_000_000_000_000;

/// A non-negative amount of MXN in centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("money is a decimal string with at most two decimals, like \"12500.00\"; got {0:?}")]
    Format(String),
    #[error("the amount exceeds the largest accepted ({} pesos)", MAX_CENTAVOS / 100)]
    TooLarge,
}

impl ErrorCode for MoneyError {
    fn code(&self) -> Code {
        Code::InvalidMoney
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_centavos(centavos: i64) -> Result<Self, MoneyError> {
        if !(0..=MAX_CENTAVOS).contains(&centavos) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self(centavos))
    }

    pub fn centavos(self) -> i64 {
        self.0
    }

    /// Parses `"12500"`, `"12500.5"` or `"12500.50"`.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let format = || MoneyError::Format(raw.chars().take(40).collect());
        let (whole, fraction) = match raw.split_once('.') {
            Some((w, f)) => (w, f),
            None => (raw, ""),
        };
        if whole.is_empty()
            || whole.len() > 15
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 2
            || (raw.contains('.') && fraction.is_empty())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format());
        }
        let pesos: i64 = whole.parse().map_err(|_| format())?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| format())? * 10,
            _ => fraction.parse().map_err(|_| format())?,
        };
        let total = pesos
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .ok_or(MoneyError::TooLarge)?;
        Self::from_centavos(total)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0
            .checked_add(other.0)
            .and_then(|c| Money::from_centavos(c).ok())
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0
            .checked_sub(other.0)
            .and_then(|c| Money::from_centavos(c).ok())
    }

    pub fn checked_mul(self, quantity: u64) -> Option<Money> {
        i64::try_from(quantity)
            .ok()
            .and_then(|q| self.0.checked_mul(q))
            .and_then(|c| Money::from_centavos(c).ok())
    }

    /// The signed difference `self − other`, in centavos (savings may be negative).
    pub fn minus(self, other: Money) -> i64 {
        self.0 - other.0
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal string with at most two decimals, like \"12500.00\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_parse_and_print_with_two_places() {
        assert_eq!(
            Money::parse("12500").map(|m| m.to_string()),
            Ok("12500.00".into())
        );
        assert_eq!(Money::parse("12500.5").map(|m| m.centavos()), Ok(1_250_050));
        assert_eq!(
            Money::parse("0.07").map(|m| m.to_string()),
            Ok("0.07".into())
        );
        for bad in [
            "", "-1", "1.234", "1,000.00", "1e3", ".5", "5.", " 5", "NaN", "１２",
        ] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyError::Format(_))),
                "{bad}"
            );
        }
        assert_eq!(Money::parse("999999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn json_takes_strings_only() {
        assert_eq!(
            serde_json::from_str::<Money>("\"10.00\"").ok(),
            Money::from_centavos(1000).ok()
        );
        assert!(serde_json::from_str::<Money>("10.0").is_err());
        assert_eq!(
            serde_json::to_string(&Money(123_456)).ok(),
            Some("\"1234.56\"".into())
        );
    }

    #[test]
    fn arithmetic_never_overflows_silently() {
        let max = Money(MAX_CENTAVOS);
        assert_eq!(max.checked_add(Money(1)), None);
        assert_eq!(Money(1).checked_sub(Money(2)), None);
        assert_eq!(Money(100).checked_mul(3), Some(Money(300)));
        assert_eq!(max.checked_mul(2), None);
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_amount(c in 0i64..=MAX_CENTAVOS) {
            let m = Money(c);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        }
    }
}
