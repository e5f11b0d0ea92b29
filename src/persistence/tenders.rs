//! Tenders: drafts, publication, clarifications, sealed bids, opening, evaluation and
//! cancellation. Every state change locks the tender's row, checks the state inside the
//! transaction, and records its audit event in the same transaction.

use crate::domain::code::Code;
use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::ocds::Event;

use super::audit::{self, NewEvent};
use super::entities::{
    award, bid, classifier_item, contract, sanction, supplier, tender, tender_invitation,
    tender_item, tender_question,
};
use crate::domain::audit::Actor;
use crate::domain::bid::{
    Envelope, RECEIPT_NONCE_BYTES, SealedContent, check_bid, receipt_message, receipt_v2,
};
use crate::domain::money::Money;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::{Ineligible, eligibility as supplier_eligibility};
use crate::domain::tender::{
    Item, LegalPeriods, Phase, Procedure, Schedule, Scope, Status, TenderDraft,
    check_publishable_schedule, phase,
};
use crate::domain::validation::ValidationErrors;
use crate::seal::Sealer;

/// A refusal of the tender layer: a stable code and a sentence.
#[derive(Debug, thiserror::Error)]
pub enum TenderError {
    #[error("tender {0} not found")]
    NotFound(Uuid),
    /// 404: something the request names (a question, a bid, a contract) is not there.
    #[error("{0}")]
    Missing(String),
    /// 403 with a code (`not_your_agency`, `not_invited`, `supplier_sanctioned`…).
    #[error("{1}")]
    Forbidden(Code, String),
    /// 409 with a code: the tender is not in a state that allows this.
    #[error("{1}")]
    Conflict(Code, String),
    #[error(transparent)]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for TenderError {
    fn from(e: sea_orm::DbErr) -> Self {
        TenderError::Unexpected(e.into())
    }
}

/// A tender with its items (in position order) and invited suppliers.
#[derive(Debug, Clone)]
pub struct TenderRecord {
    pub tender: tender::Model,
    pub items: Vec<tender_item::Model>,
    pub invited: Vec<String>,
    pub award: Option<award::Model>,
    pub contract: Option<contract::Model>,
    /// The tender's auction, once scheduled.
    pub auction_id: Option<Uuid>,
}

impl TenderRecord {
    pub fn status(&self) -> Status {
        Status::parse(&self.tender.status).unwrap_or(Status::Draft)
    }

    pub fn procedure(&self) -> Procedure {
        Procedure::parse(&self.tender.procedure).unwrap_or(Procedure::Open)
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            clarifications_until: self.tender.clarifications_until,
            submission_deadline: self.tender.submission_deadline,
            opening_at: self.tender.opening_at,
        }
    }

    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        phase(self.status(), &self.schedule(), now)
    }

    pub fn domain_items(&self) -> Vec<Item> {
        self.items
            .iter()
            .map(|i| Item {
                classifier_code: i.classifier_code.clone(),
                quantity: u64::try_from(i.quantity).unwrap_or(0),
                unit: i.unit.clone(),
                max_unit_price: Money::from_centavos(i.max_unit_centavos).unwrap_or_default(),
            })
            .collect()
    }
}

