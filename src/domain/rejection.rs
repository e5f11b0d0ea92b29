//! Why a decision says no: a rule of the current state (a 403 or 409, by its code), or
//! offending fields (a 422). Every decision of the domain returns one of these, so the
//! code a client sees is chosen by the rule that failed, never spelled as a string.

use super::code::Code;
use super::validation::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A rule of the current state or of who is asking.
    #[error("{detail}")]
    Rule { code: Code, detail: String },
    /// What was sent, or what the record holds, breaks a rule field by field.
    #[error(transparent)]
    Fields(ValidationErrors),
}

impl Rejection {
    pub fn rule(code: Code, detail: impl Into<String>) -> Self {
        Rejection::Rule {
            code,
            detail: detail.into(),
        }
    }

    /// One offending field.
    pub fn field(field: &str, code: Code, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.push(field, code, message);
        Rejection::Fields(errors)
    }

    /// The code a client sees: the rule's, or the first field's.
    pub fn code(&self) -> Code {
        match self {
            Rejection::Rule { code, .. } => *code,
            Rejection::Fields(errors) => {
                errors.0.first().map_or(Code::ValidationFailed, |e| e.code)
            }
        }
    }
}

impl From<ValidationErrors> for Rejection {
    fn from(errors: ValidationErrors) -> Self {
        Rejection::Fields(errors)
    }
}
