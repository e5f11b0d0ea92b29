//! Field-level validation errors collected while parsing a request into domain types.

use super::code::Code;

/// A domain parse error that has a stable, machine-readable code.
pub trait ErrorCode: std::error::Error {
    fn code(&self) -> Code;
}

/// One offending field: where, which rule, and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: Code,
    pub message: String,
}

/// Every field error found in one request, in the order the fields were checked.
#[derive(Debug, Default, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` under `field`, if any, and passes the value on.
    pub fn check<T, E: ErrorCode>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(field, error.code(), error.to_string());
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, code: Code, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn finish(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Builds the value once every field parsed; otherwise returns all the errors.
///
/// ```
/// use licita::domain::validation::{ValidationErrors, all_or_errors};
/// let errors = ValidationErrors::new();
/// let value: Result<(u8, u8), _> = all_or_errors(errors, || Some((1, 2)));
/// assert_eq!(value, Ok((1, 2)));
/// ```
pub fn all_or_errors<T>(
    errors: ValidationErrors,
    build: impl FnOnce() -> Option<T>,
) -> Result<T, ValidationErrors> {
    errors.finish()?;
    build().ok_or_else(|| {
        let mut errors = ValidationErrors::new();
        errors.push("body", Code::InvalidBody, "the request could not be parsed");
        errors
    })
}

/// The years a date may fall in, so that every database stores and compares it alike.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Records `invalid_date` under `field` when `date`'s year is outside [`YEARS`].
pub fn check_year(errors: &mut ValidationErrors, field: &str, date: impl chrono::Datelike) {
    if !YEARS.contains(&date.year()) {
        errors.push(
            field,
            Code::InvalidDate,
            format!("dates run from {} to {}", YEARS.start(), YEARS.end()),
        );
    }
}
