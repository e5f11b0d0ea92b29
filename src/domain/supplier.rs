//! The supplier register (Mexico's RUPC): who may sell to the government, and the
//! sanctions (inhabilitaciones) that bar a supplier for a period.

use super::code::Code;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::classifier::ClassifierCode;
use super::rfc::{CheckDigit, Rfc};
use super::text::bounded;
use super::validation::{ErrorCode, ValidationErrors, all_or_errors};

pub const LEGAL_NAME_LEN: std::ops::RangeInclusive<usize> = 2..=250;
pub const MAX_EMAIL_LEN: usize = 254;
/// The most classifier codes one supplier may list.
pub const MAX_SUPPLIER_CODES: usize = 200;
pub const SANCTION_TEXT_LEN: std::ops::RangeInclusive<usize> = 2..=500;
pub const SANCTION_REASON_LEN: std::ops::RangeInclusive<usize> = 2..=4000;
/// The years a sanction's dates may fall in (so that every database compares them alike).
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 9999;

/// Company size, as the register records it (micro, pequeña, mediana, grande).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompanySize {
    Micro,
    Small,
    Medium,
    Large,
}

impl CompanySize {
    pub fn as_str(self) -> &'static str {
        match self {
            CompanySize::Micro => "micro",
            CompanySize::Small => "small",
            CompanySize::Medium => "medium",
            CompanySize::Large => "large",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "micro" => Some(CompanySize::Micro),
            "small" => Some(CompanySize::Small),
            "medium" => Some(CompanySize::Medium),
            "large" => Some(CompanySize::Large),
            _ => None,
        }
    }
}

/// Whether a supplier may take part in procedures today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplierStatus {
    Active,
    /// A sanction is in force: it can't bid, be invited or be awarded.
    Sanctioned,
}

/// A contact e-mail address: one `@`, a non-empty local part, a domain with a dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl ErrorCode for EmailError {
    fn code(&self) -> Code {
        Code::InvalidEmail
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        let (local, domain) = email.split_once('@').ok_or(EmailError)?;
        let valid = email.len() <= MAX_EMAIL_LEN
            && !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            // ASCII only (an international domain is written in its xn-- form): no
            // look-alike letters, invisible or bidirectional characters.
            && email.chars().all(|c| c.is_ascii_graphic());
        if valid {
            Ok(Self(email.to_owned()))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a supplier lists at most {MAX_SUPPLIER_CODES} classifier codes")]
pub struct TooManyCodes;

impl ErrorCode for TooManyCodes {
    fn code(&self) -> Code {
        Code::TooManyClassifierCodes
    }
}

/// Parses a list of classifier codes, recording each bad one as `field[i]`, dropping
/// repeats and keeping the order given.
pub fn parse_codes(
    errors: &mut ValidationErrors,
    field: &str,
    raw: &[String],
) -> Option<Vec<ClassifierCode>> {
    if raw.len() > MAX_SUPPLIER_CODES {
        errors.check::<(), _>(field, Err(TooManyCodes));
        return None;
    }
    let mut codes = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (i, code) in raw.iter().enumerate() {
        match errors.check(&format!("{field}[{i}]"), ClassifierCode::parse(code)) {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => ok = false,
        }
    }
    ok.then_some(codes)
}

/// A supplier to be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupplier {
    pub rfc: Rfc,
    pub legal_name: String,
    pub size: CompanySize,
    pub email: Email,
    pub classifier_codes: Vec<ClassifierCode>,
    /// The registrar accepted an RFC whose check digit fails.
    pub check_digit_override: bool,
}

impl NewSupplier {
    pub fn parse(
        rfc: &str,
        legal_name: &str,
        size: CompanySize,
        email: &str,
        classifier_codes: &[String],
        check: CheckDigit,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rfc = errors.check("rfc", Rfc::parse_with(rfc, check));
        let legal_name = errors.check(
            "legal_name",
            bounded(
                legal_name,
                "legal_name",
                Code::InvalidLegalName,
                LEGAL_NAME_LEN,
                false,
            ),
        );
        let email = errors.check("email", Email::parse(email));
        let codes = parse_codes(&mut errors, "classifier_codes", classifier_codes);
        all_or_errors(errors, || {
            let rfc = rfc?;
            Some(Self {
                check_digit_override: !rfc.check_digit_holds(),
                rfc,
                legal_name: legal_name?,
                size,
                email: email?,
                classifier_codes: codes?,
            })
        })
    }
}

/// A change to a supplier's profile; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierUpdate {
    pub legal_name: Option<String>,
    pub size: Option<CompanySize>,
    pub email: Option<Email>,
    /// Replaces the whole list when present.
    pub classifier_codes: Option<Vec<ClassifierCode>>,
}

