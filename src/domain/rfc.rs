//! The RFC (Registro Federal de Contribuyentes), the key of the supplier register.
//!
//! 12 characters for a legal person (persona moral): 3 letters, a YYMMDD date, a
//! 3-character homoclave. 13 for a natural person (persona física): 4 letters, the date,
//! the homoclave. The homoclave's last character is a check digit: the 12 characters
//! before it (a legal person's RFC is left-padded with a space to 12) are weighted 13
//! down to 2 with the values of SAT's 39-symbol table, summed, and taken mod 11; a
//! remainder of 0 gives `0`, otherwise 11 − remainder, where 10 is written `A`.

use super::code::Code;
use chrono::NaiveDate;

use super::validation::ErrorCode;

/// SAT's value table for the check digit: the position of a symbol is its value.
const CHECK_TABLE: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";

/// The generic RFCs used for the general public and for foreigners: never suppliers.
pub const GENERIC_RFCS: [&str; 2] = ["XAXX010101000", "XEXX010101000"];

/// Whether the RFC is of a legal or a natural person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonType {
    /// Persona moral: 12 characters.
    Moral,
    /// Persona física: 13 characters.
    Fisica,
}

impl PersonType {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonType::Moral => "moral",
            PersonType::Fisica => "fisica",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RfcError {
    #[error("an RFC has 12 characters (persona moral) or 13 (persona física), got {0}")]
    Length(usize),
    #[error("the RFC's first {0} characters must be letters (A-Z, Ñ or &)")]
    Letters(usize),
    #[error("characters {0}-{1} of the RFC must be a real date YYMMDD")]
    Date(usize, usize),
    #[error("the RFC's homoclave (last 3 characters) must be letters or digits")]
    Homoclave,
    #[error("the RFC's check digit is wrong: expected {expected}, got {got}")]
    CheckDigit { expected: char, got: char },
    #[error("{0} is a generic RFC (público en general / extranjeros), not a supplier")]
    Generic(String),
    #[error(
        "an RFC is written with A-Z, Ñ, & and 0-9 only (no ligatures, look-alikes or invisible characters)"
    )]
    Characters,
}

impl ErrorCode for RfcError {
    fn code(&self) -> Code {
        match self {
            RfcError::CheckDigit { .. } => Code::InvalidRfcCheckDigit,
            _ => Code::InvalidRfc,
        }
    }
}

/// A well-formed RFC, upper-case, without surrounding spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rfc(String);

/// Whether to enforce the check digit. A small share of RFCs really issued fail it; the
/// registrar may register one with an explicit, recorded override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckDigit {
    Enforce,
    Override,
}

impl Rfc {
    /// Parses an RFC, enforcing its check digit.
    pub fn parse(raw: &str) -> Result<Self, RfcError> {
        Self::parse_with(raw, CheckDigit::Enforce)
    }

    pub fn parse_with(raw: &str, check: CheckDigit) -> Result<Self, RfcError> {
        // Only the RFC's own alphabet, before any case mapping: "ﬀ" would otherwise
        // upper-case to "FF" and pass as someone else's RFC.
        if !raw
            .trim()
            .chars()
            .all(|c| c.is_ascii() || matches!(c, 'Ñ' | 'ñ'))
        {
            return Err(RfcError::Characters);
        }
        let rfc: String = raw.trim().chars().flat_map(char::to_uppercase).collect();
        let chars: Vec<char> = rfc.chars().collect();
        let letters = match chars.len() {
            12 => 3,
            13 => 4,
            n => return Err(RfcError::Length(n)),
        };
        // The length is 12 or 13: letters, six date digits, a three-character homoclave.
        let (initials, rest) = chars.split_at(letters);
        let (date, homoclave) = rest.split_at(6);
        if !initials
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == 'Ñ' || *c == '&')
        {
            return Err(RfcError::Letters(letters));
        }
        let date: String = date.iter().collect();
        if !is_real_yymmdd(&date) {
            return Err(RfcError::Date(letters + 1, letters + 6));
        }
        let [h1, h2, digit] = homoclave else {
            return Err(RfcError::Homoclave);
        };
        if ![h1, h2]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            || !(digit.is_ascii_digit() || *digit == 'A')
        {
            return Err(RfcError::Homoclave);
        }
        if GENERIC_RFCS.contains(&rfc.as_str()) {
            return Err(RfcError::Generic(rfc));
        }
        if check == CheckDigit::Enforce {
            let (got, body) = chars.split_last().ok_or(RfcError::Homoclave)?;
            let expected = check_digit(body).ok_or(RfcError::Homoclave)?;
            if expected != *got {
                return Err(RfcError::CheckDigit {
                    expected,
                    got: *got,
                });
            }
        }
        Ok(Self(rfc))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn person_type(&self) -> PersonType {
        if self.0.chars().count() == 12 {
            PersonType::Moral
        } else {
            PersonType::Fisica
        }
    }

