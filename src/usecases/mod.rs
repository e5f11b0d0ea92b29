//! The use cases: what a user does, one file each. A use case opens the transaction,
//! loads the facts through the repositories (`persistence/`), asks the domain for the
//! decision, writes it, records the audit event and publishes the release, in that order
//! and in one transaction. Routes call use cases for every change; reads go straight to a
//! repository.
//!
//! Refusals are typed: a decision's [`Rejection`] or a missing record become a
//! [`UseCaseError`], which `error.rs` maps to HTTP once.

pub mod agencies;
pub mod auctions;
pub mod awards;
pub mod classifier;
pub mod complaints;
pub mod documents;
pub mod facts;
pub mod frameworks;
pub mod ict;
pub mod release;
pub mod sealed;
pub mod suppliers;
pub mod tenders;

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::TenderId;
use crate::domain::rejection::Rejection;
use crate::domain::tender::{Status, phase};
use crate::domain::validation::ValidationErrors;
use crate::ocds::{Event, Feed};
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::entities::tender;
use crate::persistence::tenders::{self as tender_repo, Stamps, TenderRecord};
use crate::seal::Sealer;

/// What every use case runs against: the database, the seal, the feed's settings, and
/// the moment of the request (read once, so that one request sees one time).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    pub sealer: &'a Sealer,
    pub feed: &'a Feed,
    pub now: DateTime<Utc>,
    /// `now`'s date in the legal calendar.
    pub today: NaiveDate,
    pub legal_offset: FixedOffset,
    /// The auctions the caller's engine holds (no bid passes) while this commits: only
    /// these may be paused or resumed.
    pub held: &'a [crate::domain::ids::AuctionId],
}

impl Context<'_> {
    pub async fn begin(&self) -> anyhow::Result<DatabaseTransaction> {
        self.db.begin().await.context("starting a transaction")
    }
}

/// A use case's refusal, or its failure.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// 404: the record the request names is not there (or not for this caller to see).
    #[error("{0}")]
    NotFound(String),
    /// A rule refused: 403 or 409 as the code's status says.
    #[error("{detail}")]
    Refused { code: Code, detail: String },
    /// 422 with the offending fields.
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The change would pause or resume auctions that the engine does not hold (they came
    /// or changed since the caller looked): the caller holds these and tries again.
    #[error("auctions to pause or resume are not held: {0:?}")]
    Unheld(Vec<crate::domain::ids::AuctionId>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl UseCaseError {
    pub fn refused(code: Code, detail: impl Into<String>) -> Self {
        UseCaseError::Refused {
            code,
            detail: detail.into(),
        }
    }

    pub fn tender_not_found(id: TenderId) -> Self {
        UseCaseError::NotFound(format!("tender {id} not found"))
    }
}

impl From<Rejection> for UseCaseError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Rule { code, detail } => UseCaseError::Refused { code, detail },
            Rejection::Fields(errors) => UseCaseError::Invalid(errors),
        }
    }
}

impl From<ValidationErrors> for UseCaseError {
    fn from(errors: ValidationErrors) -> Self {
        UseCaseError::Invalid(errors)
    }
}

impl From<sea_orm::DbErr> for UseCaseError {
    fn from(e: sea_orm::DbErr) -> Self {
        UseCaseError::Unexpected(e.into())
    }
}

pub type Result<T> = std::result::Result<T, UseCaseError>;

/// Locks a tender for the change, refusing one of another agency: a draft is its
/// agency's alone (to anyone else it does not exist, for a write as for a read: a 403
/// would say whose it is); a published tender of another agency is a 403.
pub async fn lock_own(
    txn: &DatabaseTransaction,
    id: TenderId,
    agency: &AgencyCode,
) -> Result<TenderRecord> {
    let record = lock(txn, id).await?;
    own(&record, agency)?;
    Ok(record)
}

