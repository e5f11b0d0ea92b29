//! What is public about a tender now, gathered from the repositories for the OCDS
//! release that a change publishes.

use std::collections::HashMap;

use anyhow::Context;
use sea_orm::ConnectionTrait;

use crate::domain::agency::AgencyCode;
use crate::domain::complaint::ComplaintStatus;
use crate::domain::ids::TenderId;
use crate::domain::lot::LotStatus;
use crate::domain::money::Money;
use crate::domain::supplier::CompanySize;
use crate::domain::tender::Procedure;
use crate::ocds::{
    self, AuctionFacts, AwardFacts, BidFacts, ComplaintFacts, ContractFacts, DocumentFacts,
    ItemFacts, LotFacts, TenderFacts,
};
use crate::persistence::entities::bid;
use crate::persistence::{
    agencies, auctions, awards, bids, classifier, frameworks, ict, suppliers, tenders,
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
    let lot_auctions = if record.auctions.is_empty() {
        Vec::new()
    } else {
        auctions::outcomes_of_tender(conn, tender_id).await?
    };
    let mut names: HashMap<String, String> = HashMap::new();
    let mut bids = Vec::new();
    // Who bid in a lot and at what price are published once the lot is decided — awarded,
    // deserted or cancelled after its opening (the disqualified bids with their reasons):
    // never while it may still go to auction or be awarded, whatever its other lots do.
    let decided: Vec<i32> = record
        .lots
        .iter()
        .filter(|l| {
            matches!(
                LotStatus::from(l.status),
                LotStatus::Awarded
                    | LotStatus::Contracted
                    | LotStatus::Deserted
                    | LotStatus::Cancelled
            )
        })
        .map(|l| l.number)
        .collect();
    if t.opened_at.is_some() && !decided.is_empty() {
        let offers: Vec<_> = bids::lots_of_tender(conn, tender_id)
            .await?
            .into_iter()
            .filter(|o| decided.contains(&o.lot))
            .collect();
        let rows: Vec<(String, bid::Model)> = bids::live(conn, tender_id)
            .await?
            .into_iter()
            .filter(|b| offers.iter().any(|o| o.bid_id == b.id))
            .filter_map(|b| Some((b.rfc.clone()?, b)))
            .collect();
        let rfcs: Vec<String> = rows.iter().map(|(rfc, _)| rfc.clone()).collect();
        let mut scales: HashMap<String, &'static str> = HashMap::new();
        let mut emails: HashMap<String, String> = HashMap::new();
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
            for offer in offers.iter().filter(|o| o.bid_id == b.id) {
                // Its final price in the lot: after the lot's auction, or sealed.
                let value = lot_auctions
                    .iter()
                    .filter(|(a, ..)| a.lot == offer.lot)
                    .find_map(|(_, _, participants)| participants.iter().find(|p| p.bid_id == b.id))
                    .and_then(|p| p.final_centavos)
                    .unwrap_or(offer.total_centavos);
                bids.push(BidFacts {
                    bid_id: b.id.to_string(),
                    lot: offer.lot,
                    name: names.get(&rfc).cloned().unwrap_or_else(|| rfc.clone()),
                    rfc: rfc.clone(),
                    received_at: b.received_at,
                    value: Money::from_centavos(value).unwrap_or_default(),
                    qualified: offer.qualified == Some(true),
                    reason: offer.evaluation_reason.clone(),
                    scale: scales.get(&rfc).copied(),
                    email: emails.get(&rfc).cloned(),
                });
            }
        }
    }
    let annulled = awards::annulled_of(conn, tender_id).await?;
    // Their winners are parties of the record, named as in the register.
    let missing: Vec<String> = annulled
        .iter()
        .map(|a| a.rfc.clone())
        .filter(|rfc| !names.contains_key(rfc))
        .collect();
    if !missing.is_empty() {
        for s in suppliers::models(conn, &missing).await? {
            names.insert(s.rfc, s.legal_name);
        }
    }
    // Who filed a complaint is public once it is resolved.
    let closed: Vec<String> = record
        .complaints
        .iter()
        .filter(|c| ComplaintStatus::from(c.status).resolved())
        .map(|c| c.complainant_rfc.clone())
        .collect();
    let complainants: HashMap<String, String> = if closed.is_empty() {
        HashMap::new()
    } else {
        suppliers::models(conn, &closed)
            .await?
            .into_iter()
            .map(|s| (s.rfc, s.legal_name))
            .collect()
    };
    let complaints = record
        .complaints
        .iter()
        .map(|c| {
            let status = ComplaintStatus::from(c.status);
            let public = status.resolved();
            ComplaintFacts {
                id: c.id.to_string(),
                act: c.act.into(),
                lot: c.lot,
                award_id: c.award_id.map(|a| a.to_string()),
                status,
                filed_at: c.filed_at,
                admitted_at: c.admitted_at,
                decided_at: c.decided_at,
                withdrawn_at: c.withdrawn_at,
                author: public.then(|| {
                    (
                        c.complainant_rfc.clone(),
                        complainants
                            .get(&c.complainant_rfc)
                            .cloned()
                            .unwrap_or_else(|| c.complainant_rfc.clone()),
                    )
                }),
                title: public.then(|| c.title.clone()),
                facts: public.then(|| c.facts.clone()),
                decision: c.decision_text.clone().filter(|_| public),
            }
        })
        .collect();
    Ok(TenderFacts {
        complaints,
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
            .map(|(a, settings, _)| AuctionFacts {
                lot: a.lot,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                format: match settings.format {
                    crate::domain::auction_settings::FormatName::Continuous => "continua".into(),
                    crate::domain::auction_settings::FormatName::Rounds => "por rondas".into(),
                },
            })
            .collect(),
        cancel_reason: t.cancel_reason.clone(),
        awards: annulled
            .iter()
            .map(|a| (a, true))
            .chain(record.awards.iter().map(|a| (a, false)))
            .map(|(a, annulled)| AwardFacts {
                id: a.id.to_string(),
                lot: a.lot,
                annulled,
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