    /// Whether the check digit holds (false for an overridden registration).
    pub fn check_digit_holds(&self) -> bool {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .split_last()
            .is_some_and(|(last, body)| check_digit(body) == Some(*last))
    }
}

impl std::fmt::Display for Rfc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn symbol_value(c: char) -> Option<u32> {
    CHECK_TABLE
        .chars()
        .position(|s| s == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// An RFC's first 11 (moral) or 12 (física) characters with their check digit appended.
pub fn with_check_digit(body: &str) -> Option<String> {
    let chars: Vec<char> = body.chars().collect();
    check_digit(&chars).map(|digit| format!("{body}{digit}"))
}

/// The check digit of an RFC's first 11 (moral) or 12 (física) characters.
pub fn check_digit(body: &[char]) -> Option<char> {
    let padded: Vec<char> = match body.len() {
        11 => std::iter::once(' ').chain(body.iter().copied()).collect(),
        12 => body.to_vec(),
        _ => return None,
    };
    let mut sum = 0u32;
    for (i, c) in padded.iter().enumerate() {
        let weight = 13 - u32::try_from(i).ok()?;
        sum += symbol_value(*c)? * weight;
    }
    match sum % 11 {
        0 => Some('0'),
        r => match 11 - r {
            10 => Some('A'),
            d => char::from_digit(d, 10),
        },
    }
}

/// YYMMDD that is a real calendar date in the 1900s or the 2000s.
fn is_real_yymmdd(s: &str) -> bool {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (Ok(yy), Ok(mm), Ok(dd)) = (
        s[0..2].parse::<i32>(),
        s[2..4].parse::<u32>(),
        s[4..6].parse::<u32>(),
    ) else {
        return false;
    };
    [1900, 2000]
        .iter()
        .any(|century| NaiveDate::from_ymd_opt(century + yy, mm, dd).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_rfcs_parse() {
        // SAT's own RFC, and well-known published examples.
        for (raw, person) in [
            ("SAT970701NN3", PersonType::Moral),
            ("GODE561231GR8", PersonType::Fisica),
            ("  sat970701nn3 ", PersonType::Moral),
        ] {
            let rfc = Rfc::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(rfc.person_type(), person);
            assert!(rfc.check_digit_holds());
        }
        assert_eq!(
            Rfc::parse(" sat970701nn3").map(|r| r.0),
            Ok("SAT970701NN3".into())
        );
    }

    #[test]
    fn invalid_rfcs_are_refused_with_a_reason() {
        type Expectation = fn(&RfcError) -> bool;
        let cases: &[(&str, Expectation)] = &[
            ("SAT970701NN", |e| matches!(e, RfcError::Length(11))),
            ("SAT970701NN33X", |e| matches!(e, RfcError::Length(14))),
            ("S4T970701NN3", |e| matches!(e, RfcError::Letters(3))),
            ("SAT-70701NN3", |e| matches!(e, RfcError::Date(..))),
            ("SAT971301NN3", |e| matches!(e, RfcError::Date(..))),
            ("SAT970230NN3", |e| matches!(e, RfcError::Date(..))),
            ("SAT970701N-3", |e| matches!(e, RfcError::Homoclave)),
            ("SAT970701NNB", |e| matches!(e, RfcError::Homoclave)),
            ("SAT970701NN4", |e| {
                matches!(
                    e,
                    RfcError::CheckDigit {
                        expected: '3',
                        got: '4'
                    }
                )
            }),
            ("XAXX010101000", |e| matches!(e, RfcError::Generic(_))),
            ("xexx010101000", |e| matches!(e, RfcError::Generic(_))),
        ];
        for (raw, is_expected) in cases {
            match Rfc::parse(raw) {
                Err(e) => assert!(is_expected(&e), "{raw}: {e:?}"),
                Ok(_) => panic!("{raw} should be refused"),
            }
        }
    }

    #[test]
    fn february_29_is_real_in_leap_years_only() {
        let with_digit = |body: &str| {
            let chars: Vec<char> = body.chars().collect();
            format!("{body}{}", check_digit(&chars).unwrap_or('?'))
        };
        assert!(
            Rfc::parse(&with_digit("ABC000229AB")).is_ok(),
            "2000 was a leap year"
        );
        assert!(Rfc::parse(&with_digit("ABC960229AB")).is_ok());
        assert!(Rfc::parse(&with_digit("ABC970229AB")).is_err());
    }

    #[test]
    fn the_registrar_may_override_the_check_digit_only() {
        assert!(
            Rfc::parse_with("SAT970701NN4", CheckDigit::Override)
                .is_ok_and(|r| !r.check_digit_holds())
        );
        assert!(
            Rfc::parse_with("SAT971301NN4", CheckDigit::Override).is_err(),
            "the date still counts"
        );
    }

    #[test]
    fn n_tilde_and_ampersand_are_letters() {
        let chars: Vec<char> = "ÑA&970701AB".chars().collect();
        let rfc = format!("ÑA&970701AB{}", check_digit(&chars).unwrap_or('?'));
        assert_eq!(
            Rfc::parse(&rfc.to_lowercase()).map(|r| r.person_type()),
            Ok(PersonType::Moral)
        );
    }

    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZÑ&";
    const HOMO: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    fn rfc_body() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just(3usize), Just(4usize)],
            proptest::collection::vec(
                proptest::sample::select(LETTERS.chars().collect::<Vec<_>>()),
                4,
            ),
            0u32..100,
            1u32..=12,
            1u32..=28,
            proptest::collection::vec(
                proptest::sample::select(HOMO.chars().collect::<Vec<_>>()),
                2,
            ),
        )
            .prop_map(|(n, letters, yy, mm, dd, homo)| {
                let letters: String = letters.into_iter().take(n).collect();
                let homo: String = homo.into_iter().collect();
                format!("{letters}{yy:02}{mm:02}{dd:02}{homo}")
            })
    }