/// Refuses a tender of another agency, as [`lock_own`] does.
pub fn own(record: &TenderRecord, agency: &AgencyCode) -> Result<()> {
    if record.agency() == agency.as_str() {
        return Ok(());
    }
    let id = record.id();
    if record.status() == Status::Draft {
        return Err(UseCaseError::tender_not_found(id));
    }
    Err(UseCaseError::refused(
        Code::NotYourAgency,
        format!(
            "tender {id} belongs to agency {}; your token is for {agency}",
            record.agency()
        ),
    ))
}

/// The tender as a change inside `txn` has left it.
pub async fn reload(txn: &DatabaseTransaction, id: TenderId) -> Result<TenderRecord> {
    tender_repo::get(txn, id)
        .await?
        .ok_or_else(|| UseCaseError::tender_not_found(id))
}

/// A tender suspended by an admitted complaint refuses its next transition, its award and
/// its contract (409 `tender_suspended`), until the resolution or the suspension's lifting.
pub fn not_suspended(record: &TenderRecord) -> Result<()> {
    match record.tender.suspended_by {
        Some(complaint) => Err(UseCaseError::refused(
            Code::TenderSuspended,
            format!(
                "tender {} is suspended by complaint {complaint} until its resolution or the \
                 lifting of the suspension",
                record.id()
            ),
        )),
        None => Ok(()),
    }
}

/// The lot a lot-wise operation acts on: the one named, or a one-lot tender's only lot.
/// An unnamed lot of a tender with several is refused; a lot it does not have is not found.
pub fn pick_lot(record: &TenderRecord, lot: Option<u32>) -> Result<u32> {
    match lot {
        Some(n) if record.lot(n).is_some() => Ok(n),
        Some(n) => Err(UseCaseError::NotFound(format!(
            "tender {} has no lot {n}",
            record.id()
        ))),
        None => record.only_lot().ok_or_else(|| {
            UseCaseError::refused(
                Code::LotRequired,
                format!(
                    "tender {} has {} lots: name one, as in /api/v1/tenders/{}/lots/1/…",
                    record.id(),
                    record.lots.len(),
                    record.id()
                ),
            )
        }),
    }
}

/// Locks a tender for the change, whoever asks.
pub async fn lock(txn: &DatabaseTransaction, id: TenderId) -> Result<TenderRecord> {
    tender_repo::lock(txn, id)
        .await?
        .ok_or_else(|| UseCaseError::tender_not_found(id))
}

/// Records an event of the tender in the audit log.
pub async fn record_event(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    tender: TenderId,
    data: serde_json::Value,
) -> anyhow::Result<()> {
    audit::append(
        txn,
        now,
        NewEvent {
            actor,
            action,
            entity_type: "tender",
            entity_id: &tender.to_string(),
            data,
        },
    )
    .await?;
    Ok(())
}

/// A change of a tender's status, as [`conclude`] writes it.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub to: Status,
    pub stamps: Stamps,
    pub actor: &'a Actor,
    /// The audit event's action (`tender.published`…) and its own fields.
    pub action: &'static str,
    pub fields: serde_json::Value,
    /// The OCDS release the change publishes, if any.
    pub release: Option<Event>,
}

/// The end of every change of a tender's status, in one place: the new status and the
/// dates it stamps, the audit event (`from` and `to` are the phases of SPEC §2 just before
/// and just after, then the change's own fields), and the release.
pub async fn conclude(
    txn: &DatabaseTransaction,
    cx: &Context<'_>,
    record: &TenderRecord,
    change: Change<'_>,
) -> anyhow::Result<tender::Model> {
    let model = tender_repo::move_to(txn, record, change.to, cx.now, change.stamps).await?;
    let mut data = serde_json::Map::new();
    data.insert("from".into(), record.phase(cx.now).as_str().into());
    data.insert(
        "to".into(),
        phase(change.to, &record.schedule(), cx.now).as_str().into(),
    );
    if let serde_json::Value::Object(fields) = change.fields {
        data.extend(fields);
    }
    record_event(
        txn,
        cx.now,
        change.actor,
        change.action,
        record.id(),
        serde_json::Value::Object(data),
    )
    .await?;
    if let Some(event) = change.release {
        release::publish(txn, cx.feed, record.id(), event, cx.now).await?;
    }
    Ok(model)
}
