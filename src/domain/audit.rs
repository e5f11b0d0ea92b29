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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
