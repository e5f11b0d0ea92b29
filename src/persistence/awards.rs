//! The award repository: awards (fallos) and their contracts, and the savings and public
//! lists read from them.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, BinOper, Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{
    AuctionStatus, agency, auction, award, contract, supplier, tender, tender_item, tender_lot,
};
use crate::domain::agency::AgencyCode;
use crate::domain::classifier::ClassifierCode;
use crate::domain::contract::ContractTerms;
use crate::domain::ids::{AwardId, ContractId, TenderId};
use crate::domain::money::{MAX_CENTAVOS, Money};
use crate::domain::rfc::Rfc;
use crate::domain::tender::Procedure;

/// An award as decided, ready to be written.
#[derive(Debug, Clone)]
pub struct NewAward {
    pub tender: TenderId,
    pub lot: u32,
    pub bid: Uuid,
    pub rfc: String,
    pub agency: String,
    pub procedure: String,
    pub amount: Money,
    pub reference: Money,
    pub savings: i64,
    pub framework_savings: Option<i64>,
    pub pass_over_reason: Option<String>,
    /// JSON array of the bids passed over.
    pub passed_over: String,
    pub awarded_by: String,
    /// JSON array of `{position, unit_price_centavos}`.
    pub items: String,
}

pub async fn insert(
    txn: &DatabaseTransaction,
    new: NewAward,
    now: DateTime<Utc>,
) -> anyhow::Result<award::Model> {
    award::ActiveModel {
        id: Set(AwardId::generate().uuid()),
        tender_id: Set(new.tender.uuid()),
        bid_id: Set(new.bid),
        rfc: Set(new.rfc),
        agency: Set(new.agency),
        procedure: Set(new.procedure),
        amount_centavos: Set(new.amount.centavos()),
        reference_centavos: Set(new.reference.centavos()),
        savings_centavos: Set(new.savings),
        framework_savings_centavos: Set(new.framework_savings),
        pass_over_reason: Set(new.pass_over_reason),
        passed_over: Set(new.passed_over),
        awarded_by: Set(new.awarded_by),
        awarded_at: Set(now),
        items: Set(Some(new.items)),
        lot: Set(i32::try_from(new.lot).unwrap_or(i32::MAX)),
        annulled_at: Set(None),
    }
    .insert(txn)
    .await
    .context("inserting the award")
}

/// A tender's annulled awards, oldest first (history the public record keeps).
pub async fn annulled_of(
    conn: &impl ConnectionTrait,
    tender: TenderId,
) -> anyhow::Result<Vec<award::Model>> {
    award::Entity::find()
        .filter(award::Column::TenderId.eq(tender.uuid()))
        .filter(award::Column::AnnulledAt.is_not_null())
        .order_by_asc(award::Column::AwardedAt)
        .all(conn)
        .await
        .context("reading the annulled awards")
}

/// Annuls an award (an upheld complaint): it stays as history, no longer in force.
pub async fn annul(
    txn: &DatabaseTransaction,
    award: &award::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut active: award::ActiveModel = award.clone().into();
    active.annulled_at = Set(Some(now));
    active.update(txn).await.context("annulling the award")?;
    Ok(())
}

