//! Bid envelopes: what a sealed bid holds, how it is sealed and opened, and how its owner
//! is recognised before the opening without its RFC being stored.

use anyhow::Context;
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::bid::{Envelope, SealedContent};
use crate::domain::ids::{BidId, TenderId};
use crate::persistence::entities::bid;
use crate::seal::Sealer;

/// The envelope format every new bid is sealed in.
pub const SEAL_VERSION: i32 = 2;

/// Sealed envelopes are whole multiples of this many bytes.
pub const ENVELOPE_BLOCK: usize = 1024;

/// Version 1 bound the ciphertext to the RFC in clear.
fn aad_v1(tender_id: Uuid, rfc: &str, bid_id: Uuid) -> Vec<u8> {
    format!("licita-bid:{tender_id}:{rfc}:{bid_id}").into_bytes()
}

/// Version 2 binds it to its row; who bid is inside.
fn aad_v2(tender_id: Uuid, bid_id: Uuid) -> Vec<u8> {
    format!("licita-bid:v2:{tender_id}:{bid_id}").into_bytes()
}

/// Seals an envelope for the bid `bid` of `tender`, padded with spaces (which JSON
/// ignores) to whole blocks, so that the ciphertext's length says nothing of the RFC's
/// length, the prices' digits or the offer's exact size.
pub fn seal(
    sealer: &Sealer,
    tender: TenderId,
    bid: BidId,
    envelope: &Envelope,
) -> anyhow::Result<String> {
    let mut plaintext = serde_json::to_vec(envelope).context("encoding the bid")?;
    let padded = plaintext.len().div_ceil(ENVELOPE_BLOCK) * ENVELOPE_BLOCK;
    plaintext.resize(padded, b' ');
    sealer.seal(&aad_v2(tender.uuid(), bid.uuid()), &plaintext)
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

/// Whether `b` is the bid of the supplier `rfc`, whose tag in the tender is `tag`.
pub fn owned_by(b: &bid::Model, rfc: &str, tag: &str) -> bool {
    match b.seal_version {
        1 => b.rfc.as_deref() == Some(rfc),
        _ => b.bidder_tag.as_deref() == Some(tag),
    }
}

/// Who the audit log names for a sealed bid's events before the opening: the bidder's
/// tag, never its RFC (the opening's event links bids and RFCs).
pub fn sealed_actor(tag: &str) -> Actor {
    Actor {
        role: "supplier".into(),
        sub: format!("bidder:{tag}"),
    }
}