impl SupplierUpdate {
    pub fn parse(
        legal_name: Option<&str>,
        size: Option<CompanySize>,
        email: Option<&str>,
        classifier_codes: Option<&[String]>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if legal_name.is_none() && size.is_none() && email.is_none() && classifier_codes.is_none() {
            errors.push(
                "body",
                Code::EmptyUpdate,
                "send at least one field to change",
            );
        }
        let legal_name = legal_name.map(|n| {
            errors.check(
                "legal_name",
                bounded(
                    n,
                    "legal_name",
                    Code::InvalidLegalName,
                    LEGAL_NAME_LEN,
                    false,
                ),
            )
        });
        let email = email.map(|e| errors.check("email", Email::parse(e)));
        let codes = classifier_codes.map(|c| parse_codes(&mut errors, "classifier_codes", c));
        all_or_errors(errors, || {
            Some(Self {
                legal_name: legal_name.map(|n| n.ok_or(())).transpose().ok()?,
                size,
                email: email.map(|e| e.ok_or(())).transpose().ok()?,
                classifier_codes: codes.map(|c| c.ok_or(())).transpose().ok()?,
            })
        })
    }
}

/// A sanction to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSanction {
    pub authority: String,
    pub reference: String,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sanction ends after it starts (ends_on {ends_on} is not after starts_on {starts_on})")]
pub struct SanctionPeriodError {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl ErrorCode for SanctionPeriodError {
    fn code(&self) -> Code {
        Code::InvalidSanctionPeriod
    }
}

impl NewSanction {
    pub fn parse(
        authority: &str,
        reference: &str,
        reason: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let authority = errors.check(
            "authority",
            bounded(
                authority,
                "authority",
                Code::InvalidText,
                SANCTION_TEXT_LEN,
                false,
            ),
        );
        let reference = errors.check(
            "reference",
            bounded(
                reference,
                "reference",
                Code::InvalidText,
                SANCTION_TEXT_LEN,
                false,
            ),
        );
        let reason = errors.check(
            "reason",
            bounded(
                reason,
                "reason",
                Code::InvalidText,
                SANCTION_REASON_LEN,
                true,
            ),
        );
        for (field, date) in [("starts_on", starts_on), ("ends_on", ends_on)] {
            if !(MIN_YEAR..=MAX_YEAR).contains(&chrono::Datelike::year(&date)) {
                errors.push(
                    field,
                    Code::InvalidDate,
                    format!("dates run from {MIN_YEAR} to {MAX_YEAR}"),
                );
            }
        }
        if ends_on <= starts_on {
            errors.check::<(), _>("ends_on", Err(SanctionPeriodError { starts_on, ends_on }));
        }
        all_or_errors(errors, || {
            Some(Self {
                authority: authority?,
                reference: reference?,
                reason: reason?,
                starts_on,
                ends_on,
            })
        })
    }
}

/// A sanction is in force from its first to its last day, both included.
pub fn in_force(starts_on: NaiveDate, ends_on: NaiveDate, on: NaiveDate) -> bool {
    starts_on <= on && on <= ends_on
}

/// Why a supplier may not take part in a procedure, or be awarded, on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    /// Not in the supplier register.
    NotRegistered,
    /// A sanction is in force.
    Sanctioned,
}