/// Writes the contract of `award` on `terms`.
pub async fn insert_contract(
    txn: &DatabaseTransaction,
    award: &award::Model,
    terms: &ContractTerms,
    signed_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<contract::Model> {
    contract::ActiveModel {
        id: Set(ContractId::generate().uuid()),
        tender_id: Set(award.tender_id),
        award_id: Set(award.id),
        amount_centavos: Set(terms.amount.centavos()),
        signed_on: Set(terms.signed_on),
        starts_on: Set(terms.starts_on),
        ends_on: Set(terms.ends_on),
        signed_by: Set(signed_by.to_owned()),
        recorded_at: Set(now),
        lot: Set(award.lot),
    }
    .insert(txn)
    .await
    .context("inserting the contract")
}

/// The sum awarded in the lots of `tenders` that hold an ICT item (what those awards
/// spend of an assent), capped at the largest amount.
pub async fn awarded_in(
    conn: &impl ConnectionTrait,
    tenders: &[TenderId],
) -> anyhow::Result<Money> {
    if tenders.is_empty() {
        return Ok(Money::ZERO);
    }
    let ids: Vec<Uuid> = tenders.iter().map(|t| t.uuid()).collect();
    let ict_lots: HashSet<(Uuid, i32)> = tender_item::Entity::find()
        .select_only()
        .column(tender_item::Column::TenderId)
        .column(tender_item::Column::Lot)
        .filter(tender_item::Column::TenderId.is_in(ids.clone()))
        .filter(tender_item::Column::IsIct.eq(true))
        .into_tuple()
        .all(conn)
        .await
        .context("finding the ICT lots under the assent")?
        .into_iter()
        .collect();
    let amounts: Vec<(Uuid, i32, i64)> = award::Entity::find()
        .filter(award::Column::AnnulledAt.is_null())
        .select_only()
        .column(award::Column::TenderId)
        .column(award::Column::Lot)
        .column(award::Column::AmountCentavos)
        .filter(award::Column::TenderId.is_in(ids))
        .into_tuple()
        .all(conn)
        .await
        .context("summing awards under the assent")?;
    let total = amounts
        .iter()
        .filter(|(tender, lot, _)| ict_lots.contains(&(*tender, *lot)))
        .try_fold(0i64, |sum, (_, _, a)| sum.checked_add(*a))
        .context("awards overflow")?;
    Ok(Money::from_centavos(total.min(MAX_CENTAVOS))?)
}

/// Filters of the savings totals.
#[derive(Debug, Clone, Default)]
pub struct SavingsFilter {
    pub agency: Option<AgencyCode>,
    pub procedure: Option<Procedure>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One group of the savings totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavingsRow {
    pub agency: String,
    pub procedure: String,
    pub awards: i64,
    pub reference: i64,
    pub awarded: i64,
    pub savings: i64,
    pub framework_savings: i64,
}

/// Savings summed by agency and procedure, in SQL.
/// The awards a savings filter selects.
fn savings_condition(filter: &SavingsFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(agency) = &filter.agency {
        condition = condition.add(award::Column::Agency.eq(agency.as_str()));
    }
    if let Some(procedure) = filter.procedure {
        condition = condition.add(award::Column::Procedure.eq(procedure.as_str()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(award::Column::AwardedAt.gte(from));
    }
    if let Some(until) = filter.until {
        condition = condition.add(award::Column::AwardedAt.lt(until));
    }
    condition
}

/// One award's figures, for totals by period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavingsEntry {
    pub agency: String,
    pub procedure: String,
    pub awarded_at: DateTime<Utc>,
    pub reference: i64,
    pub awarded: i64,
    pub savings: i64,
    pub framework_savings: i64,
}

/// Every award matching `filter`, with its figures (totals by period are made from them).
pub async fn savings_entries(
    conn: &impl ConnectionTrait,
    filter: &SavingsFilter,
) -> anyhow::Result<Vec<SavingsEntry>> {
    let condition = savings_condition(filter);
    Ok(award::Entity::find()
        .filter(award::Column::AnnulledAt.is_null())
        .filter(condition)
        .all(conn)
        .await
        .context("reading awards for savings")?
        .into_iter()
        .map(|a| SavingsEntry {
            agency: a.agency,
            procedure: a.procedure,
            awarded_at: a.awarded_at,
            reference: a.reference_centavos,
            awarded: a.amount_centavos,
            savings: a.savings_centavos,
            framework_savings: a.framework_savings_centavos.unwrap_or(0),
        })
        .collect())
}

pub async fn savings_totals(
    conn: &impl ConnectionTrait,
    filter: &SavingsFilter,
) -> anyhow::Result<Vec<SavingsRow>> {
    let condition = savings_condition(filter);
    let sum = |col: award::Column| -> Expr {
        Func::cast_as(Func::sum(Expr::col(col)), Alias::new("BIGINT")).into()
    };
    let count: Expr = Func::cast_as(
        Func::count(Expr::col(award::Column::Id)),
        Alias::new("BIGINT"),
    )
    .into();
    /// agency, procedure, awards, reference, awarded, savings, framework savings.
    type Totals = (String, String, i64, i64, i64, i64, Option<i64>);
    let rows: Vec<Totals> = award::Entity::find()
        .filter(award::Column::AnnulledAt.is_null())
        .select_only()
        .column(award::Column::Agency)
        .column(award::Column::Procedure)
        .column_as(count, "awards")
        .column_as(sum(award::Column::ReferenceCentavos), "reference")
        .column_as(sum(award::Column::AmountCentavos), "awarded")
        .column_as(sum(award::Column::SavingsCentavos), "savings")
        .column_as(
            sum(award::Column::FrameworkSavingsCentavos),
            "framework_savings",
        )
        .filter(condition)
        .group_by(award::Column::Agency)
        .group_by(award::Column::Procedure)
        .into_tuple()
        .all(conn)
        .await
        .context("summing savings")?;
    let mut out: Vec<SavingsRow> = rows
        .into_iter()
        .map(
            |(agency, procedure, awards, reference, awarded, savings, framework)| SavingsRow {
                agency,
                procedure,
                awards,
                reference,
                awarded,
                savings,
                framework_savings: framework.unwrap_or(0),
            },
        )
        .collect();
    out.sort_by(|a, b| (&a.agency, &a.procedure).cmp(&(&b.agency, &b.procedure)));
    Ok(out)
}

/// Filters of the public list of awards.
#[derive(Debug, Clone, Default)]
pub struct AwardFilter {
    pub agency: Option<AgencyCode>,
    pub rfc: Option<Rfc>,
    /// Awards of tenders with an item classified under this code (the code itself or any
    /// of its descendants).
    pub classifier: Option<ClassifierCode>,
    /// Awarded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Awarded before.
    pub until: Option<DateTime<Utc>>,
}

/// The position of an award in the list's order: a page continues after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwardKey {
    pub awarded_at: DateTime<Utc>,
    pub id: Uuid,
}

/// An award with what the public list shows beside it.
#[derive(Debug, Clone)]
pub struct ListedAward {
    pub award: award::Model,
    pub tender_title: String,
    /// Today's name of the agency.
    pub agency_name: String,
    /// Today's legal name of the supplier.
    pub legal_name: String,
    pub contract: Option<contract::Model>,
    /// A reverse auction of the lot ran (and closed) before the award.
    pub auction_held: bool,
    /// The title of the lot awarded, and how many lots its tender has.
    pub lot_title: String,
    pub lots_in_tender: usize,
}

/// One page of awards, newest first: by `awarded_at`, then by id (both descending), after
/// `after`. The order is total, so a reader following the pages sees every award that
/// existed when it started once, and never one twice.
#[tracing::instrument(skip_all)]
pub async fn public_list(
    conn: &impl ConnectionTrait,
    filter: &AwardFilter,
    after: Option<AwardKey>,
    limit: u64,
) -> anyhow::Result<Vec<ListedAward>> {
    let mut condition = Condition::all();
    if let Some(agency) = &filter.agency {
        condition = condition.add(award::Column::Agency.eq(agency.as_str()));
    }
    if let Some(rfc) = &filter.rfc {
        condition = condition.add(award::Column::Rfc.eq(rfc.as_str()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(award::Column::AwardedAt.gte(from));
    }
    if let Some(until) = filter.until {
        condition = condition.add(award::Column::AwardedAt.lt(until));
    }
    if let Some(code) = &filter.classifier {
        use sea_orm::sea_query::ExprTrait;
        condition = condition.add(
            Expr::tuple([
                Expr::col((award::Entity, award::Column::TenderId)),
                Expr::col((award::Entity, award::Column::Lot)),
            ])
            .binary(
                BinOper::In,
                super::items_classified_under(
                    code.as_str(),
                    &[tender_item::Column::TenderId, tender_item::Column::Lot],
                ),
            ),
        );
    }
    if let Some(key) = after {
        condition = condition.add(
            Condition::any()
                .add(award::Column::AwardedAt.lt(key.awarded_at))
                .add(
                    Condition::all()
                        .add(award::Column::AwardedAt.eq(key.awarded_at))
                        .add(award::Column::Id.lt(key.id)),
                ),
        );
    }
    let awards = award::Entity::find()
        .filter(condition)
        .filter(award::Column::AnnulledAt.is_null())
        .order_by_desc(award::Column::AwardedAt)
        .order_by_desc(award::Column::Id)
        .limit(limit)
        .all(conn)
        .await
        .context("listing awards")?;
    if awards.is_empty() {
        return Ok(Vec::new());
    }
    let tender_ids: Vec<Uuid> = awards.iter().map(|a| a.tender_id).collect();
    let titles: HashMap<Uuid, String> = tender::Entity::find()
        .select_only()
        .column(tender::Column::Id)
        .column(tender::Column::Title)
        .filter(tender::Column::Id.is_in(tender_ids.clone()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await
        .context("reading the awards' tenders")?
        .into_iter()
        .collect();
    let agencies: HashMap<String, String> = agency::Entity::find()
        .filter(agency::Column::Code.is_in(awards.iter().map(|a| a.agency.clone())))
        .all(conn)
        .await
        .context("reading the awards' agencies")?
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect();
    let names: HashMap<String, String> = supplier::Entity::find()
        .select_only()
        .column(supplier::Column::Rfc)
        .column(supplier::Column::LegalName)
        .filter(supplier::Column::Rfc.is_in(awards.iter().map(|a| a.rfc.clone())))
        .into_tuple::<(String, String)>()
        .all(conn)
        .await
        .context("reading the awards' suppliers")?
        .into_iter()
        .collect();
    let mut contracts: HashMap<Uuid, contract::Model> = contract::Entity::find()
        .filter(contract::Column::AwardId.is_in(awards.iter().map(|a| a.id)))
        .all(conn)
        .await
        .context("reading the awards' contracts")?
        .into_iter()
        .map(|c| (c.award_id, c))
        .collect();
    let auctioned: HashSet<(Uuid, i32)> = auction::Entity::find()
        .select_only()
        .column(auction::Column::TenderId)
        .column(auction::Column::Lot)
        .filter(auction::Column::TenderId.is_in(tender_ids.clone()))
        .filter(auction::Column::Status.eq(AuctionStatus::Closed))
        .into_tuple::<(Uuid, i32)>()
        .all(conn)
        .await
        .context("reading the awards' auctions")?
        .into_iter()
        .collect();
    let lots: Vec<(Uuid, i32, String)> = tender_lot::Entity::find()
        .select_only()
        .column(tender_lot::Column::TenderId)
        .column(tender_lot::Column::Number)
        .column(tender_lot::Column::Title)
        .filter(tender_lot::Column::TenderId.is_in(tender_ids))
        .into_tuple()
        .all(conn)
        .await
        .context("reading the awards' lots")?;
    Ok(awards
        .into_iter()
        .map(|a| ListedAward {
            tender_title: titles.get(&a.tender_id).cloned().unwrap_or_default(),
            agency_name: agencies.get(&a.agency).cloned().unwrap_or_default(),
            legal_name: names.get(&a.rfc).cloned().unwrap_or_default(),
            contract: contracts.remove(&a.id),
            auction_held: auctioned.contains(&(a.tender_id, a.lot)),
            lot_title: lots
                .iter()
                .find(|(t, n, _)| *t == a.tender_id && *n == a.lot)
                .map(|(_, _, title)| title.clone())
                .unwrap_or_default(),
            lots_in_tender: lots.iter().filter(|(t, ..)| *t == a.tender_id).count(),
            award: a,
        })
        .collect())
}
