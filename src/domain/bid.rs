//! Sealed bids (proposiciones): what a bid contains, the checks against the tender's
//! items, and the receipt a supplier gets.

use crate::domain::code::Code;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{canonical_json, format_time};
use super::money::Money;
use super::tender::Item;
use super::validation::ValidationErrors;

pub const TECHNICAL_OFFER_LEN: std::ops::RangeInclusive<usize> = 1..=20_000;

/// The price offered for one line of the tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidLine {
    /// The item's position in the tender (1-based).
    pub position: u32,
    pub unit_price: Money,
}

/// Everything sealed until the opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedContent {
    pub prices: Vec<BidLine>,
    pub technical_offer: String,
    pub document_sha256: Option<String>,
}

/// What a bid offers, lot by lot: each offered lot's total (Σ quantity × unit price).
pub type LotTotals = std::collections::BTreeMap<u32, Money>;

/// The sum of a bid's lot totals; `None` on overflow.
pub fn grand_total(totals: &LotTotals) -> Option<Money> {
    totals
        .values()
        .try_fold(Money::ZERO, |sum, t| sum.checked_add(*t))
}

/// Checks a bid against the tender's items: the lots it offers priced whole (every item
/// of each, some lot at least), no item twice, none above its maximum; returns each
/// offered lot's total.
pub fn check_bid(items: &[Item], content: &SealedContent) -> Result<LotTotals, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut seen = vec![false; items.len()];
    let mut totals: std::collections::BTreeMap<u32, Option<Money>> = Default::default();
    for (i, line) in content.prices.iter().enumerate() {
        let field = format!("prices[{i}]");
        let Some(item) = usize::try_from(line.position)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .and_then(|p| items.get(p).map(|item| (p, item)))
        else {
            errors.push(
                &format!("{field}.position"),
                Code::BidItemsMismatch,
                format!("the tender has no item {}", line.position),
            );
            continue;
        };
        let (index, item) = item;
        if seen
            .get_mut(index)
            .is_some_and(|s| std::mem::replace(s, true))
        {
            errors.push(
                &format!("{field}.position"),
                Code::BidItemsMismatch,
                format!("item {} is priced twice", line.position),
            );
        }
        if line.unit_price == Money::ZERO {
            errors.push(
                &format!("{field}.unit_price"),
                Code::InvalidMoney,
                "a unit price is greater than zero",
            );
        }
        if line.unit_price > item.max_unit_price {
            errors.push(
                &format!("{field}.unit_price"),
                Code::AboveMaxPrice,
                format!(
                    "item {}: {} is above the maximum unit price {}",
                    line.position, line.unit_price, item.max_unit_price
                ),
            );
        }
        let total = totals.entry(item.lot).or_insert(Some(Money::ZERO));
        *total = total.and_then(|t| t.checked_add(line.unit_price.checked_mul(item.quantity)?));
    }
    if totals.is_empty() && errors.0.is_empty() {
        errors.push(
            "prices",
            Code::BidItemsMismatch,
            "a bid prices every item of at least one lot",
        );
    }
    for lot in totals.keys() {
        let missing: Vec<String> = items
            .iter()
            .zip(&seen)
            .enumerate()
            .filter(|(_, (item, priced))| item.lot == *lot && !**priced)
            .map(|(index, _)| (index + 1).to_string())
            .collect();
        if !missing.is_empty() {
            errors.push(
                "prices",
                Code::IncompleteLot,
                format!(
                    "lot {lot} is offered without a price for item(s) {}: price every item of \
                     a lot, or none",
                    missing.join(", ")
                ),
            );
        }
    }
    let count = content.technical_offer.trim().chars().count();
    if !TECHNICAL_OFFER_LEN.contains(&count)
        || super::text::spoofs(&content.technical_offer)
        || content
            .technical_offer
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(
            "technical_offer",
            Code::InvalidTechnicalOffer,
            "the technical offer has 1 to 20000 characters, without control, invisible or bidirectional-control characters",
        );
    }
    if let Some(hash) = &content.document_sha256
        && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        errors.push(
            "document_sha256",
            Code::InvalidDocumentHash,
            "a SHA-256 is 64 hexadecimal characters",
        );
    }
    errors.finish()?;
    let totals: Option<LotTotals> = totals
        .into_iter()
        .map(|(lot, total)| Some((lot, total?)))
        .collect();
    totals.filter(|t| grand_total(t).is_some()).ok_or_else(|| {
        let mut errors = ValidationErrors::new();
        errors.push("prices", Code::InvalidMoney, "the bid's total is too large");
        errors
    })
}