async fn load(conn: &impl ConnectionTrait, model: tender::Model) -> anyhow::Result<TenderRecord> {
    let items = tender_item::Entity::find()
        .filter(tender_item::Column::TenderId.eq(model.id))
        .order_by_asc(tender_item::Column::Position)
        .all(conn)
        .await
        .context("reading tender items")?;
    let invited = tender_invitation::Entity::find()
        .filter(tender_invitation::Column::TenderId.eq(model.id))
        .order_by_asc(tender_invitation::Column::Rfc)
        .all(conn)
        .await
        .context("reading invitations")?
        .into_iter()
        .map(|i| i.rfc)
        .collect();
    let award = award::Entity::find()
        .filter(award::Column::TenderId.eq(model.id))
        .one(conn)
        .await
        .context("reading the award")?;
    let contract = contract::Entity::find()
        .filter(contract::Column::TenderId.eq(model.id))
        .one(conn)
        .await
        .context("reading the contract")?;
    let auction_id = super::auctions::id_of_tender(conn, model.id).await?;
    Ok(TenderRecord {
        tender: model,
        items,
        invited,
        award,
        contract,
        auction_id,
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Option<TenderRecord>> {
    match tender::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading a tender")?
    {
        Some(model) => Ok(Some(load(conn, model).await?)),
        None => Ok(None),
    }
}

/// Locks the tender's row for the transaction and checks it belongs to `agency` (when
/// given).
pub async fn lock_for_update(
    txn: &DatabaseTransaction,
    id: Uuid,
    agency: Option<&str>,
) -> Result<TenderRecord, TenderError> {
    let model = tender::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the tender")?
        .ok_or(TenderError::NotFound(id))?;
    if let Some(agency) = agency
        && model.agency != agency
    {
        // A draft is its agency's alone: to anyone else it does not exist, for a write as
        // for a read (a 403 would say whose it is).
        if model.status == Status::Draft.as_str() {
            return Err(TenderError::NotFound(id));
        }
        return Err(TenderError::Forbidden(
            Code::NotYourAgency,
            format!(
                "tender {id} belongs to agency {}; your token is for {agency}",
                model.agency
            ),
        ));
    }
    Ok(load(txn, model).await?)
}

/// Moves the tender to `status` (within the caller's transaction).
pub async fn set_status_of(
    txn: &DatabaseTransaction,
    record: &TenderRecord,
    status: Status,
    now: DateTime<Utc>,
) -> anyhow::Result<tender::Model> {
    set_status(txn, record, status, now, |_| {}).await
}

async fn set_status(
    txn: &DatabaseTransaction,
    record: &TenderRecord,
    status: Status,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut tender::ActiveModel),
) -> anyhow::Result<tender::Model> {
    let mut active: tender::ActiveModel = record.tender.clone().into();
    active.status = Set(status.as_str().to_owned());
    active.updated_at = Set(now);
    change(&mut active);
    active.update(txn).await.context("updating the tender")
}

pub async fn record_event(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    tender_id: Uuid,
    data: serde_json::Value,
) -> anyhow::Result<()> {
    audit::append(
        txn,
        now,
        NewEvent {
            actor,
            action,
            entity_type: "tender",
            entity_id: &tender_id.to_string(),
            data,
        },
    )
    .await?;
    Ok(())
}

/// The data of a state change's audit event: `from` and `to` are the tender's phases
/// (SPEC §2, as the API shows them) just before and just after the change, then the
/// change's own fields. Who and when are the event's actor and time.
pub fn change_data(
    before: &TenderRecord,
    to: Status,
    now: DateTime<Utc>,
    fields: serde_json::Value,
) -> serde_json::Value {
    let mut data = serde_json::Map::new();
    data.insert("from".into(), before.phase(now).as_str().into());
    data.insert(
        "to".into(),
        phase(to, &before.schedule(), now).as_str().into(),
    );
    if let serde_json::Value::Object(fields) = fields {
        data.extend(fields);
    }
    serde_json::Value::Object(data)
}

/// Checks the classifier codes and returns each item's ICT flag.
async fn item_flags(conn: &impl ConnectionTrait, items: &[Item]) -> Result<Vec<bool>, TenderError> {
    let codes: Vec<String> = items.iter().map(|i| i.classifier_code.clone()).collect();
    let found: HashMap<String, bool> = classifier_item::Entity::find()
        .filter(classifier_item::Column::Code.is_in(codes.clone()))
        .all(conn)
        .await
        .context("reading classifier items")?
        .into_iter()
        .map(|c| (c.code, c.is_ict))
        .collect();
    let mut errors = ValidationErrors::new();
    for (i, code) in codes.iter().enumerate() {
        if !found.contains_key(code) {
            errors.push(
                &format!("items[{i}].classifier_code"),
                Code::UnknownClassifierCode,
                format!("{code} is not in the classifier"),
            );
        }
    }
    errors.finish().map_err(TenderError::Invalid)?;
    Ok(codes
        .iter()
        .map(|c| found.get(c).copied().unwrap_or(false))
        .collect())
}

async fn write_children(
    txn: &DatabaseTransaction,
    id: Uuid,
    draft: &TenderDraft,
    flags: &[bool],
) -> anyhow::Result<()> {
    tender_item::Entity::delete_many()
        .filter(tender_item::Column::TenderId.eq(id))
        .exec(txn)
        .await?;
    tender_invitation::Entity::delete_many()
        .filter(tender_invitation::Column::TenderId.eq(id))
        .exec(txn)
        .await?;
    tender_item::Entity::insert_many(draft.items.iter().zip(flags).enumerate().map(
        |(i, (item, is_ict))| tender_item::ActiveModel {
            tender_id: Set(id),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            classifier_code: Set(item.classifier_code.clone()),
            quantity: Set(i64::try_from(item.quantity).unwrap_or(i64::MAX)),
            unit: Set(item.unit.clone()),
            max_unit_centavos: Set(item.max_unit_price.centavos()),
            is_ict: Set(*is_ict),
        },
    ))
    .exec(txn)
    .await
    .context("writing tender items")?;
    if !draft.invited.is_empty() {
        tender_invitation::Entity::insert_many(draft.invited.iter().map(|rfc| {
            tender_invitation::ActiveModel {
                tender_id: Set(id),
                rfc: Set(rfc.as_str().to_owned()),
            }
        }))
        .exec(txn)
        .await
        .context("writing invitations")?;
    }
    Ok(())
}

fn fill(active: &mut tender::ActiveModel, draft: &TenderDraft, now: DateTime<Utc>) {
    active.title = Set(draft.title.clone());
    active.description = Set(draft.description.clone());
    active.procedure = Set(draft.procedure.as_str().to_owned());
    active.scope = Set(draft.scope.as_str().to_owned());
    active.reference_centavos = Set(draft.reference_value.centavos());
    active.clarifications_until = Set(draft.schedule.clarifications_until);
    active.submission_deadline = Set(draft.schedule.submission_deadline);
    active.opening_at = Set(draft.schedule.opening_at);
    active.legal_justification = Set(draft.legal_justification.clone());
    active.framework_contract_id = Set(draft.framework_contract_id);
    active.ict_assent_id = Set(draft.ict_assent_id);
    active.framework_exception = Set(draft.framework_exception.clone());
    active.auction_settings = Set(draft.auction_settings.as_ref().map(|a| a.to_string()));
    active.updated_at = Set(now);
}

fn draft_json(draft: &TenderDraft) -> serde_json::Value {
    json!({
        "title": draft.title,
        "procedure": draft.procedure.as_str(),
        "scope": draft.scope.as_str(),
        "reference_value": draft.reference_value.to_string(),
        "items": draft.items.len(),
        "invited": draft.invited.iter().map(Rfc::as_str).collect::<Vec<_>>(),
    })
}

/// Creates a draft for `agency`.
pub async fn create(
    db: &DatabaseConnection,
    agency: &str,
    draft: &TenderDraft,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<TenderRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    require_agency(&txn, agency).await?;
    let flags = item_flags(&txn, &draft.items).await?;
    let id = Uuid::now_v7();
    let mut active = tender::ActiveModel {
        id: Set(id),
        agency: Set(agency.to_owned()),
        status: Set(Status::Draft.as_str().to_owned()),
        cancel_reason: Set(None),
        created_by: Set(actor.sub.clone()),
        created_at: Set(now),
        published_at: Set(None),
        opened_at: Set(None),
        evaluated_at: Set(None),
        closed_at: Set(None),
        ..Default::default()
    };
    fill(&mut active, draft, now);
    active.insert(&txn).await.context("inserting the tender")?;
    write_children(&txn, id, draft, &flags).await?;
    record_event(&txn, now, actor, "tender.created", id, draft_json(draft)).await?;
    let record = lock_for_update(&txn, id, None).await?;
    txn.commit().await.context("committing the tender")?;
    Ok(record)
}

/// Replaces a draft's content; only drafts can be edited.
pub async fn replace_draft(
    db: &DatabaseConnection,
    id: Uuid,
    agency: &str,
    draft: &TenderDraft,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<TenderRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if record.status() != Status::Draft {
        return Err(TenderError::Conflict(
            Code::NotADraft,
            format!(
                "tender {id} is {}; only drafts are edited",
                record.tender.status
            ),
        ));
    }
    let flags = item_flags(&txn, &draft.items).await?;
    let mut active: tender::ActiveModel = record.tender.clone().into();
    fill(&mut active, draft, now);
    active.update(&txn).await.context("updating the draft")?;
    write_children(&txn, id, draft, &flags).await?;
    record_event(&txn, now, actor, "tender.updated", id, draft_json(draft)).await?;
    let record = lock_for_update(&txn, id, None).await?;
    txn.commit().await.context("committing the draft")?;
    Ok(record)
}

/// Who is asking for a list, which decides whether drafts are shown.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Published tenders only.
    Public,
    /// Published tenders, and the drafts of this agency.
    Agency(String),
    /// Everything (auditors).
    All,
}

#[derive(Debug, Clone, Default)]
pub struct TenderFilter {
    pub agency: Option<String>,
    pub procedure: Option<Procedure>,
    pub status: Option<Status>,
}

/// One page of tenders, newest first (ids are time-ordered UUIDv7).
pub async fn list(
    conn: &impl ConnectionTrait,
    visibility: &Visibility,
    filter: &TenderFilter,
    before: Option<Uuid>,
    limit: u64,
) -> anyhow::Result<Vec<TenderRecord>> {
    let mut condition = Condition::all();
    let draft = Status::Draft.as_str();
    match visibility {
        Visibility::Public => condition = condition.add(tender::Column::Status.ne(draft)),
        Visibility::Agency(agency) => {
            condition = condition.add(
                Condition::any()
                    .add(tender::Column::Status.ne(draft))
                    .add(tender::Column::Agency.eq(agency.clone())),
            )
        }
        Visibility::All => {}
    }
    if let Some(agency) = &filter.agency {
        condition = condition.add(tender::Column::Agency.eq(agency.clone()));
    }
    if let Some(procedure) = filter.procedure {
        condition = condition.add(tender::Column::Procedure.eq(procedure.as_str()));
    }
    if let Some(status) = filter.status {
        condition = condition.add(tender::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = before {
        condition = condition.add(tender::Column::Id.lt(before));
    }
    let models = tender::Entity::find()
        .filter(condition)
        .order_by_desc(tender::Column::Id)
        .limit(limit)
        .all(conn)
        .await
        .context("listing tenders")?;
    let mut records = Vec::with_capacity(models.len());
    for model in models {
        records.push(load(conn, model).await?);
    }
    Ok(records)
}

/// Whether `rfc` is registered and free of sanctions on `today`; the first failing rule.
pub async fn eligibility(
    conn: &impl ConnectionTrait,
    rfc: &str,
    today: NaiveDate,
) -> anyhow::Result<Option<Ineligible>> {
    let registered = supplier::Entity::find_by_id(rfc.to_owned())
        .one(conn)
        .await?
        .is_some();
    let sanctions = sanction::Entity::find()
        .filter(sanction::Column::Rfc.eq(rfc))
        .all(conn)
        .await?;
    Ok(supplier_eligibility(
        registered,
        sanctions.iter().map(|s| (s.starts_on, s.ends_on)),
        today,
    ))
}

/// Publishes a draft: the schedule (future, in order, legal periods) and the procedure's
/// participants (registered, unsanctioned) are checked now.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    db: &DatabaseConnection,
    id: Uuid,
    agency: &str,
    periods: &LegalPeriods,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
    today: NaiveDate,
) -> Result<TenderRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if record.status() != Status::Draft {
        return Err(TenderError::Conflict(
            Code::NotADraft,
            format!("tender {id} is already {}", record.tender.status),
        ));
    }
    let procedure = record.procedure();
    let scope = Scope::parse(&record.tender.scope).unwrap_or_default();
    let mut errors =
        match check_publishable_schedule(&record.schedule(), procedure, scope, periods, now) {
            Ok(()) => ValidationErrors::new(),
            Err(errors) => errors,
        };
    for (i, rfc) in record.invited.iter().enumerate() {
        match eligibility(&txn, rfc, today).await? {
            Some(Ineligible::NotRegistered) => errors.push(
                &format!("invited_suppliers[{i}]"),
                Code::InvitedSupplierNotRegistered,
                format!("{rfc} is not in the supplier register"),
            ),
            Some(Ineligible::Sanctioned) => errors.push(
                &format!("invited_suppliers[{i}]"),
                Code::InvitedSupplierSanctioned,
                format!("{rfc} has a sanction in force"),
            ),
            None => {}
        }
    }
    if let Some((code, message)) = super::ict::check_tender(&txn, &record, today, None).await? {
        errors.push("ict_assent_id", code, message);
    }
    let chains = super::frameworks::item_ancestors(&txn, &record).await?;
    if procedure == Procedure::FrameworkOrder {
        let framework = match record.tender.framework_contract_id {
            Some(fid) => super::frameworks::get(&txn, fid).await?,
            None => None,
        };
        match framework {
            None => errors.push(
                "framework_contract_id",
                Code::FrameworkContractRequired,
                "a framework order names an existing framework contract it is placed under",
            ),
            Some(framework) => {
                if let Err(found) = crate::domain::framework::check_order(
                    &framework.for_rules(),
                    &record.domain_items(),
                    &chains,
                    today,
                ) {
                    errors.0.extend(found.0);
                }
            }
        }
    } else if record.tender.framework_exception.is_none() {
        let covering = super::frameworks::covering(&txn, &record, &chains, today).await?;
        if !covering.is_empty() {
            errors.push(
                "procedure",
                Code::FrameworkContractApplies,
                format!(
                    "framework contract(s) {} cover these goods: place a framework_order under one, or write the exception's justification",
                    covering.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    errors.finish().map_err(TenderError::Invalid)?;
    let model = set_status(&txn, &record, Status::Published, now, |a| {
        a.published_at = Set(Some(now))
    })
    .await?;
    record_event(
        &txn,
        now,
        actor,
        "tender.published",
        id,
        change_data(&record, Status::Published, now, json!({})),
    )
    .await?;
    super::releases::publish(&txn, feed, id, Event::Published, now).await?;
    txn.commit().await.context("committing the publication")?;
    Ok(TenderRecord {
        tender: model,
        ..record
    })
}

/// A supplier asks a question during the clarification period.
pub async fn ask(
    db: &DatabaseConnection,
    id: Uuid,
    rfc: &str,
    question: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<tender_question::Model, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, None).await?;
    require_participant(&txn, &record, rfc, today).await?;
    if record.phase(now) != Phase::Clarification {
        return Err(TenderError::Conflict(
            Code::ClarificationClosed,
            format!(
                "questions are taken until {}",
                record.tender.clarifications_until.to_rfc3339()
            ),
        ));
    }
    let model = tender_question::ActiveModel {
        id: Set(Uuid::now_v7()),
        tender_id: Set(id),
        asker_rfc: Set(rfc.to_owned()),
        question: Set(question.to_owned()),
        asked_at: Set(now),
        answer: Set(None),
        answered_at: Set(None),
        answered_by: Set(None),
    }
    .insert(&txn)
    .await
    .context("inserting the question")?;
    let actor = Actor {
        role: "supplier".into(),
        sub: rfc.to_owned(),
    };
    record_event(
        &txn,
        now,
        &actor,
        "tender.question_asked",
        id,
        json!({"question_id": model.id.to_string()}),
    )
    .await?;
    txn.commit().await.context("committing the question")?;
    Ok(model)
}

/// The officer answers a question, once.
#[allow(clippy::too_many_arguments)]
pub async fn answer(
    db: &DatabaseConnection,
    id: Uuid,
    question_id: Uuid,
    agency: &str,
    text: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
) -> Result<tender_question::Model, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if !record.status().cancellable() || record.status() == Status::Draft {
        return Err(TenderError::Conflict(
            Code::NotAnswerable,
            format!("tender {id} is {}", record.tender.status),
        ));
    }
    let question = tender_question::Entity::find_by_id(question_id)
        .one(&txn)
        .await
        .context("reading the question")?
        .filter(|q| q.tender_id == id)
        .ok_or_else(|| {
            TenderError::Missing(format!("tender {id} has no question {question_id}"))
        })?;
    if question.answer.is_some() {
        return Err(TenderError::Conflict(
            Code::AlreadyAnswered,
            "this question has its answer already".into(),
        ));
    }
    let mut active: tender_question::ActiveModel = question.into();
    active.answer = Set(Some(text.to_owned()));
    active.answered_at = Set(Some(now));
    active.answered_by = Set(Some(actor.sub.clone()));
    let model = active.update(&txn).await.context("answering")?;
    record_event(
        &txn,
        now,
        actor,
        "tender.question_answered",
        id,
        json!({"question_id": question_id.to_string(), "answer": text}),
    )
    .await?;
    super::releases::publish(&txn, feed, id, Event::ClarificationAnswered, now).await?;
    txn.commit().await.context("committing the answer")?;
    Ok(model)
}

pub async fn questions(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> anyhow::Result<Vec<tender_question::Model>> {
    tender_question::Entity::find()
        .filter(tender_question::Column::TenderId.eq(id))
        .order_by_asc(tender_question::Column::Id)
        .all(conn)
        .await
        .context("reading questions")
}

/// A supplier may take part: registered, unsanctioned, and invited when the procedure
/// invites.
async fn require_participant(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
    rfc: &str,
    today: NaiveDate,
) -> Result<(), TenderError> {
    if record.status() == Status::Draft {
        return Err(TenderError::NotFound(record.tender.id));
    }
    match eligibility(conn, rfc, today).await? {
        Some(Ineligible::NotRegistered) => {
            return Err(TenderError::Forbidden(
                Code::SupplierNotRegistered,
                format!("{rfc} is not in the supplier register: register first"),
            ));
        }
        Some(Ineligible::Sanctioned) => {
            return Err(TenderError::Forbidden(
                Code::SupplierSanctioned,
                format!("{rfc} has a sanction in force and can't take part"),
            ));
        }
        None => {}
    }
    match record.procedure() {
        Procedure::Invitation | Procedure::DirectAward
            if !record.invited.iter().any(|r| r == rfc) =>
        {
            Err(TenderError::Forbidden(
                Code::NotInvited,
                format!("{rfc} is not invited to this {}", record.tender.procedure),
            ))
        }
        Procedure::FrameworkOrder => {
            let adhered = match record.tender.framework_contract_id {
                Some(fid) => super::frameworks::get(conn, fid)
                    .await?
                    .is_some_and(|f| f.for_rules().adhered(rfc)),
                None => false,
            };
            if adhered {
                Ok(())
            } else {
                Err(TenderError::Conflict(
                    Code::FrameworkSupplierNotAdhered,
                    format!("{rfc} does not adhere to this order's framework contract"),
                ))
            }
        }
        _ => Ok(()),
    }
}

/// Version 1 bound the ciphertext to the RFC in clear.
fn aad_v1(tender_id: Uuid, rfc: &str, bid_id: Uuid) -> Vec<u8> {
    format!("licita-bid:{tender_id}:{rfc}:{bid_id}").into_bytes()
}

/// Version 2 binds it to its row; who bid is inside.
fn aad_v2(tender_id: Uuid, bid_id: Uuid) -> Vec<u8> {
    format!("licita-bid:v2:{tender_id}:{bid_id}").into_bytes()
}

/// The envelope format every new bid is sealed in.
pub const SEAL_VERSION: i32 = 2;

/// Sealed envelopes are whole multiples of this many bytes.
pub const ENVELOPE_BLOCK: usize = 1024;

/// Whether `b` is the bid of the supplier `rfc`, whose tag in the tender is `tag`.
pub fn owned_by(b: &bid::Model, rfc: &str, tag: &str) -> bool {
    match b.seal_version {
        1 => b.rfc.as_deref() == Some(rfc),
        _ => b.bidder_tag.as_deref() == Some(tag),
    }
}

/// Who the audit log names for a sealed bid's events before the opening: the bidder's
/// tag, never its RFC (the opening's event links bids and RFCs).
fn sealed_actor(tag: &str) -> Actor {
    Actor {
        role: "supplier".into(),
        sub: format!("bidder:{tag}"),
    }
}

/// A submitted bid and, for its supplier only, the receipt's nonce.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub bid: bid::Model,
    pub receipt_nonce: String,
}

/// Submits (or replaces) a supplier's sealed bid; returns the new bid.
pub async fn submit_bid(
    db: &DatabaseConnection,
    sealer: &Sealer,
    id: Uuid,
    rfc: &str,
    content: &SealedContent,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Submitted, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, None).await?;
    require_participant(&txn, &record, rfc, today).await?;
    match record.phase(now) {
        Phase::Clarification | Phase::Submission => {}
        Phase::Draft => return Err(TenderError::NotFound(id)),
        _ => {
            return Err(TenderError::Conflict(
                Code::SubmissionClosed,
                format!(
                    "bids were taken until {}",
                    record.tender.submission_deadline.to_rfc3339()
                ),
            ));
        }
    }
    check_bid(&record.domain_items(), content).map_err(TenderError::Invalid)?;
    let tag = sealer.bidder_tag(id, rfc);
    let previous = bids(&txn, id)
        .await?
        .into_iter()
        .find(|b| b.status == "live" && owned_by(b, rfc, &tag));
    if let Some(previous) = &previous {
        let mut active: bid::ActiveModel = previous.clone().into();
        active.status = Set("replaced".into());
        active.withdrawn_at = Set(Some(now));
        active.update(&txn).await.context("replacing the bid")?;
    }
    let bid_id = Uuid::now_v7();
    let nonce = crate::seal::random_bytes::<RECEIPT_NONCE_BYTES>()?;
    let receipt = receipt_v2(&nonce, &receipt_message(bid_id, id, rfc, content, now));
    let envelope = Envelope {
        rfc: rfc.to_owned(),
        receipt_nonce: hex::encode(nonce),
        content: content.clone(),
    };
    let mut plaintext = serde_json::to_vec(&envelope).context("encoding the bid")?;
    // Padded with spaces (which JSON ignores) to whole blocks, so that the ciphertext's
    // length says nothing of the RFC's length, the prices' digits or the offer's exact size.
    let padded = plaintext.len().div_ceil(ENVELOPE_BLOCK) * ENVELOPE_BLOCK;
    plaintext.resize(padded, b' ');
    let model = bid::ActiveModel {
        id: Set(bid_id),
        tender_id: Set(id),
        rfc: Set(None),
        status: Set("live".into()),
        received_at: Set(now),
        receipt_sha256: Set(receipt),
        sealed: Set(sealer.seal(&aad_v2(id, bid_id), &plaintext)?),
        withdrawn_at: Set(None),
        total_centavos: Set(None),
        qualified: Set(None),
        evaluation_reason: Set(None),
        evaluated_at: Set(None),
        bidder_tag: Set(Some(tag.clone())),
        seal_version: Set(SEAL_VERSION),
    }
    .insert(&txn)
    .await
    .context("inserting the bid")?;
    record_event(
        &txn,
        now,
        &sealed_actor(&tag),
        if previous.is_some() {
            "bid.replaced"
        } else {
            "bid.submitted"
        },
        id,
        json!({"bid_id": bid_id.to_string(), "receipt_sha256": model.receipt_sha256}),
    )
    .await?;
    txn.commit().await.context("committing the bid")?;
    Ok(Submitted {
        bid: model,
        receipt_nonce: envelope.receipt_nonce,
    })
}

/// Withdraws a supplier's live bid before the deadline.
pub async fn withdraw_bid(
    db: &DatabaseConnection,
    sealer: &Sealer,
    (id, bid_id): (Uuid, Uuid),
    rfc: &str,
    now: DateTime<Utc>,
) -> Result<bid::Model, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, None).await?;
    let tag = sealer.bidder_tag(id, rfc);
    let found = bid::Entity::find_by_id(bid_id)
        .one(&txn)
        .await
        .context("reading the bid")?
        .filter(|b| b.tender_id == id && owned_by(b, rfc, &tag))
        .ok_or_else(|| TenderError::Missing(format!("you have no bid {bid_id} in tender {id}")))?;
    if !matches!(record.phase(now), Phase::Clarification | Phase::Submission) {
        return Err(TenderError::Conflict(
            Code::SubmissionClosed,
            "bids can't be withdrawn after the submission deadline".into(),
        ));
    }
    if found.status != "live" {
        return Err(TenderError::Conflict(
            Code::BidNotLive,
            format!("bid {bid_id} is {}", found.status),
        ));
    }
    let mut active: bid::ActiveModel = found.into();
    active.status = Set("withdrawn".into());
    active.withdrawn_at = Set(Some(now));
    let model = active.update(&txn).await.context("withdrawing the bid")?;
    record_event(
        &txn,
        now,
        &sealed_actor(&tag),
        "bid.withdrawn",
        id,
        json!({"bid_id": bid_id.to_string()}),
    )
    .await?;
    txn.commit().await.context("committing the withdrawal")?;
    Ok(model)
}

