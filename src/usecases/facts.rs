//! What is public about a tender now, gathered from the repositories for the OCDS
//! release that a change publishes.

use std::collections::HashMap;

use anyhow::Context;
use sea_orm::ConnectionTrait;

use crate::domain::agency::AgencyCode;
use crate::domain::ids::TenderId;
use crate::domain::money::Money;
use crate::domain::supplier::CompanySize;
use crate::domain::tender::{Procedure, Status};
use crate::ocds::{
    self, AuctionFacts, AwardFacts, BidFacts, ContractFacts, DocumentFacts, ItemFacts, LotFacts,
    TenderFacts,
};
use crate::persistence::entities::bid;
use crate::persistence::{
    agencies, auctions, bids, classifier, frameworks, ict, suppliers, tenders,
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

/// A supplier's registered size, as OCDS's partyScale codelist names it (the same words).
fn party_scale(size: &str) -> Option<&'static str> {
    CompanySize::parse(size).map(CompanySize::as_str)
}

/// Gathers what is public about a tender now.
pub async fn tender_facts(
    conn: &impl ConnectionTrait,
    feed: &crate::ocds::Feed,
    tender_id: TenderId,
) -> anyhow::Result<TenderFacts> {
    let record = tenders::get(conn, tender_id)
        .await?
        .context("publishing a tender that does not exist")?;
    let t = &record.tender;
    let buyer = match AgencyCode::parse(&t.agency) {
        Ok(code) => agencies::get(conn, &code).await?,
        Err(_) => None,
    };
    let agency_rfc = buyer.as_ref().and_then(|a| a.rfc.clone());
    let agency_name = buyer.map_or_else(|| t.agency.clone(), |a| a.name);
    let codes: Vec<String> = record
        .items
        .iter()
        .map(|i| i.classifier_code.clone())
        .collect();
    let descriptions = classifier::descriptions(conn, &codes).await?;
    let enquiries = tenders::answered_questions(conn, tender_id)
        .await?
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
    let invited: Vec<(String, String)> = if record.procedure() == Procedure::Invitation {
        let names: HashMap<String, String> = suppliers::models(conn, &record.invited)
            .await?
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
    let framework = match record.framework_id() {
        Some(id) => frameworks::get(conn, id)
            .await?
            .map(|f| (f.contract.id.to_string(), f.contract.title)),
        None => None,
    };
    let ict_assent = match record.assent_id() {
        Some(id) => ict::get(conn, id)
            .await?
            .map(|r| r.assent)
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
    let mut lot_auctions = Vec::with_capacity(record.auctions.len());
    for (_, id) in &record.auctions {
        if let Some(auction) = auctions::get(conn, *id).await? {
            lot_auctions.push(auction);
        }
    }
    let mut names: HashMap<String, String> = HashMap::new();
    let mut scales: HashMap<String, &'static str> = HashMap::new();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut bids = Vec::new();
    // Who bid and at what price are published with the award, and when the process ends
    // otherwise after its opening, deserted or cancelled (the disqualified bids with the
    // reasons): whatever the outcome, once the bids were opened and the process is over.
    let ended_after_opening =
        matches!(record.status(), Status::Deserted | Status::Cancelled) && t.opened_at.is_some();
    if !record.awards.is_empty() || ended_after_opening {
        let offers = bids::lots_of_tender(conn, tender_id).await?;
        let rows: Vec<(String, bid::Model)> = bids::live(conn, tender_id)
            .await?
            .into_iter()
            .filter(|b| b.total_centavos.is_some())
            .filter_map(|b| Some((b.rfc.clone()?, b)))
            .collect();
        let rfcs: Vec<String> = rows.iter().map(|(rfc, _)| rfc.clone()).collect();
        names = suppliers::models(conn, &rfcs)
            .await?
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
            // Its final price in each lot it offers: after the lot's auction, or sealed.
            let offered: Vec<_> = offers.iter().filter(|o| o.bid_id == b.id).collect();
            let value: i64 = if offered.is_empty() {
                b.total_centavos.unwrap_or_default()
            } else {
                offered
                    .iter()
                    .map(|o| {
                        lot_auctions
                            .iter()
                            .filter(|a| a.auction.lot == o.lot)
                            .find_map(|a| a.participants.iter().find(|p| p.bid_id == b.id))
                            .and_then(|p| p.final_centavos)
                            .unwrap_or(o.total_centavos)
                    })
                    .fold(0i64, i64::saturating_add)
            };
            bids.push(BidFacts {
                lots: offered.iter().map(|o| o.lot).collect(),
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
        procedure: record.procedure(),
        scope: record.scope(),
        status: record.status(),
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
                lot: i.lot,
            })
            .collect(),
        lots: record
            .lots
            .iter()
            .map(|l| LotFacts {
                number: l.number,
                title: l.title.clone(),
                description: l.description.clone(),
                reference_value: Money::from_centavos(l.reference_centavos).unwrap_or_default(),
                status: l.status.into(),
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
        auctions: lot_auctions
            .iter()
            .map(|a| AuctionFacts {
                lot: a.auction.lot,
                starts_at: a.auction.starts_at,
                ends_at: a.auction.ends_at,
                format: match a.settings.format {
                    crate::domain::auction_settings::FormatName::Continuous => "continua".into(),
                    crate::domain::auction_settings::FormatName::Rounds => "por rondas".into(),
                },
            })
            .collect(),
        cancel_reason: t.cancel_reason.clone(),
        awards: record
            .awards
            .iter()
            .map(|a| AwardFacts {
                id: a.id.to_string(),
                lot: a.lot,
                bid_id: a.bid_id.to_string(),
                name: names.get(&a.rfc).cloned().unwrap_or_else(|| a.rfc.clone()),
                rfc: a.rfc.clone(),
                amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
                date: a.awarded_at,
                items: awarded_items(a.items.as_deref()),
            })
            .collect(),
        contracts: record
            .contracts
            .iter()
            .map(|c| ContractFacts {
                id: c.id.to_string(),
                award_id: c.award_id.to_string(),
                amount: Money::from_centavos(c.amount_centavos).unwrap_or_default(),
                signed_on: c.signed_on,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
            })
            .collect(),
        bids,
        // Public from the publication on, never before.
        // The record's own documents, read with it.
        documents: record
            .documents
            .iter()
            .filter(|_| t.published_at.is_some())
            .map(|d| DocumentFacts {
                id: d.id.to_string(),
                kind: d.kind.into(),
                url: format!("{}/public/v1/documents/{}/content", feed.public_url, d.id),
                title: d.title.clone(),
                media_type: d.media_type.clone(),
                // Published when uploaded, or with the tender when uploaded to its draft.
                uploaded_at: t
                    .published_at
                    .map_or(d.uploaded_at, |p| p.max(d.uploaded_at)),
                supersedes: d.supersedes.map(|s| s.to_string()),
            })
            .collect(),
    })
}
