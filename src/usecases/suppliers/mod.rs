//! The supplier register: registration, profile changes and sanctions.

pub mod register;
pub mod sanction;
pub mod update;

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::domain::classifier::ClassifierCode;
use crate::domain::code::Code;
use crate::domain::validation::ValidationErrors;
use crate::persistence::classifier::missing_codes;
use crate::persistence::entities::supplier;
use crate::usecases::Result;

/// Refuses codes that are not in the classifier, naming each by its index.
async fn check_codes(conn: &impl ConnectionTrait, codes: &[ClassifierCode]) -> Result<()> {
    let raw: Vec<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
    let missing = missing_codes(conn, &raw).await?;
    let mut errors = ValidationErrors::new();
    for (i, code) in raw.iter().enumerate().filter(|(_, c)| missing.contains(c)) {
        errors.push(
            &format!("classifier_codes[{i}]"),
            Code::UnknownClassifierCode,
            format!("{code} is not in the classifier"),
        );
    }
    Ok(errors.finish()?)
}

/// What a supplier's audit events record of it.
fn supplier_json(s: &supplier::Model, codes: &[ClassifierCode]) -> serde_json::Value {
    json!({
        "rfc": s.rfc,
        "legal_name": s.legal_name,
        "size": s.size,
        "email": s.email,
        "check_digit_override": s.check_digit_override,
        "classifier_codes": codes.iter().map(ClassifierCode::as_str).collect::<Vec<_>>(),
    })
}
