//! The OCDS feed in SQL: each published change of a tender writes its release in the same
//! transaction as the change, at the next feed position.
//!
//! Never skipping a release: a position is taken under the audit chain's head lock, which
//! every audited transaction holds from its audit event to its commit. So positions are
//! handed out in commit order, and when a reader sees position n, every position before it
//! has committed. A reader that resumes after the last position it saw never misses one
//! and never sees one twice.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{agency, bid, classifier_item, ocds_release, supplier, tender_question};
use crate::domain::money::Money;
use crate::domain::tender::{Procedure, Scope, Status};
use crate::ocds::{
    self, AuctionFacts, AwardFacts, BidFacts, ContractFacts, Event, ItemFacts, TenderFacts,
};

/// An award's stored items: (position, unit price).
fn awarded_items(raw: Option<&str>) -> Vec<(i32, Money)> {
    let Some(lines) = raw.and_then(|r| serde_json::from_str::<Vec<serde_json::Value>>(r).ok())
    else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|l| {
            let position = i32::try_from(l["position"].as_i64()?).ok()?;
            let price = Money::from_centavos(l["unit_price_centavos"].as_i64()?).ok()?;
            Some((position, price))
        })
        .collect()
}

/// A supplier's registered size as OCDS's partyScale codelist names it.
fn party_scale(size: &str) -> Option<&'static str> {
    match size {
        "micro" => Some("micro"),
        "small" => Some("small"),
        "medium" => Some("medium"),
        "large" => Some("large"),
        _ => None,
    }
}

