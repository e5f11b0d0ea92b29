//! Framework contracts (contratos marco): the registrar's records and suppliers'
//! adhesions.

pub mod adhere;
pub mod create;
pub mod end;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::domain::code::Code;
use crate::domain::supplier::Ineligible;
use crate::domain::validation::ValidationErrors;
use crate::persistence::suppliers;

/// Field errors for suppliers that can't adhere on `today`.
pub async fn check_adherents(
    conn: &impl ConnectionTrait,
    rfcs: &[String],
    today: NaiveDate,
    field: &str,
) -> anyhow::Result<ValidationErrors> {
    let standings = suppliers::eligibility(conn, rfcs, today).await?;
    let mut errors = ValidationErrors::new();
    for (i, rfc) in rfcs.iter().enumerate() {
        match standings.get(rfc).copied().flatten() {
            Some(Ineligible::NotRegistered) => errors.push(
                &format!("{field}[{i}]"),
                Code::AdherentNotRegistered,
                format!("{rfc} is not in the supplier register"),
            ),
            Some(Ineligible::Sanctioned) => errors.push(
                &format!("{field}[{i}]"),
                Code::AdherentSanctioned,
                format!("{rfc} has a sanction in force"),
            ),
            None => {}
        }
    }
    Ok(errors)
}
