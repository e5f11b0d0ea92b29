//! Buying units (unidades compradoras) of the federal public administration.

use super::code::Code;
use super::validation::{ErrorCode, ValidationErrors, all_or_errors};

/// Shortest and longest agency code.
pub const AGENCY_CODE_LEN: std::ops::RangeInclusive<usize> = 2..=20;
/// Shortest and longest agency name, in characters.
pub const AGENCY_NAME_LEN: std::ops::RangeInclusive<usize> = 3..=200;

/// An agency's code: 2 to 20 of `A`–`Z`, `0`–`9` and `-`, stored upper-case
/// (`SHCP`, `IMSS`, `UC-006000998`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyCodeError {
    #[error("an agency code has 2 to 20 characters")]
    Length,
    #[error("an agency code may contain only letters A-Z, digits and '-'")]
    Characters,
}

impl ErrorCode for AgencyCodeError {
    fn code(&self) -> Code {
        Code::InvalidAgencyCode
    }
}

impl AgencyCode {
    pub fn parse(raw: &str) -> Result<Self, AgencyCodeError> {
        let code = raw.trim().to_ascii_uppercase();
        if !AGENCY_CODE_LEN.contains(&code.len()) {
            return Err(AgencyCodeError::Length);
        }
        if !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(AgencyCodeError::Characters);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An agency's official name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyNameError {
    #[error("an agency name has 3 to 200 characters")]
    Length,
    #[error(
        "an agency name may not contain control, invisible or bidirectional-control characters"
    )]
    Control,
}

impl ErrorCode for AgencyNameError {
    fn code(&self) -> Code {
        Code::InvalidAgencyName
    }
}

impl AgencyName {
    pub fn parse(raw: &str) -> Result<Self, AgencyNameError> {
        let name = super::text::normalise(raw);
        if !AGENCY_NAME_LEN.contains(&name.chars().count()) {
            return Err(AgencyNameError::Length);
        }
        if super::text::spoofs(&name) || name.chars().any(char::is_control) {
            return Err(AgencyNameError::Control);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A buying unit's RFC: a legal person's (12 characters), check digit included; an error
/// is recorded under `rfc`.
pub fn parse_agency_rfc(raw: &str, errors: &mut ValidationErrors) -> Option<super::rfc::Rfc> {
    match super::rfc::Rfc::parse(raw) {
        Ok(rfc) if rfc.as_str().chars().count() == 12 => Some(rfc),
        Ok(_) => {
            errors.push(
                "rfc",
                Code::InvalidRfc,
                "a buying unit's RFC is a legal person's: 12 characters",
            );
            None
        }
        Err(e) => {
            errors.check::<(), _>("rfc", Err(e));
            None
        }
    }
}

/// A buying unit to be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub code: AgencyCode,
    pub name: AgencyName,
    /// Its RFC, a legal person's (12 characters), when given.
    pub rfc: Option<super::rfc::Rfc>,
}

impl NewAgency {
    pub fn parse(code: &str, name: &str, rfc: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", AgencyCode::parse(code));
        let name = errors.check("name", AgencyName::parse(name));
        let rfc = match rfc {
            None => Some(None),
            Some(raw) => parse_agency_rfc(raw, &mut errors).map(Some),
        };
        all_or_errors(errors, || {
            Some(Self {
                code: code?,
                name: name?,
                rfc: rfc?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_codes_are_normalised_to_upper_case() {
        assert_eq!(AgencyCode::parse(" shcp ").map(|c| c.0), Ok("SHCP".into()));
        assert_eq!(
            AgencyCode::parse("uc-006000998").map(|c| c.0),
            Ok("UC-006000998".into())
        );
    }

    #[test]
    fn bad_agency_codes_are_refused() {
        for (raw, want) in [
            ("S", AgencyCodeError::Length),
            ("ABCDEFGHIJKLMNOPQRSTU", AgencyCodeError::Length),
            ("SH CP", AgencyCodeError::Characters),
            ("SHÇP", AgencyCodeError::Characters),
            ("SH_CP", AgencyCodeError::Characters),
        ] {
            assert_eq!(AgencyCode::parse(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn names_count_characters_not_bytes() {
        assert!(AgencyName::parse("Educación").is_ok());
        assert_eq!(AgencyName::parse("Ñu"), Err(AgencyNameError::Length));
        assert_eq!(AgencyName::parse("a\u{0}bc"), Err(AgencyNameError::Control));
    }

    #[test]
    fn a_new_agency_reports_every_bad_field() {
        let errors = NewAgency::parse("x", "", None).err().unwrap_or_default();
        let fields: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("code", Code::InvalidAgencyCode),
                ("name", Code::InvalidAgencyName)
            ]
        );
    }
}