pub async fn bids(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Vec<bid::Model>> {
    bid::Entity::find()
        .filter(bid::Column::TenderId.eq(id))
        .order_by_asc(bid::Column::Id)
        .all(conn)
        .await
        .context("reading bids")
}

/// A bid's envelope, opened.
#[derive(Debug, Clone)]
pub struct Unsealed {
    pub rfc: String,
    /// Version 2: the key of its receipt (shown to its owner only).
    pub receipt_nonce: Option<String>,
    pub content: SealedContent,
}

/// Opens a bid's envelope, whichever its version.
pub fn unseal(sealer: &Sealer, model: &bid::Model) -> anyhow::Result<Unsealed> {
    match model.seal_version {
        1 => {
            let rfc = model
                .rfc
                .clone()
                .context("a version 1 bid without its RFC")?;
            let plaintext = sealer.open(&aad_v1(model.tender_id, &rfc, model.id), &model.sealed)?;
            Ok(Unsealed {
                rfc,
                receipt_nonce: None,
                content: serde_json::from_slice(&plaintext).context("decoding a sealed bid")?,
            })
        }
        2 => {
            let plaintext = sealer.open(&aad_v2(model.tender_id, model.id), &model.sealed)?;
            let envelope: Envelope =
                serde_json::from_slice(&plaintext).context("decoding a sealed bid")?;
            Ok(Unsealed {
                rfc: envelope.rfc,
                receipt_nonce: Some(envelope.receipt_nonce),
                content: envelope.content,
            })
        }
        other => anyhow::bail!("bid {} has an unknown seal version {other}", model.id),
    }
}

/// The opening: from `opening_at` on, the officer opens the live bids; their totals are
/// written in clear. No bid: the tender is deserted.
pub async fn open(
    db: &DatabaseConnection,
    sealer: &Sealer,
    id: Uuid,
    agency: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
) -> Result<TenderRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if record.status() != Status::Published {
        return Err(TenderError::Conflict(
            Code::NotOpenable,
            format!("tender {id} is {}", record.tender.status),
        ));
    }
    if now < record.tender.opening_at || now < record.tender.submission_deadline {
        return Err(TenderError::Conflict(
            Code::TooEarlyToOpen,
            format!("the bids open at {}", record.tender.opening_at.to_rfc3339()),
        ));
    }
    let live: Vec<bid::Model> = bids(&txn, id)
        .await?
        .into_iter()
        .filter(|b| b.status == "live")
        .collect();
    let items = record.domain_items();
    let mut opened = Vec::with_capacity(live.len());
    for model in &live {
        let unsealed = unseal(sealer, model)?;
        let total = check_bid(&items, &unsealed.content)
            .map_err(|e| anyhow::anyhow!("a stored bid no longer checks: {e}"))?;
        let mut active: bid::ActiveModel = model.clone().into();
        // Who bid, and the total, are written in clear from the opening on.
        active.rfc = Set(Some(unsealed.rfc.clone()));
        active.total_centavos = Set(Some(total.centavos()));
        active.update(&txn).await.context("writing a bid total")?;
        opened.push(json!({"bid_id": model.id.to_string(), "rfc": unsealed.rfc}));
    }
    let status = if live.is_empty() {
        Status::Deserted
    } else {
        Status::Opened
    };
    let model = set_status(&txn, &record, status, now, |a| {
        a.opened_at = Set(Some(now));
        if status == Status::Deserted {
            a.closed_at = Set(Some(now));
        }
    })
    .await?;
    record_event(
        &txn,
        now,
        actor,
        "tender.opened",
        id,
        change_data(
            &record,
            status,
            now,
            json!({"bids": live.len(), "opened": opened}),
        ),
    )
    .await?;
    if status == Status::Deserted {
        super::releases::publish(&txn, feed, id, Event::Deserted, now).await?;
    }
    txn.commit().await.context("committing the opening")?;
    Ok(TenderRecord {
        tender: model,
        ..record
    })
}

