//! The award (fallo), the contract, and the savings published from them.

use crate::domain::code::Code;
use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, BinOper, CommonTableExpression, Expr, Func, Query, SubQueryStatement, UnionType,
    WithClause,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::ocds::Event;

use super::entities::{
    agency, auction, award, bid, classifier_item, contract, supplier, tender, tender_item,
};
use super::tenders::{self, TenderError, TenderRecord};
use crate::domain::audit::Actor;
use crate::domain::award::{Bar, Candidate, ranking, savings, scale};
use crate::domain::money::Money;
use crate::domain::supplier::Ineligible;
use crate::domain::tender::Status;

/// Awards a tender after its evaluation: the service picks the winner (lowest final price
/// among qualified bids; an earlier price wins a tie) and checks every rule in one
/// transaction. A barred winner (sanctioned since, say) refuses the award with the bar's
/// code, unless the officer gives `pass_over_reason`: then barred bids are passed over,
/// in rank order, and the reason is recorded.
#[allow(clippy::too_many_arguments)]
pub async fn award(
    db: &DatabaseConnection,
    sealer: &crate::seal::Sealer,
    id: Uuid,
    agency: &str,
    pass_over_reason: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
    today: NaiveDate,
) -> Result<(TenderRecord, award::Model), TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = tenders::lock_for_update(&txn, id, Some(agency)).await?;
    let auction = match record.status() {
        Status::Evaluated => None,
        Status::Auction => match super::auctions::of_tender(&txn, id).await? {
            Some(auction) if auction.is_closed() => Some(auction),
            _ => {
                return Err(TenderError::Conflict(
                    Code::AuctionNotClosed,
                    format!("tender {id} is in its auction; it is awarded once the auction closes"),
                ));
            }
        },
        _ => {
            return Err(TenderError::Conflict(
                Code::NotAwardable,
                format!(
                    "tender {id} is {}; a tender is awarded after its evaluation (and auction)",
                    record.tender.status
                ),
            ));
        }
    };
    let qualified: Vec<bid::Model> = tenders::bids(&txn, id)
        .await?
        .into_iter()
        .filter(|b| b.status == "live" && b.qualified == Some(true))
        .collect();
    // After an auction, each bid competes at its final auction price, given when its last
    // auction bid was placed.
    let final_price = |b: &bid::Model| -> Option<(Money, DateTime<Utc>)> {
        let sealed = (Money::from_centavos(b.total_centavos?).ok()?, b.received_at);
        let Some(auction) = &auction else {
            return Some(sealed);
        };
        let Some(participant) = auction.participants.iter().find(|p| p.bid_id == b.id) else {
            return Some(sealed);
        };
        let price = Money::from_centavos(participant.final_centavos?).ok()?;
        let at = auction
            .bids
            .iter()
            .rev()
            .find(|ab| ab.rfc == participant.rfc)
            .map_or(sealed.1, |ab| ab.placed_at);
        Some((price, at))
    };
    let candidates = ranking(
        qualified
            .iter()
            .filter_map(|b| {
                let (total, priced_at) = final_price(b)?;
                Some(Candidate {
                    bid_id: b.id,
                    rfc: b.rfc.clone()?,
                    total,
                    priced_at,
                })
            })
            .collect(),
    );
    let reference = Money::from_centavos(record.tender.reference_centavos).unwrap_or_default();
    let framework = match (record.procedure(), record.tender.framework_contract_id) {
        (crate::domain::tender::Procedure::FrameworkOrder, Some(fid)) => {
            super::frameworks::get(&txn, fid)
                .await?
                .map(|f| f.for_rules())
        }
        _ => None,
    };
    if let Some(framework) = &framework
        && !framework.active_on(today)
    {
        let mut errors = crate::domain::validation::ValidationErrors::new();
        errors.push(
            "framework_contract_id",
            Code::FrameworkContractInactive,
            format!("the order's framework contract is not in force on {today}"),
        );
        return Err(TenderError::Invalid(errors));
    }
    let mut passed_over = Vec::new();
    let mut winner = None;
    for candidate in candidates {
        let barred = match bar(&txn, &candidate.rfc, today).await? {
            None if framework
                .as_ref()
                .is_some_and(|f| !f.adhered(&candidate.rfc)) =>
            {
                Some(Bar::NotAdhered)
            }
            other => other,
        };
        match barred {
            None => {
                winner = Some(candidate);
                break;
            }
            Some(bar) if pass_over_reason.is_some() => {
                passed_over.push(json!({"bid_id": candidate.bid_id.to_string(), "rfc": candidate.rfc, "bar": bar.code()}));
            }
            Some(bar) => {
                return Err(TenderError::Conflict(
                    bar.code(),
                    format!(
                        "the first-ranked bid {} ({}) can't be awarded today ({}); to award the next \
                         qualified bid, send pass_over_reason",
                        candidate.bid_id,
                        candidate.rfc,
                        bar.code()
                    ),
                ));
            }
        }
    }
    let winner = winner.ok_or_else(|| {
        TenderError::Conflict(
            Code::NoEligibleBid,
            format!("tender {id} has no qualified bid that can be awarded"),
        )
    })?;
    if let Some((code, message)) =
        super::ict::check_tender(&txn, &record, today, Some(winner.total)).await?
    {
        let mut errors = crate::domain::validation::ValidationErrors::new();
        errors.push("ict_assent_id", code, message);
        return Err(TenderError::Invalid(errors));
    }
    // The unit prices awarded, item by item: the winner's sealed prices, scaled to its
    // final total after an auction.
    let won = qualified
        .iter()
        .find(|b| b.id == winner.bid_id)
        .context("the winning bid vanished")?;
    let content = super::tenders::unseal(sealer, won)?;
    let items = record.domain_items();
    let mut acquired = vec![Money::ZERO; items.len()];
    let sealed_total = won
        .total_centavos
        .and_then(|c| Money::from_centavos(c).ok())
        .unwrap_or(winner.total);
    for line in &content.content.prices {
        if let Some(slot) = usize::try_from(line.position)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .and_then(|p| acquired.get_mut(p))
        {
            // After an auction the unit prices fall in proportion to the total.
            *slot = scale(line.unit_price, sealed_total, winner.total);
        }
    }
    let awarded_items = serde_json::Value::Array(
        acquired
            .iter()
            .enumerate()
            .map(|(i, price)| json!({"position": i + 1, "unit_price_centavos": price.centavos()}))
            .collect(),
    )
    .to_string();
    let framework_savings = match &framework {
        None => None,
        Some(framework) => {
            let chains = super::frameworks::item_ancestors(&txn, &record).await?;
            let mut errors = crate::domain::validation::ValidationErrors::new();
            for (i, (item, price)) in items.iter().zip(&acquired).enumerate() {
                let chain = chains.get(i).map(Vec::as_slice).unwrap_or(&[]);
                if framework
                    .price_of(&item.classifier_code, chain)
                    .is_some_and(|fixed| *price > fixed)
                {
                    errors.push(
                        &format!("items[{i}]"),
                        Code::FrameworkPriceExceeded,
                        format!("the awarded unit price {price} is above the framework price"),
                    );
                }
            }
            errors.finish().map_err(TenderError::Invalid)?;
            let savings =
                crate::domain::framework::framework_savings(framework, &items, &chains, &acquired)
                    .ok_or_else(|| {
                        let mut errors = crate::domain::validation::ValidationErrors::new();
                        errors.push(
                            "items",
                            Code::InvalidMoney,
                            "the framework savings do not fit in an amount",
                        );
                        TenderError::Invalid(errors)
                    })?;
            Some(savings)
        }
    };
    if winner.total > reference {
        return Err(TenderError::Conflict(
            Code::AboveReferenceValue,
            format!(
                "the award {} exceeds the reference value {}",
                winner.total, reference
            ),
        ));
    }
    let model = award::ActiveModel {
        id: Set(Uuid::now_v7()),
        tender_id: Set(id),
        bid_id: Set(winner.bid_id),
        rfc: Set(winner.rfc.clone()),
        agency: Set(record.tender.agency.clone()),
        procedure: Set(record.tender.procedure.clone()),
        amount_centavos: Set(winner.total.centavos()),
        reference_centavos: Set(reference.centavos()),
        savings_centavos: Set(savings(reference, winner.total)),
        framework_savings_centavos: Set(framework_savings),
        pass_over_reason: Set(pass_over_reason
            .filter(|_| !passed_over.is_empty())
            .map(str::to_owned)),
        passed_over: Set(serde_json::Value::Array(passed_over.clone()).to_string()),
        awarded_by: Set(actor.sub.clone()),
        awarded_at: Set(now),
        items: Set(Some(awarded_items)),
    }
    .insert(&txn)
    .await
    .context("inserting the award")?;
    let updated = tenders::set_status_of(&txn, &record, Status::Awarded, now).await?;
    tenders::record_event(
        &txn,
        now,
        actor,
        "tender.awarded",
        id,
        tenders::change_data(
            &record,
            Status::Awarded,
            now,
            json!({
                "bid_id": winner.bid_id.to_string(),
                "rfc": winner.rfc,
                "amount": winner.total.to_string(),
                "savings": Money::from_centavos(model.savings_centavos.max(0)).unwrap_or_default().to_string(),
                "passed_over": passed_over,
                "pass_over_reason": model.pass_over_reason,
            }),
        ),
    )
    .await?;
    super::releases::publish(&txn, feed, id, Event::Awarded, now).await?;
    txn.commit().await.context("committing the award")?;
    let record = TenderRecord {
        tender: updated,
        award: Some(model.clone()),
        ..record
    };
    Ok((record, model))
}

