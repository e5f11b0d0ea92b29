//! Sealing bids at rest: ChaCha20-Poly1305 with a key from the settings. The associated
//! data binds each ciphertext to its row (tender and bid), so a sealed bid cannot be moved
//! to another row unnoticed. Without the key, a database reader sees only noise: not the
//! prices, the offer, the document hashes, the receipt's nonce, nor who bid. A supplier's
//! bids are found by their bidder tag, an HMAC of tender and RFC under a key derived from
//! the seal key, so nobody without it can tell whose a bid is.

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

const NONCE_BYTES: usize = 12;
pub const KEY_BYTES: usize = 32;

pub struct Sealer {
    cipher: ChaCha20Poly1305,
    /// HMAC key of the bidder tags, derived from the seal key (never stored).
    tag_key: [u8; 32],
}

impl Sealer {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(*key)),
            tag_key: hmac_sha256(key, b"licita bidder tags v1"),
        }
    }

    /// A bidder's tag in a tender: `hex(HMAC-SHA256(tag key, tender ‖ 0 ‖ RFC))`. The same
    /// supplier gets the same tag in the same tender (so it finds its own bid) and
    /// unrelated tags across tenders.
    pub fn bidder_tag(&self, tender_id: Uuid, rfc: &str) -> String {
        let mut message = tender_id.as_bytes().to_vec();
        message.push(0);
        message.extend_from_slice(rfc.as_bytes());
        hex::encode(hmac_sha256(&self.tag_key, &message))
    }

    /// From 64 hex characters.
    pub fn from_hex(hex_key: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(hex_key.trim()).context("the seal key is not hex")?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the seal key must be {KEY_BYTES} bytes (64 hex characters)")
        })?;
        Ok(Self::new(&key))
    }

    /// `hex(nonce ‖ ciphertext)`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let ciphertext = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(hex::encode(out))
    }

    pub fn open(&self, aad: &[u8], sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = hex::decode(sealed).context("a sealed bid is not hex")?;
        anyhow::ensure!(bytes.len() > NONCE_BYTES, "a sealed bid is too short");
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().context("a sealed bid's nonce")?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!("a sealed bid failed authentication (wrong key, or tampered)")
            })
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: new_from_slice never fails for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `n` random bytes.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidder_tags_need_the_key_and_differ_across_tenders() {
        let sealer = Sealer::new(&[7u8; KEY_BYTES]);
        let (t1, t2) = (Uuid::nil(), Uuid::max());
        let tag = sealer.bidder_tag(t1, "AAA010101AA1");
        assert_eq!(tag.len(), 64);
        assert_eq!(tag, sealer.bidder_tag(t1, "AAA010101AA1"));
        assert_ne!(tag, sealer.bidder_tag(t2, "AAA010101AA1"));
        assert_ne!(tag, sealer.bidder_tag(t1, "AAA010101AA2"));
        assert_ne!(
            tag,
            Sealer::new(&[8u8; KEY_BYTES]).bidder_tag(t1, "AAA010101AA1")
        );
    }

    #[test]
    fn sealed_content_opens_only_with_its_key_and_row() {
        let sealer = Sealer::new(&[7u8; KEY_BYTES]);
        let sealed = sealer.seal(b"row-1", b"precio 18500.00").unwrap();
        assert!(!sealed.contains(&hex::encode(b"18500")));
        assert_eq!(sealer.open(b"row-1", &sealed).unwrap(), b"precio 18500.00");
        assert!(sealer.open(b"row-2", &sealed).is_err(), "bound to its row");
        assert!(
            Sealer::new(&[8u8; KEY_BYTES])
                .open(b"row-1", &sealed)
                .is_err(),
            "needs the key"
        );
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "01" } else { "00" });
        assert!(sealer.open(b"row-1", &tampered).is_err());
        assert_ne!(
            sealer.seal(b"row-1", b"x").unwrap(),
            sealer.seal(b"row-1", b"x").unwrap(),
            "fresh nonce"
        );
    }
}
