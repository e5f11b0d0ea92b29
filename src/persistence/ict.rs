//! The ICT-assent repository: requests, their codes and decisions.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{AssentStatus, ict_assent, ict_assent_code};
use crate::domain::agency::AgencyCode;
use crate::domain::ict::Assent;
use crate::domain::ids::AssentId;
use crate::domain::money::Money;

/// An assent with its classifier codes.
#[derive(Debug, Clone)]
pub struct AssentRecord {
    pub assent: ict_assent::Model,
    pub codes: Vec<String>,
}

impl AssentRecord {
    pub fn for_rules(&self) -> Assent {
        Assent {
            agency: self.assent.agency.clone(),
            approved: self.assent.status == AssentStatus::Approved,
            approved_amount: self
                .assent
                .approved_centavos
                .and_then(|c| Money::from_centavos(c).ok()),
            expires_on: self.assent.expires_on,
            codes: self.codes.clone(),
        }
    }
}

/// A request, as parsed.
#[derive(Debug, Clone)]
pub struct NewAssent {
    pub title: String,
    pub justification: String,
    pub amount: Money,
    pub strategic: bool,
    pub codes: Vec<String>,
}

async fn complete(
    conn: &impl ConnectionTrait,
    models: Vec<ict_assent::Model>,
) -> anyhow::Result<Vec<AssentRecord>> {
    let mut out = Vec::with_capacity(models.len());
    for assent in models {
        let codes = ict_assent_code::Entity::find()
            .filter(ict_assent_code::Column::AssentId.eq(assent.id))
            .order_by_asc(ict_assent_code::Column::Code)
            .all(conn)
            .await
            .context("reading assent codes")?
            .into_iter()
            .map(|c| c.code)
            .collect();
        out.push(AssentRecord { assent, codes });
    }
    Ok(out)
}

pub async fn get(
    conn: &impl ConnectionTrait,
    id: AssentId,
) -> anyhow::Result<Option<AssentRecord>> {
    let model = ict_assent::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading an assent")?;
    Ok(complete(conn, model.into_iter().collect()).await?.pop())
}

/// Writes a request, with its codes.
pub async fn insert(
    txn: &DatabaseTransaction,
    agency: &AgencyCode,
    new: &NewAssent,
    requested_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<AssentRecord> {
    let id = AssentId::generate();
    ict_assent::ActiveModel {
        id: Set(id.uuid()),
        agency: Set(agency.as_str().to_owned()),
        title: Set(new.title.clone()),
        justification: Set(new.justification.clone()),
        amount_centavos: Set(new.amount.centavos()),
        strategic: Set(new.strategic),
        status: Set(AssentStatus::Requested),
        approved_centavos: Set(None),
        expires_on: Set(None),
        fiscal_year: Set(None),
        decision_notes: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        requested_by: Set(requested_by.to_owned()),
        requested_at: Set(now),
    }
    .insert(txn)
    .await
    .context("inserting the assent")?;
    ict_assent_code::Entity::insert_many(new.codes.iter().map(|c| ict_assent_code::ActiveModel {
        assent_id: Set(id.uuid()),
        code: Set(c.clone()),
    }))
    .exec(txn)
    .await
    .context("inserting assent codes")?;
    get(txn, id).await?.context("the assent vanished")
}

/// Reads an assent's row, locked until the transaction ends.
pub async fn lock(
    txn: &DatabaseTransaction,
    id: AssentId,
) -> anyhow::Result<Option<ict_assent::Model>> {
    ict_assent::Entity::find_by_id(id.uuid())
        .lock_exclusive()
        .one(txn)
        .await
        .context("reading the assent")
}

/// How many strategic projects of `agency` are approved in `fiscal_year`.
pub async fn strategic_held(
    conn: &impl ConnectionTrait,
    agency: &str,
    fiscal_year: i32,
) -> anyhow::Result<u64> {
    ict_assent::Entity::find()
        .filter(ict_assent::Column::Agency.eq(agency))
        .filter(ict_assent::Column::Strategic.eq(true))
        .filter(ict_assent::Column::Status.eq(AssentStatus::Approved))
        .filter(ict_assent::Column::FiscalYear.eq(fiscal_year))
        .count(conn)
        .await
        .context("counting strategic projects")
}

/// A decision, as written.
#[derive(Debug, Clone)]
pub struct Decided {
    pub status: AssentStatus,
    pub approved: Option<Money>,
    pub expires_on: Option<NaiveDate>,
    pub fiscal_year: Option<i32>,
    pub notes: Option<String>,
    pub decided_by: String,
}

/// Writes the decision of a request.
pub async fn write_decision(
    txn: &DatabaseTransaction,
    current: ict_assent::Model,
    decided: Decided,
    now: DateTime<Utc>,
) -> anyhow::Result<AssentRecord> {
    let mut active: ict_assent::ActiveModel = current.into();
    active.status = Set(decided.status);
    if let Some(amount) = decided.approved {
        active.approved_centavos = Set(Some(amount.centavos()));
    }
    if decided.expires_on.is_some() {
        active.expires_on = Set(decided.expires_on);
    }
    if decided.fiscal_year.is_some() {
        active.fiscal_year = Set(decided.fiscal_year);
    }
    active.decision_notes = Set(decided.notes);
    active.decided_by = Set(Some(decided.decided_by));
    active.decided_at = Set(Some(now));
    let model = active.update(txn).await.context("deciding the assent")?;
    complete(txn, vec![model])
        .await?
        .pop()
        .context("the assent vanished")
}

/// One page of assents, newest first: an agency's, or every agency's.
pub async fn list(
    conn: &impl ConnectionTrait,
    agency: Option<&AgencyCode>,
    before: Option<AssentId>,
    limit: u64,
) -> anyhow::Result<Vec<AssentRecord>> {
    let mut query = ict_assent::Entity::find()
        .order_by_desc(ict_assent::Column::Id)
        .limit(limit);
    if let Some(agency) = agency {
        query = query.filter(ict_assent::Column::Agency.eq(agency.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(ict_assent::Column::Id.lt(before.uuid()));
    }
    complete(conn, query.all(conn).await.context("listing assents")?).await
}