/// Whether `rfc` may be awarded on `today`.
async fn bar(
    conn: &impl ConnectionTrait,
    rfc: &str,
    today: NaiveDate,
) -> anyhow::Result<Option<Bar>> {
    Ok(match tenders::eligibility(conn, rfc, today).await? {
        Some(Ineligible::NotRegistered) => Some(Bar::NotRegistered),
        Some(Ineligible::Sanctioned) => Some(Bar::Sanctioned),
        None => None,
    })
}

/// The terms of a signed contract.
#[derive(Debug, Clone)]
pub struct ContractTerms {
    pub amount: Money,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Records the signed contract: its amount equals the award; the tender becomes
/// `contracted`.
#[allow(clippy::too_many_arguments)]
pub async fn sign(
    db: &DatabaseConnection,
    id: Uuid,
    agency: &str,
    terms: &ContractTerms,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
    today: NaiveDate,
    legal_offset: chrono::FixedOffset,
) -> Result<(TenderRecord, contract::Model), TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = tenders::lock_for_update(&txn, id, Some(agency)).await?;
    let award = match (record.status(), &record.award) {
        (Status::Awarded, Some(award)) => award.clone(),
        _ => {
            return Err(TenderError::Conflict(
                Code::NotContractable,
                format!(
                    "tender {id} is {}; a contract follows the award",
                    record.tender.status
                ),
            ));
        }
    };
    let mut errors = crate::domain::validation::ValidationErrors::new();
    if terms.amount.centavos() != award.amount_centavos {
        errors.push(
            "amount",
            Code::ContractAmountMismatch,
            format!(
                "the contract's amount is the award's: {}",
                Money::from_centavos(award.amount_centavos).unwrap_or_default()
            ),
        );
    }
    for (field, date) in [
        ("signed_on", terms.signed_on),
        ("starts_on", terms.starts_on),
        ("ends_on", terms.ends_on),
    ] {
        crate::domain::validation::check_year(&mut errors, field, date);
    }
    if terms.signed_on < award.awarded_at.with_timezone(&legal_offset).date_naive() {
        errors.push(
            "signed_on",
            Code::SignedBeforeAward,
            "a contract is signed on or after its award",
        );
    }
    if terms.signed_on > today {
        errors.push(
            "signed_on",
            Code::SignedInFuture,
            "a contract is recorded once signed",
        );
    }
    if terms.ends_on < terms.starts_on {
        errors.push(
            "ends_on",
            Code::InvalidContractPeriod,
            "a contract ends on or after it starts",
        );
    }
    errors.finish().map_err(TenderError::Invalid)?;
    let model = contract::ActiveModel {
        id: Set(Uuid::now_v7()),
        tender_id: Set(id),
        award_id: Set(award.id),
        amount_centavos: Set(terms.amount.centavos()),
        signed_on: Set(terms.signed_on),
        starts_on: Set(terms.starts_on),
        ends_on: Set(terms.ends_on),
        signed_by: Set(actor.sub.clone()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await
    .context("inserting the contract")?;
    let updated = tenders::set_status_of(&txn, &record, Status::Contracted, now).await?;
    tenders::record_event(
        &txn,
        now,
        actor,
        "tender.contracted",
        id,
        tenders::change_data(
            &record,
            Status::Contracted,
            now,
            json!({
                "contract_id": model.id.to_string(),
                "amount": terms.amount.to_string(),
                "signed_on": terms.signed_on.to_string(),
                "starts_on": terms.starts_on.to_string(),
                "ends_on": terms.ends_on.to_string(),
            }),
        ),
    )
    .await?;
    super::releases::publish(&txn, feed, id, Event::Contracted, now).await?;
    txn.commit().await.context("committing the contract")?;
    let record = TenderRecord {
        tender: updated,
        contract: Some(model.clone()),
        ..record
    };
    Ok((record, model))
}

/// Filters of the savings totals.
#[derive(Debug, Clone, Default)]
pub struct SavingsFilter {
    pub agency: Option<String>,
    pub procedure: Option<String>,
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
        condition = condition.add(award::Column::Agency.eq(agency.clone()));
    }
    if let Some(procedure) = &filter.procedure {
        condition = condition.add(award::Column::Procedure.eq(procedure.clone()));
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
    pub agency: Option<String>,
    pub rfc: Option<String>,
    /// Awards of tenders with an item classified under this code (the code itself or any
    /// of its descendants).
    pub classifier: Option<String>,
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
    /// A reverse auction ran (and closed) before the award.
    pub auction_held: bool,
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
        condition = condition.add(award::Column::Agency.eq(agency.clone()));
    }
    if let Some(rfc) = &filter.rfc {
        condition = condition.add(award::Column::Rfc.eq(rfc.clone()));
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
            Expr::col((award::Entity, award::Column::TenderId))
                .binary(BinOper::In, tenders_classified_under(code)),
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
    let auctioned: HashSet<Uuid> = auction::Entity::find()
        .select_only()
        .column(auction::Column::TenderId)
        .filter(auction::Column::TenderId.is_in(tender_ids))
        .filter(auction::Column::Status.eq("closed"))
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .context("reading the awards' auctions")?
        .into_iter()
        .collect();
    Ok(awards
        .into_iter()
        .map(|a| ListedAward {
            tender_title: titles.get(&a.tender_id).cloned().unwrap_or_default(),
            agency_name: agencies.get(&a.agency).cloned().unwrap_or_default(),
            legal_name: names.get(&a.rfc).cloned().unwrap_or_default(),
            contract: contracts.remove(&a.id),
            auction_held: auctioned.contains(&a.tender_id),
            award: a,
        })
        .collect())
}

/// `SELECT tender_id FROM tender_items WHERE classifier_code IN (code and its
/// descendants)`, the descendants found by a recursive query over the classifier's
/// parents (UNION, so that even a cycle would end).
fn tenders_classified_under(code: &str) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    let under = Alias::new("under");
    let code_col = Alias::new("code");
    let mut base = Query::select()
        .column(classifier_item::Column::Code)
        .from(classifier_item::Entity)
        .and_where(Expr::col(classifier_item::Column::Code).eq(code))
        .to_owned();
    let step = Query::select()
        .column((classifier_item::Entity, classifier_item::Column::Code))
        .from(classifier_item::Entity)
        .inner_join(
            under.clone(),
            Expr::col((classifier_item::Entity, classifier_item::Column::Parent))
                .equals((under.clone(), code_col.clone())),
        )
        .to_owned();
    let cte = CommonTableExpression::new()
        .query(base.union(UnionType::Distinct, step).to_owned())
        .column(code_col.clone())
        .table_name(under.clone())
        .to_owned();
    let items = Query::select()
        .column(tender_item::Column::TenderId)
        .from(tender_item::Entity)
        .and_where(
            Expr::col(tender_item::Column::ClassifierCode).in_subquery(
                Query::select()
                    .column((under.clone(), code_col))
                    .from(under)
                    .to_owned(),
            ),
        )
        .to_owned();
    let query = items.with(WithClause::new().recursive(true).cte(cte).to_owned());
    Expr::SubQuery(None, Box::new(SubQueryStatement::WithStatement(query)))
}
