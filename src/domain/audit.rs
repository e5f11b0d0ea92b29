//! The tamper-evident audit chain: canonical event content and its hash.
//!
//! `hash = SHA-256(prev_hash ‖ "\n" ‖ canonical_json(content))`, hex-encoded, where the
//! content holds the sequence number, time (RFC 3339, microseconds, `Z`), actor, action,
//! entity and data. Anyone holding the events can recompute the chain.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: the token's role and subject, or `system` for the service itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: String,
    pub sub: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            role: "system".into(),
            sub: "licita".into(),
        }
    }
}

/// One event's content, everything the hash covers but the previous hash.
#[derive(Debug, Clone, PartialEq)]
pub struct EventContent<'a> {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub data: &'a Value,
}

impl EventContent<'_> {
    pub fn canonical(&self) -> String {
        let value = serde_json::json!({
            "seq": self.seq,
            "occurred_at": format_time(self.occurred_at),
            "actor_role": self.actor.role,
            "actor_sub": self.actor.sub,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "data": self.data,
        });
        canonical_json(&value)
    }

    pub fn hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// RFC 3339 with microseconds and `Z`, the one form times take in hashes.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serialises an instant as [`format_time`] writes it (always six decimals), for the
/// fields a client recomputes a hash from.
pub fn serialize_micros<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

/// JSON with object keys sorted and no insignificant white space, whatever order the
/// value was built in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// One stored event, as read back for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The canonical JSON text as stored.
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first event that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

/// Walks a chain in sequence order, one event at a time (so it can stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainWalk {
    pub length: i64,
    pub head: String,
    pub broken: Option<BrokenLink>,
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self {
            length: 0,
            head: GENESIS_HASH.to_owned(),
            broken: None,
        }
    }
}

impl ChainWalk {
    /// A walk that goes on after event `seq`, whose hash is `hash` (verified before).
    pub fn resume(seq: i64, hash: &str) -> Self {
        Self {
            length: seq,
            head: hash.to_owned(),
            broken: None,
        }
    }

    /// Checks the next event; after the first broken link, later events are not judged.
    pub fn push(&mut self, event: &StoredEvent) {
        if self.broken.is_some() {
            return;
        }
        let expected_seq = self.length + 1;
        let reason = if event.seq != expected_seq {
            Some(format!(
                "expected event {expected_seq}, found {}",
                event.seq
            ))
        } else if event.prev_hash != self.head {
            Some("its previous hash is not the hash of the event before it".to_owned())
        } else {
            match serde_json::from_str::<Value>(&event.data) {
                Err(_) => Some("its data is not JSON".to_owned()),
                Ok(data) => {
                    let content = EventContent {
                        seq: event.seq,
                        occurred_at: event.occurred_at,
                        actor: &event.actor,
                        action: &event.action,
                        entity_type: &event.entity_type,
                        entity_id: &event.entity_id,
                        data: &data,
                    };
                    (content.hash(&event.prev_hash) != event.hash)
                        .then(|| "its content does not match its hash: it was changed after it was written".to_owned())
                }
            }
        };
        match reason {
            Some(reason) => {
                self.broken = Some(BrokenLink {
                    seq: event.seq,
                    reason,
                })
            }
            None => {
                self.length = event.seq;
                self.head = event.hash.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let actor = Actor::system();
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let data = json!({"n": seq});
                let content = EventContent {
                    seq,
                    occurred_at: DateTime::UNIX_EPOCH,
                    actor: &actor,
                    action: "test.event",
                    entity_type: "test",
                    entity_id: "1",
                    data: &data,
                };
                let hash = content.hash(&prev);
                let event = StoredEvent {
                    seq,
                    occurred_at: DateTime::UNIX_EPOCH,
                    actor: actor.clone(),
                    action: "test.event".into(),
                    entity_type: "test".into(),
                    entity_id: "1".into(),
                    data: canonical_json(&data),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                event
            })
            .collect()
    }

    fn walk(events: &[StoredEvent]) -> ChainWalk {
        let mut w = ChainWalk::default();
        events.iter().for_each(|e| w.push(e));
        w
    }

    #[test]
    fn an_intact_chain_reports_its_length_and_head() {
        let events = chain(5);
        let w = walk(&events);
        assert_eq!((w.length, w.broken), (5, None));
        assert_eq!(w.head, events[4].hash);
        assert_eq!(walk(&[]), ChainWalk::default());
    }

    #[test]
    fn the_first_broken_link_is_named() {
        let mut edited = chain(5);
        edited[2].data = r#"{"n":99}"#.into();
        assert_eq!(walk(&edited).broken.map(|b| b.seq), Some(3));
        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(walk(&removed).broken.map(|b| b.seq), Some(3), "a gap");
        let mut rehashed = chain(5);
        rehashed[1].data = r#"{"n":7}"#.into();
        let w = walk(&rehashed);
        assert_eq!((w.length, w.broken.map(|b| b.seq)), (1, Some(2)));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"z": [3, {"y": 1, "x": 2}], "c": "é"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"é","z":[3,{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let actor = Actor::system();
        let data = json!({"name": "x"});
        let base = EventContent {
            seq: 1,
            occurred_at: DateTime::UNIX_EPOCH,
            actor: &actor,
            action: "agency.created",
            entity_type: "agency",
            entity_id: "SHCP",
            data: &data,
        };
        let h = base.hash(GENESIS_HASH);
        assert_eq!(h.len(), 64);
        assert_ne!(h, base.hash(&h), "previous hash is covered");
        let other_data = json!({"name": "y"});
        let changed = EventContent {
            data: &other_data,
            ..base.clone()
        };
        assert_ne!(h, changed.hash(GENESIS_HASH), "data is covered");
        let later = EventContent { seq: 2, ..base };
        assert_ne!(h, later.hash(GENESIS_HASH), "sequence is covered");
    }
}
