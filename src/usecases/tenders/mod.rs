//! A tender's life before the award: drafts, publication, clarifications, sealed bids,
//! opening, evaluation and cancellation, one use case a file; and the facts several of
//! them load.

pub mod answer;
pub mod ask;
pub mod cancel;
pub mod create_draft;
pub mod evaluate;
pub mod open;
pub mod publish;
pub mod replace_draft;
pub mod submit_bid;
pub mod withdraw_bid;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Result, UseCaseError};
use crate::domain::agency::AgencyCode;
use crate::domain::code::Code;
use crate::domain::framework::Framework;
use crate::domain::ict::Assent;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::Ineligible;
use crate::domain::tender::{Item, Procedure, Status, TenderDraft};
use crate::domain::validation::ValidationErrors;
use crate::persistence::tenders::TenderRecord;
use crate::persistence::{agencies, classifier, frameworks, ict, suppliers};

/// An officer's token may name an agency that was never registered: refuse, rather than
/// fail on the foreign key.
pub async fn require_agency(conn: &impl ConnectionTrait, agency: &AgencyCode) -> Result<()> {
    if agencies::get(conn, agency).await?.is_none() {
        return Err(UseCaseError::refused(
            Code::AgencyNotRegistered,
            format!("agency {agency} is not registered; the registrar adds agencies"),
        ));
    }
    Ok(())
}

/// Checks the items' classifier codes and returns each item's ICT flag.
pub async fn item_flags(conn: &impl ConnectionTrait, draft: &TenderDraft) -> Result<Vec<bool>> {
    let codes: Vec<String> = draft
        .items
        .iter()
        .map(|i| i.classifier_code.clone())
        .collect();
    let found = classifier::ict_flags(conn, &codes).await?;
    let mut errors = ValidationErrors::new();
    for (i, code) in codes.iter().enumerate() {
        if !found.contains_key(code) {
            errors.push(
                &format!("{}.classifier_code", draft.item_field(i)),
                Code::UnknownClassifierCode,
                format!("{code} is not in the classifier"),
            );
        }
    }
    errors.finish()?;
    Ok(codes
        .iter()
        .map(|c| found.get(c).copied().unwrap_or(false))
        .collect())
}

/// What a draft's audit events record of it.
pub fn draft_json(draft: &TenderDraft) -> serde_json::Value {
    json!({
        "title": draft.title,
        "procedure": draft.procedure.as_str(),
        "scope": draft.scope.as_str(),
        "reference_value": draft.reference_value.to_string(),
        "items": draft.items.len(),
        "lots": draft.lots.len(),
        "invited": draft.invited.iter().map(Rfc::as_str).collect::<Vec<_>>(),
    })
}

/// The facts of a tender that publication, scheduling and the award all read: its items,
/// each one's ancestors' codes (one query for all), its ICT items, the assent it cites and
/// a framework order's contract.
pub struct Rulebook {
    pub items: Vec<Item>,
    pub chains: Vec<Vec<String>>,
    pub ict_items: Vec<(String, Vec<String>)>,
    pub assent: Option<Assent>,
    /// The contract of a framework order (none for any other procedure).
    pub framework: Option<Framework>,
    /// Each item's ICT flag, parallel to `items`.
    ict: Vec<bool>,
}

impl Rulebook {
    pub async fn load(conn: &impl ConnectionTrait, record: &TenderRecord) -> anyhow::Result<Self> {
        let by_code = classifier::chains(conn, &record.codes()).await?;
        let chains: Vec<Vec<String>> = record
            .items
            .iter()
            .map(|i| by_code.get(&i.classifier_code).cloned().unwrap_or_default())
            .collect();
        let ict: Vec<bool> = record.items.iter().map(|i| i.is_ict).collect();
        let items = record.domain_items();
        let ict_items = ict_items(&items, &chains, &ict);
        let assent = match record.assent_id() {
            Some(id) => ict::get(conn, id).await?.map(|a| a.for_rules()),
            None => None,
        };
        let framework = match (record.procedure(), record.framework_id()) {
            (Procedure::FrameworkOrder, Some(id)) => {
                frameworks::get(conn, id).await?.map(|f| f.for_rules())
            }
            _ => None,
        };
        Ok(Rulebook {
            items,
            chains,
            ict_items,
            assent,
            framework,
            ict,
        })
    }

    /// The facts of one lot: its items (in position order), their chains and ICT items;
    /// the assent and the framework contract are the tender's.
    pub fn of_lot(self, lot: u32) -> Self {
        let keep: Vec<bool> = self.items.iter().map(|i| i.lot == lot).collect();
        fn pick<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
            v.into_iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x)
                .collect()
        }
        let items: Vec<Item> = pick(self.items, &keep);
        let chains: Vec<Vec<String>> = pick(self.chains, &keep);
        let ict: Vec<bool> = pick(self.ict, &keep);
        Rulebook {
            ict_items: ict_items(&items, &chains, &ict),
            items,
            chains,
            ict,
            assent: self.assent,
            framework: self.framework,
        }
    }
}

/// The ICT items: each one's code with its ancestors' codes.
fn ict_items(items: &[Item], chains: &[Vec<String>], ict: &[bool]) -> Vec<(String, Vec<String>)> {
    items
        .iter()
        .zip(chains)
        .zip(ict)
        .filter(|(_, is_ict)| **is_ict)
        .map(|((item, chain), _)| (item.classifier_code.clone(), chain.clone()))
        .collect()
}

/// A supplier may take part: registered, unsanctioned, and invited when the procedure
/// invites (or adhered to the framework contract, for a framework order).
pub async fn require_participant(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
    rfc: &Rfc,
    today: NaiveDate,
) -> Result<()> {
    if record.status() == Status::Draft {
        return Err(UseCaseError::tender_not_found(record.id()));
    }
    let standing = suppliers::eligibility(conn, &[rfc.as_str().to_owned()], today)
        .await?
        .remove(rfc.as_str())
        .flatten();
    match standing {
        Some(Ineligible::NotRegistered) => {
            return Err(UseCaseError::refused(
                Code::SupplierNotRegistered,
                format!("{rfc} is not in the supplier register: register first"),
            ));
        }
        Some(Ineligible::Sanctioned) => {
            return Err(UseCaseError::refused(
                Code::SupplierSanctioned,
                format!("{rfc} has a sanction in force and can't take part"),
            ));
        }
        None => {}
    }
    match record.procedure() {
        Procedure::Invitation | Procedure::DirectAward
            if !record.invited.iter().any(|r| r == rfc.as_str()) =>
        {
            Err(UseCaseError::refused(
                Code::NotInvited,
                format!(
                    "{rfc} is not invited to this {}",
                    record.procedure().as_str()
                ),
            ))
        }
        Procedure::FrameworkOrder => {
            let adhered = match record.framework_id() {
                Some(id) => frameworks::get(conn, id)
                    .await?
                    .is_some_and(|f| f.for_rules().adhered(rfc.as_str())),
                None => false,
            };
            if adhered {
                Ok(())
            } else {
                Err(UseCaseError::refused(
                    Code::FrameworkSupplierNotAdhered,
                    format!("{rfc} does not adhere to this order's framework contract"),
                ))
            }
        }
        _ => Ok(()),
    }
}
