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

/// Plaintext bytes per chunk of a sealed stream (a sealed document); each chunk grows by
/// its 16-byte tag.
pub const STREAM_CHUNK: usize = 64 * 1024;
const TAG_BYTES: usize = 16;
/// The random part of a sealed stream's nonces.
pub const STREAM_PREFIX_BYTES: usize = 7;

impl Sealer {
    /// The nonce of chunk `index` of a stream (the STREAM construction of Hoang, Reyhanitabar,
    /// Rogaway and Vizár): the stream's random prefix, the chunk's number, and whether it is
    /// the last, so that chunks can't be reordered, dropped or the stream cut short unseen.
    fn stream_nonce(prefix: &[u8; STREAM_PREFIX_BYTES], index: u32, last: bool) -> Nonce {
        let mut nonce = [0u8; NONCE_BYTES];
        let (p, rest) = nonce.split_at_mut(STREAM_PREFIX_BYTES);
        p.copy_from_slice(prefix);
        let (i, flag) = rest.split_at_mut(4);
        i.copy_from_slice(&index.to_be_bytes());
        if let Some(f) = flag.first_mut() {
            *f = u8::from(last);
        }
        Nonce::from(nonce)
    }

    fn seal_chunk(
        &self,
        (prefix, index, last): (&[u8; STREAM_PREFIX_BYTES], u32, bool),
        aad: &[u8],
        plaintext: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        self.cipher
            .encrypt(
                &Self::stream_nonce(prefix, index, last),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))
    }

    fn open_chunk(
        &self,
        (prefix, index, last): (&[u8; STREAM_PREFIX_BYTES], u32, bool),
        aad: &[u8],
        ciphertext: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        self.cipher
            .decrypt(
                &Self::stream_nonce(prefix, index, last),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!("a sealed document failed authentication (wrong key, or tampered)")
            })
    }
}

/// Seals a stream chunk by chunk: push bytes as they come, get sealed chunks back.
pub struct StreamSealer {
    sealer: std::sync::Arc<Sealer>,
    prefix: [u8; STREAM_PREFIX_BYTES],
    aad: Vec<u8>,
    index: u32,
    buffer: Vec<u8>,
}

impl StreamSealer {
    pub fn new(sealer: std::sync::Arc<Sealer>, aad: Vec<u8>) -> anyhow::Result<Self> {
        Ok(Self {
            sealer,
            prefix: random_bytes()?,
            aad,
            index: 0,
            buffer: Vec::with_capacity(STREAM_CHUNK),
        })
    }

    /// The stream's nonce prefix: kept (sealed) with the document, needed to open it.
    pub fn prefix(&self) -> [u8; STREAM_PREFIX_BYTES] {
        self.prefix
    }

    /// Takes `data`; returns the chunks it completed, sealed.
    pub fn push(&mut self, mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let room = STREAM_CHUNK - self.buffer.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.buffer.extend_from_slice(now);
            data = later;
            // A full chunk is sealed only once more data shows it is not the last.
            if self.buffer.len() == STREAM_CHUNK && !data.is_empty() {
                out.extend(self.seal_buffer(false)?);
            }
        }
        Ok(out)
    }

    fn seal_buffer(&mut self, last: bool) -> anyhow::Result<Vec<u8>> {
        let sealed =
            self.sealer
                .seal_chunk((&self.prefix, self.index, last), &self.aad, &self.buffer)?;
        self.index = self
            .index
            .checked_add(1)
            .context("a sealed stream of more than 2^32 chunks")?;
        self.buffer.clear();
        Ok(sealed)
    }

    /// Seals what is left as the last chunk (possibly empty).
    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        self.seal_buffer(true)
    }
}

/// Opens a sealed stream chunk by chunk, holding back the latest chunk until the next
/// bytes (or the end) say whether it is the last.
pub struct StreamOpener {
    sealer: std::sync::Arc<Sealer>,
    prefix: [u8; STREAM_PREFIX_BYTES],
    aad: Vec<u8>,
    index: u32,
    buffer: Vec<u8>,
}

impl StreamOpener {
    pub fn new(
        sealer: std::sync::Arc<Sealer>,
        prefix: [u8; STREAM_PREFIX_BYTES],
        aad: Vec<u8>,
    ) -> Self {
        Self {
            sealer,
            prefix,
            aad,
            index: 0,
            buffer: Vec::new(),
        }
    }

    /// Takes sealed bytes; returns the plaintext of the chunks now known not to be last.
    pub fn push(&mut self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.buffer.extend_from_slice(data);
        let mut out = Vec::new();
        while self.buffer.len() > STREAM_CHUNK + TAG_BYTES {
            let rest = self.buffer.split_off(STREAM_CHUNK + TAG_BYTES);
            let chunk = std::mem::replace(&mut self.buffer, rest);
            out.extend(self.sealer.open_chunk(
                (&self.prefix, self.index, false),
                &self.aad,
                &chunk,
            )?);
            self.index = self.index.checked_add(1).context("too many chunks")?;
        }
        Ok(out)
    }

    /// Opens the last chunk.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.sealer
            .open_chunk((&self.prefix, self.index, true), &self.aad, &self.buffer)
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

    #[test]
    fn a_sealed_stream_opens_to_its_bytes_and_refuses_any_cut() {
        let sealer = std::sync::Arc::new(Sealer::new(&[7u8; KEY_BYTES]));
        for len in [
            0usize,
            1,
            STREAM_CHUNK - 1,
            STREAM_CHUNK,
            STREAM_CHUNK + 1,
            3 * STREAM_CHUNK + 17,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut s = StreamSealer::new(sealer.clone(), b"doc".to_vec()).unwrap();
            let mut sealed = Vec::new();
            for piece in data.chunks(5000) {
                sealed.extend(s.push(piece).unwrap());
            }
            let prefix = s.prefix();
            sealed.extend(s.finish().unwrap());
            let open = |bytes: &[u8]| -> anyhow::Result<Vec<u8>> {
                let mut o = StreamOpener::new(sealer.clone(), prefix, b"doc".to_vec());
                let mut out = Vec::new();
                for piece in bytes.chunks(7777) {
                    out.extend(o.push(piece)?);
                }
                out.extend(o.finish()?);
                Ok(out)
            };
            assert_eq!(open(&sealed).unwrap(), data, "{len}");
            // Cut at a chunk boundary: the new last chunk is not marked last.
            if sealed.len() > STREAM_CHUNK + TAG_BYTES {
                assert!(open(&sealed[..STREAM_CHUNK + TAG_BYTES]).is_err());
            }
            let mut flipped = sealed.clone();
            if let Some(b) = flipped.first_mut() {
                *b ^= 1;
            }
            assert!(open(&flipped).is_err());
            let mut other = StreamOpener::new(sealer.clone(), prefix, b"other".to_vec());
            assert!(other.push(&sealed).and_then(|_| other.finish()).is_err());
        }
    }
}
