//! Sealing bids at rest: ChaCha20-Poly1305 with a key from the settings. The associated
//! data binds each ciphertext to its row (tender, supplier, bid), so a sealed bid cannot
//! be moved to another row unnoticed. Without the key, a database reader sees only noise.

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const NONCE_BYTES: usize = 12;
pub const KEY_BYTES: usize = 32;

pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(*key)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