/// One bid's evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub bid_id: Uuid,
    pub qualified: bool,
    pub reason: Option<String>,
}

/// The officer marks every opened bid qualified or not (a reason for each refusal). No
/// qualified bid: the tender is deserted.
pub async fn evaluate(
    db: &DatabaseConnection,
    id: Uuid,
    agency: &str,
    evaluations: &[Evaluation],
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
) -> Result<(TenderRecord, Vec<bid::Model>), TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if record.status() != Status::Opened {
        return Err(TenderError::Conflict(
            Code::NotEvaluable,
            format!(
                "tender {id} is {}; bids are evaluated once, after the opening",
                record.tender.status
            ),
        ));
    }
    let live: Vec<bid::Model> = bids(&txn, id)
        .await?
        .into_iter()
        .filter(|b| b.status == "live")
        .collect();
    let live_ids: HashSet<Uuid> = live.iter().map(|b| b.id).collect();
    let mut errors = ValidationErrors::new();
    let mut seen = HashSet::new();
    for (i, e) in evaluations.iter().enumerate() {
        if !live_ids.contains(&e.bid_id) {
            errors.push(
                &format!("evaluations[{i}].bid_id"),
                Code::UnknownBid,
                format!("{} is not an opened bid of this tender", e.bid_id),
            );
        } else if !seen.insert(e.bid_id) {
            errors.push(
                &format!("evaluations[{i}].bid_id"),
                Code::EvaluationIncomplete,
                "each bid is evaluated once",
            );
        }
        if !e.qualified && e.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            errors.push(
                &format!("evaluations[{i}].reason"),
                Code::ReasonRequired,
                "a bid that does not qualify needs the reason",
            );
        }
    }
    for b in &live {
        if !evaluations.iter().any(|e| e.bid_id == b.id) {
            errors.push(
                "evaluations",
                Code::EvaluationIncomplete,
                format!("bid {} is not evaluated", b.id),
            );
        }
    }
    errors.finish().map_err(TenderError::Invalid)?;
    let mut updated = Vec::with_capacity(live.len());
    for model in live {
        let Some(e) = evaluations.iter().find(|e| e.bid_id == model.id) else {
            continue;
        };
        let mut active: bid::ActiveModel = model.into();
        active.qualified = Set(Some(e.qualified));
        active.evaluation_reason = Set(e.reason.clone().filter(|r| !r.trim().is_empty()));
        active.evaluated_at = Set(Some(now));
        updated.push(active.update(&txn).await.context("writing an evaluation")?);
    }
    let qualified = updated.iter().filter(|b| b.qualified == Some(true)).count();
    let status = if qualified == 0 {
        Status::Deserted
    } else {
        Status::Evaluated
    };
    let model = set_status(&txn, &record, status, now, |a| {
        a.evaluated_at = Set(Some(now));
        if status == Status::Deserted {
            a.closed_at = Set(Some(now));
        }
    })
    .await?;
    record_event(
        &txn,
        now,
        actor,
        "tender.evaluated",
        id,
        change_data(
            &record,
            status,
            now,
            json!({
                "qualified": qualified,
                "not_qualified": updated.len() - qualified,
                "evaluations": updated.iter().map(|b| json!({"bid_id": b.id.to_string(), "qualified": b.qualified, "reason": b.evaluation_reason})).collect::<Vec<_>>(),
            }),
        ),
    )
    .await?;
    if status == Status::Deserted {
        super::releases::publish(&txn, feed, id, Event::Deserted, now).await?;
    }
    txn.commit().await.context("committing the evaluation")?;
    Ok((
        TenderRecord {
            tender: model,
            ..record
        },
        updated,
    ))
}