/// Whether a supplier may take part on `on`: registered, and no sanction in force.
pub fn eligibility(
    registered: bool,
    sanctions: impl IntoIterator<Item = (NaiveDate, NaiveDate)>,
    on: NaiveDate,
) -> Option<Ineligible> {
    if !registered {
        Some(Ineligible::NotRegistered)
    } else if status_on(sanctions, on) == SupplierStatus::Sanctioned {
        Some(Ineligible::Sanctioned)
    } else {
        None
    }
}

/// The supplier's status on a date, from its sanctions' periods.
pub fn status_on(
    periods: impl IntoIterator<Item = (NaiveDate, NaiveDate)>,
    on: NaiveDate,
) -> SupplierStatus {
    if periods.into_iter().any(|(s, e)| in_force(s, e, on)) {
        SupplierStatus::Sanctioned
    } else {
        SupplierStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse(" ventas@empresa.com.mx ").is_ok());
        for bad in [
            "",
            "ventas",
            "@empresa.mx",
            "ventas@empresa",
            "a b@c.mx",
            "a@b@c.mx",
            "a@.mx",
            "a@mx.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_supplier_reports_every_bad_field_and_repeated_codes_collapse() {
        let errors = NewSupplier::parse(
            "BAD",
            "",
            CompanySize::Micro,
            "nope",
            &["1".into(), "x".into()],
            CheckDigit::Enforce,
        )
        .err()
        .unwrap_or_default();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rfc", "legal_name", "email", "classifier_codes[1]"]
        );

        let ok = NewSupplier::parse(
            "SAT970701NN3",
            "Servicio de Administración Tributaria",
            CompanySize::Large,
            "contacto@sat.gob.mx",
            &["51501".into(), "51501".into(), "2000".into()],
            CheckDigit::Enforce,
        );
        assert!(ok.is_ok_and(|s| s.classifier_codes.len() == 2 && !s.check_digit_override));
    }

    #[test]
    fn an_overridden_check_digit_is_recorded() {
        let s = NewSupplier::parse(
            "SAT970701NN4",
            "Empresa",
            CompanySize::Small,
            "a@b.mx",
            &[],
            CheckDigit::Override,
        );
        assert!(s.is_ok_and(|s| s.check_digit_override));
    }

    #[test]
    fn an_empty_update_is_refused() {
        let errors = SupplierUpdate::parse(None, None, None, None)
            .err()
            .unwrap_or_default();
        assert_eq!(errors.0.first().map(|e| e.code), Some(Code::EmptyUpdate));
    }

    #[test]
    fn a_sanction_must_end_after_it_starts() {
        let same_day = NewSanction::parse(
            "SFP",
            "EXP-1",
            "Motivo",
            date("2026-01-01"),
            date("2026-01-01"),
        );
        assert_eq!(
            same_day.err().and_then(|e| e.0.first().map(|e| e.code)),
            Some(Code::InvalidSanctionPeriod)
        );
        assert!(
            NewSanction::parse(
                "SFP",
                "EXP-1",
                "Motivo",
                date("2026-01-01"),
                date("2026-01-02")
            )
            .is_ok()
        );
    }

    #[test]
    fn status_follows_the_date_with_both_ends_included() {
        let periods = [(date("2026-01-10"), date("2026-02-10"))];
        assert_eq!(
            status_on(periods, date("2026-01-09")),
            SupplierStatus::Active
        );
        assert_eq!(
            status_on(periods, date("2026-01-10")),
            SupplierStatus::Sanctioned
        );
        assert_eq!(
            status_on(periods, date("2026-02-10")),
            SupplierStatus::Sanctioned
        );
        assert_eq!(
            status_on(periods, date("2026-02-11")),
            SupplierStatus::Active
        );
    }
}