/// Gathers what is public about a tender now.
pub async fn facts(
    conn: &impl ConnectionTrait,
    feed: &crate::ocds::Feed,
    tender_id: Uuid,
) -> anyhow::Result<TenderFacts> {
    let record = super::tenders::get(conn, tender_id)
        .await?
        .context("publishing a tender that does not exist")?;
    let t = &record.tender;
    let buyer = agency::Entity::find_by_id(t.agency.clone())
        .one(conn)
        .await
        .context("reading the agency")?;
    let agency_rfc = buyer.as_ref().and_then(|a| a.rfc.clone());
    let agency_name = buyer.map_or_else(|| t.agency.clone(), |a| a.name);
    let codes: Vec<String> = record
        .items
        .iter()
        .map(|i| i.classifier_code.clone())
        .collect();
    let descriptions: HashMap<String, String> = classifier_item::Entity::find()
        .filter(classifier_item::Column::Code.is_in(codes))
        .all(conn)
        .await
        .context("reading classifier descriptions")?
        .into_iter()
        .map(|c| (c.code, c.description))
        .collect();
    let enquiries = tender_question::Entity::find()
        .filter(tender_question::Column::TenderId.eq(tender_id))
        .filter(tender_question::Column::AnsweredAt.is_not_null())
        .order_by_asc(tender_question::Column::AskedAt)
        .all(conn)
        .await
        .context("reading answered questions")?
        .into_iter()
        .filter_map(|q| {
            Some(crate::ocds::EnquiryFacts {
                id: q.id.to_string(),
                question: q.question,
                asked_at: q.asked_at,
                answer: q.answer?,
                answered_at: q.answered_at?,
            })
        })
        .collect();
    // An invitation's invited suppliers are public from its publication.
    let invited: Vec<(String, String)> =
        if t.procedure == crate::domain::tender::Procedure::Invitation.as_str() {
            let names: HashMap<String, String> = supplier::Entity::find()
                .filter(supplier::Column::Rfc.is_in(record.invited.clone()))
                .all(conn)
                .await
                .context("reading the invited suppliers")?
                .into_iter()
                .map(|s| (s.rfc, s.legal_name))
                .collect();
            record
                .invited
                .iter()
                .map(|rfc| {
                    (
                        rfc.clone(),
                        names.get(rfc).cloned().unwrap_or_else(|| rfc.clone()),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
    let framework = match t.framework_contract_id {
        Some(id) => super::entities::framework_contract::Entity::find_by_id(id)
            .one(conn)
            .await
            .context("reading the framework contract")?
            .map(|f| (f.id.to_string(), f.title)),
        None => None,
    };
    let ict_assent = match t.ict_assent_id {
        Some(id) => super::entities::ict_assent::Entity::find_by_id(id)
            .one(conn)
            .await
            .context("reading the ICT assent")?
            .map(|a| crate::ocds::AssentFacts {
                id: a.id.to_string(),
                title: a.title,
                approved: a
                    .approved_centavos
                    .and_then(|c| Money::from_centavos(c).ok()),
                decided_at: a.decided_at,
                expires_on: a.expires_on,
            }),
        None => None,
    };
    let auction = match record.auction_id {
        Some(id) => super::auctions::get(conn, id).await?,
        None => None,
    };
    let mut names: HashMap<String, String> = HashMap::new();
    let mut scales: HashMap<String, &'static str> = HashMap::new();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut bids = Vec::new();
    // Who bid and at what price are published with the award, and when the process ends
    // otherwise after its opening, deserted or cancelled (the disqualified bids with the
    // reasons): whatever the outcome, once the bids were opened and the process is over.
    let ended_after_opening = matches!(
        record.status(),
        crate::domain::tender::Status::Deserted | crate::domain::tender::Status::Cancelled
    ) && t.opened_at.is_some();
    if record.award.is_some() || ended_after_opening {
        let rows: Vec<(String, bid::Model)> = super::tenders::bids(conn, tender_id)
            .await?
            .into_iter()
            .filter(|b| b.status == "live" && b.total_centavos.is_some())
            .filter_map(|b| Some((b.rfc.clone()?, b)))
            .collect();
        let rfcs: Vec<String> = rows.iter().map(|(rfc, _)| rfc.clone()).collect();
        names = supplier::Entity::find()
            .filter(supplier::Column::Rfc.is_in(rfcs))
            .all(conn)
            .await
            .context("reading supplier names")?
            .into_iter()
            .map(|s| {
                if let Some(scale) = party_scale(&s.size) {
                    scales.insert(s.rfc.clone(), scale);
                }
                emails.insert(s.rfc.clone(), s.email.clone());
                (s.rfc, s.legal_name)
            })
            .collect();
        for (rfc, b) in rows {
            let scale = scales.get(&rfc).copied();
            let email = emails.get(&rfc).cloned();
            let final_price = auction
                .as_ref()
                .and_then(|a| a.participants.iter().find(|p| p.bid_id == b.id))
                .and_then(|p| p.final_centavos);
            let value = final_price.or(b.total_centavos).unwrap_or_default();
            bids.push(BidFacts {
                id: b.id.to_string(),
                name: names.get(&rfc).cloned().unwrap_or_else(|| rfc.clone()),
                rfc,
                received_at: b.received_at,
                value: Money::from_centavos(value).unwrap_or_default(),
                qualified: b.qualified == Some(true),
                reason: b.evaluation_reason.clone(),
                scale,
                email,
            });
        }
    }
    Ok(TenderFacts {
        ocid: ocds::ocid(&feed.prefix, tender_id),
        legal_offset: feed.legal_offset,
        agency_rfc,
        tender_id: tender_id.to_string(),
        agency_code: t.agency.clone(),
        agency_name,
        title: t.title.clone(),
        description: t.description.clone(),
        procedure: Procedure::parse(&t.procedure).unwrap_or(Procedure::Open),
        scope: Scope::parse(&t.scope).unwrap_or_default(),
        status: Status::parse(&t.status).unwrap_or(Status::Draft),
        items: record
            .items
            .iter()
            .map(|i| ItemFacts {
                position: i.position,
                description: descriptions
                    .get(&i.classifier_code)
                    .cloned()
                    .unwrap_or_else(|| i.classifier_code.clone()),
                code: i.classifier_code.clone(),
                quantity: i.quantity,
                unit: i.unit.clone(),
                max_unit_price: Money::from_centavos(i.max_unit_centavos).unwrap_or_default(),
            })
            .collect(),
        reference_value: Money::from_centavos(t.reference_centavos).unwrap_or_default(),
        published_at: t.published_at,
        clarifications_until: t.clarifications_until,
        submission_deadline: t.submission_deadline,
        enquiries,
        legal_justification: t.legal_justification.clone(),
        framework_contract_id: t.framework_contract_id.map(|f| f.to_string()),
        framework,
        ict_assent,
        invited,
        auction: auction.as_ref().map(|a| AuctionFacts {
            starts_at: a.auction.starts_at,
            ends_at: a.auction.ends_at,
            format: match a.settings.format {
                crate::domain::auction_settings::FormatName::Continuous => "continua".into(),
                crate::domain::auction_settings::FormatName::Rounds => "por rondas".into(),
            },
        }),
        cancel_reason: t.cancel_reason.clone(),
        award: record.award.as_ref().map(|a| AwardFacts {
            id: a.id.to_string(),
            bid_id: a.bid_id.to_string(),
            name: names.get(&a.rfc).cloned().unwrap_or_else(|| a.rfc.clone()),
            rfc: a.rfc.clone(),
            amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
            date: a.awarded_at,
            items: awarded_items(a.items.as_deref()),
        }),
        contract: record.contract.as_ref().map(|c| ContractFacts {
            id: c.id.to_string(),
            award_id: c.award_id.to_string(),
            amount: Money::from_centavos(c.amount_centavos).unwrap_or_default(),
            signed_on: c.signed_on,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        }),
        bids,
    })
}

/// Writes the release of `event` for the tender, inside the caller's transaction (after
/// its audit event, so the audit head is locked already; it is locked again to be sure).
pub async fn publish(
    conn: &impl ConnectionTrait,
    feed: &crate::ocds::Feed,
    tender_id: Uuid,
    event: Event,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    super::audit::lock_head(conn).await?;
    // Each release of a process is dated strictly after the one before (a cancellation in
    // the same microsecond as the tender still comes after it).
    let ocid = crate::ocds::ocid(&feed.prefix, tender_id);
    let previous: Option<DateTime<Utc>> = ocds_release::Entity::find()
        .select_only()
        .column_as(ocds_release::Column::Date.max(), "max")
        .filter(ocds_release::Column::Ocid.eq(ocid.as_str()))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(conn)
        .await
        .context("reading the process's last release")?
        .flatten();
    let now = match previous {
        Some(p) if p >= now => p + chrono::Duration::microseconds(1),
        _ => now,
    };
    let last: Option<i64> = ocds_release::Entity::find()
        .select_only()
        .column_as(ocds_release::Column::Seq.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await
        .context("reading the feed's last position")?
        .flatten();
    let seq = last.unwrap_or(0) + 1;
    let facts = facts(conn, feed, tender_id).await?;
    let release = ocds::release(&facts, event, seq, now);
    ocds_release::ActiveModel {
        seq: Set(seq),
        release_id: Set(release["id"].as_str().unwrap_or_default().to_owned()),
        ocid: Set(facts.ocid),
        tender_id: Set(tender_id),
        tag: Set(event.tag().to_owned()),
        date: Set(now),
        body: Set(release.to_string()),
    }
    .insert(conn)
    .await
    .context("writing a release")?;
    Ok(())
}

/// Releases after feed position `after`, oldest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<ocds_release::Model>> {
    ocds_release::Entity::find()
        .filter(ocds_release::Column::Seq.gt(after))
        .order_by_asc(ocds_release::Column::Seq)
        .limit(limit)
        .all(conn)
        .await
        .context("reading the release feed")
}

/// Every release of one contracting process, oldest first.
pub async fn of_ocid(
    conn: &impl ConnectionTrait,
    ocid: &str,
) -> anyhow::Result<Vec<ocds_release::Model>> {
    ocds_release::Entity::find()
        .filter(ocds_release::Column::Ocid.eq(ocid))
        .order_by_asc(ocds_release::Column::Seq)
        .all(conn)
        .await
        .context("reading a record's releases")
}