/// Cancels a tender, with its reason, at any time before the award.
pub async fn cancel(
    db: &DatabaseConnection,
    id: Uuid,
    agency: &str,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
) -> Result<TenderRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock_for_update(&txn, id, Some(agency)).await?;
    if !record.status().cancellable() {
        return Err(TenderError::Conflict(
            Code::NotCancellable,
            format!("tender {id} is {}", record.tender.status),
        ));
    }
    let model = set_status(&txn, &record, Status::Cancelled, now, |a| {
        a.cancel_reason = Set(Some(reason.to_owned()));
        a.closed_at = Set(Some(now));
    })
    .await?;
    // Its auction, if one runs, closes in the same step (the engine has stopped it).
    if let Some(auction_id) = super::auctions::id_of_tender(&txn, id).await? {
        super::auctions::close_in(&txn, auction_id, now, super::auctions::When::Cancelled).await?;
    }
    record_event(
        &txn,
        now,
        actor,
        "tender.cancelled",
        id,
        change_data(&record, Status::Cancelled, now, json!({"reason": reason})),
    )
    .await?;
    super::releases::publish(&txn, feed, id, Event::Cancelled, now).await?;
    txn.commit().await.context("committing the cancellation")?;
    Ok(TenderRecord {
        tender: model,
        ..record
    })
}

/// An officer's token may name an agency that was never registered: refuse, rather than
/// fail on the foreign key.
pub async fn require_agency(conn: &impl ConnectionTrait, agency: &str) -> Result<(), TenderError> {
    let found = super::entities::agency::Entity::find_by_id(agency.to_owned())
        .one(conn)
        .await
        .context("reading the agency")?;
    if found.is_none() {
        return Err(TenderError::Forbidden(
            Code::AgencyNotRegistered,
            format!("agency {agency} is not registered; the registrar adds agencies"),
        ));
    }
    Ok(())
}