    proptest! {
        #[test]
        fn any_rfc_built_with_its_check_digit_parses(body in rfc_body()) {
            let chars: Vec<char> = body.chars().collect();
            let rfc = format!("{body}{}", check_digit(&chars).unwrap_or('?'));
            prop_assume!(!GENERIC_RFCS.contains(&rfc.as_str()));
            prop_assert!(Rfc::parse(&rfc).is_ok(), "{}", rfc);
        }

        #[test]
        fn changing_one_homoclave_character_breaks_the_check_digit(
            body in rfc_body(),
            position in 0usize..3,
            replacement in proptest::sample::select(HOMO.chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = body.chars().collect();
            let digit = check_digit(&chars).unwrap_or('?');
            chars.push(digit);
            let index = chars.len() - 3 + position;
            let original = chars[index];
            prop_assume!(original != replacement);
            if position < 2 {
                // Weights 3 and 2 are prime to 11: only a change by a multiple of 11 in
                // the symbol's value keeps the sum.
                let delta = symbol_value(original).unwrap_or(0).abs_diff(symbol_value(replacement).unwrap_or(0));
                prop_assume!(!delta.is_multiple_of(11));
            } else {
                prop_assume!(replacement.is_ascii_digit() || replacement == 'A');
            }
            chars[index] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(
                matches!(Rfc::parse(&changed), Err(RfcError::CheckDigit { .. })),
                "{} should fail the check digit", changed
            );
        }
    }

    #[test]
    fn compatibility_characters_are_refused_not_folded() {
        for raw in ["ﬀ0101019A1", "ＡＣＭ010101AB1", "AC\u{200B}M010101AB1"] {
            assert_eq!(
                Rfc::parse_with(raw, CheckDigit::Override),
                Err(RfcError::Characters),
                "{raw}"
            );
        }
    }
}