/// How many random bytes a receipt's nonce has.
pub const RECEIPT_NONCE_BYTES: usize = 32;

/// What a version 2 envelope seals: the bid, who sent it, and the receipt's nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub rfc: String,
    /// Hex; the key of the receipt's HMAC.
    pub receipt_nonce: String,
    #[serde(flatten)]
    pub content: SealedContent,
}

/// The text a receipt commits to: the canonical bid (ids, supplier, prices, offer,
/// document hash), a line feed, and the time it was received (RFC 3339, microseconds).
pub fn receipt_message(
    bid_id: Uuid,
    tender_id: Uuid,
    rfc: &str,
    content: &SealedContent,
    received_at: DateTime<Utc>,
) -> String {
    let canonical = canonical_json(&serde_json::json!({
        "bid_id": bid_id.to_string(),
        "tender_id": tender_id.to_string(),
        "rfc": rfc,
        "prices": content.prices,
        "technical_offer": content.technical_offer,
        "document_sha256": content.document_sha256,
    }));
    format!("{canonical}\n{}", format_time(received_at))
}

/// The receipt (version 2): `hex(HMAC-SHA256(nonce, receipt_message))`. The nonce is
/// random, sealed with the bid and given only to the supplier, so the receipt commits to
/// the bid (it can't be opened to another one) but can't be checked against a guessed
/// price by anyone who holds neither the nonce nor the seal key.
pub fn receipt_v2(nonce: &[u8], message: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length: new_from_slice never fails for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(nonce).unwrap_or_else(|_| unreachable!());
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The receipt of bids sealed before version 2: SHA-256 over the canonical bid (ids,
/// supplier, prices, offer, document hash) and the time it was received. Kept to verify
/// those bids; anyone who can guess the bid can check a guess against it.
pub fn receipt(
    bid_id: Uuid,
    tender_id: Uuid,
    rfc: &str,
    content: &SealedContent,
    received_at: DateTime<Utc>,
) -> String {
    hex::encode(Sha256::digest(
        receipt_message(bid_id, tender_id, rfc, content, received_at).as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<Item> {
        vec![
            Item {
                lot: 1,
                classifier_code: "51501003".into(),
                quantity: 10,
                unit: "pieza".into(),
                max_unit_price: Money::parse("100.00").unwrap(),
            },
            Item {
                lot: 1,
                classifier_code: "21101001".into(),
                quantity: 2,
                unit: "caja".into(),
                max_unit_price: Money::parse("50.00").unwrap(),
            },
        ]
    }

    /// Lot 1: items 1 and 2; lot 2: item 3.
    fn two_lots() -> Vec<Item> {
        let mut items = items();
        items.push(Item {
            lot: 2,
            classifier_code: "21101001".into(),
            quantity: 4,
            unit: "caja".into(),
            max_unit_price: Money::parse("10.00").unwrap(),
        });
        items
    }

    fn content(prices: &[(u32, &str)]) -> SealedContent {
        SealedContent {
            prices: prices
                .iter()
                .map(|(p, m)| BidLine {
                    position: *p,
                    unit_price: Money::parse(m).unwrap(),
                })
                .collect(),
            technical_offer: "Cumple con las especificaciones".into(),
            document_sha256: None,
        }
    }

    fn codes(r: Result<LotTotals, ValidationErrors>) -> Vec<Code> {
        r.err()
            .map(|e| e.0.iter().map(|e| e.code).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_complete_bid_within_the_maximums_totals_its_lines() {
        assert_eq!(
            check_bid(&items(), &content(&[(1, "95.50"), (2, "50.00")])),
            Ok(LotTotals::from([(1, Money::parse("1055.00").unwrap())]))
        );
    }

    #[test]
    fn a_bid_offers_whole_lots_any_subset_of_them() {
        let m = |s| Money::parse(s).unwrap();
        assert_eq!(
            check_bid(&two_lots(), &content(&[(3, "9.00")])),
            Ok(LotTotals::from([(2, m("36.00"))]))
        );
        let both = check_bid(&two_lots(), &content(&[(2, "1"), (3, "1"), (1, "2")]));
        assert_eq!(both, Ok(LotTotals::from([(1, m("22.00")), (2, m("4.00"))])));
        assert_eq!(both.ok().as_ref().and_then(grand_total), Some(m("26.00")));
        assert_eq!(
            codes(check_bid(&two_lots(), &content(&[(1, "1"), (3, "1")]))),
            [Code::IncompleteLot]
        );
        assert_eq!(
            codes(check_bid(&two_lots(), &content(&[]))),
            [Code::BidItemsMismatch]
        );
    }

    #[test]
    fn each_bad_line_is_named() {
        assert_eq!(
            codes(check_bid(&items(), &content(&[(1, "100.01"), (2, "1")]))),
            [Code::AboveMaxPrice]
        );
        assert_eq!(
            codes(check_bid(&items(), &content(&[(1, "1")]))),
            [Code::IncompleteLot]
        );
        assert_eq!(
            codes(check_bid(
                &items(),
                &content(&[(1, "1"), (1, "1"), (2, "1")])
            )),
            [Code::BidItemsMismatch]
        );
        assert_eq!(
            codes(check_bid(
                &items(),
                &content(&[(1, "1"), (2, "1"), (3, "1")])
            )),
            [Code::BidItemsMismatch]
        );
        assert_eq!(
            codes(check_bid(&items(), &content(&[(1, "0"), (2, "1")]))),
            [Code::InvalidMoney]
        );
        let mut bad = content(&[(1, "1"), (2, "1")]);
        bad.technical_offer = " ".into();
        bad.document_sha256 = Some("abc".into());
        assert_eq!(
            codes(check_bid(&items(), &bad)),
            [Code::InvalidTechnicalOffer, Code::InvalidDocumentHash]
        );
    }

    #[test]
    fn a_v2_receipt_needs_its_nonce_and_covers_the_bid() {
        let (bid, tender) = (Uuid::nil(), Uuid::max());
        let c = content(&[(1, "1"), (2, "1")]);
        let t = DateTime::UNIX_EPOCH;
        let message = receipt_message(bid, tender, "AAA010101AA1", &c, t);
        let nonce = [9u8; RECEIPT_NONCE_BYTES];
        let r = receipt_v2(&nonce, &message);
        assert_eq!(r.len(), 64);
        assert_eq!(
            r,
            receipt_v2(&nonce, &message),
            "deterministic for its owner"
        );
        assert_ne!(r, receipt_v2(&[8u8; RECEIPT_NONCE_BYTES], &message));
        assert_ne!(
            r,
            receipt(bid, tender, "AAA010101AA1", &c, t),
            "not the unkeyed hash"
        );
        let other = receipt_message(
            bid,
            tender,
            "AAA010101AA1",
            &content(&[(1, "2"), (2, "1")]),
            t,
        );
        assert_ne!(r, receipt_v2(&nonce, &other));
    }

    #[test]
    fn the_receipt_covers_the_content_and_the_time() {
        let (bid, tender) = (Uuid::nil(), Uuid::max());
        let c = content(&[(1, "1"), (2, "1")]);
        let t = DateTime::UNIX_EPOCH;
        let r = receipt(bid, tender, "AAA010101AA1", &c, t);
        assert_eq!(r.len(), 64);
        assert_ne!(
            r,
            receipt(
                bid,
                tender,
                "AAA010101AA1",
                &content(&[(1, "2"), (2, "1")]),
                t
            )
        );
        assert_ne!(
            r,
            receipt(
                bid,
                tender,
                "AAA010101AA1",
                &c,
                t + chrono::Duration::microseconds(1)
            )
        );
    }
}
