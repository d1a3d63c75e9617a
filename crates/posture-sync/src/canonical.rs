//! Canonical JSON and the hashes over it: keys sorted, no insignificant whitespace, numbers as
//! Microsoft sent them. `content_hash` covers the stored bytes; `state_hash` leaves the kind's
//! volatile fields out, so a new sign-in time alone never counts as a change (it only refreshes
//! the stored content).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical JSON text of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                if let Some(inner) = map.get(key) {
                    write_value(inner, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // Scalars: serde_json's own rendering is already minimal and exact for i64/u64.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    // Serialising a &str cannot fail; the fallback keeps this total without unwrap.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An object's canonical JSON with both of its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    pub content: String,
    pub content_hash: String,
    pub state_hash: String,
}

/// Canonicalises `value` once; the state hash is computed separately only when a volatile field
/// is present (otherwise it is the content hash).
pub fn canonicalize(value: &Value, volatile: &[&str]) -> Canonical {
    let content = canonical_json(value);
    let content_hash = sha256_hex(&content);
    let state_hash = match value {
        Value::Object(map) if volatile.iter().any(|v| map.contains_key(*v)) => state_hash(value, volatile),
        _ => content_hash.clone(),
    };
    Canonical {
        content,
        content_hash,
        state_hash,
    }
}

/// Hash of the object without its volatile top-level fields: equal hashes mean "unchanged".
pub fn state_hash(value: &Value, volatile: &[&str]) -> String {
    match value {
        Value::Object(map) if volatile.iter().any(|v| map.contains_key(*v)) => {
            let mut stable = map.clone();
            for field in volatile {
                stable.remove(*field);
            }
            sha256_hex(&canonical_json(&Value::Object(stable)))
        }
        other => sha256_hex(&canonical_json(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level_and_big_integers_survive() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "k": 18446744073709551615u64}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"k":18446744073709551615,"z":[3,{"x":null,"y":true}]},"b":1}"#
        );
    }

    #[test]
    fn volatile_fields_do_not_change_the_state_hash() {
        let a = json!({"id": "1", "displayName": "A", "signInActivity": {"last": "2026-01-01"}});
        let b = json!({"id": "1", "displayName": "A", "signInActivity": {"last": "2026-02-01"}});
        let c = json!({"id": "1", "displayName": "B", "signInActivity": {"last": "2026-02-01"}});
        let volatile = ["signInActivity"];
        assert_eq!(state_hash(&a, &volatile), state_hash(&b, &volatile));
        assert_ne!(state_hash(&b, &volatile), state_hash(&c, &volatile));
        assert_ne!(state_hash(&a, &[]), state_hash(&b, &[]));
    }

    #[test]
    fn canonicalize_separates_state_from_content_only_when_volatile_fields_are_present() {
        let volatile = ["signInActivity"];
        let plain = canonicalize(&json!({"id": "1", "displayName": "A"}), &volatile);
        assert_eq!(plain.state_hash, plain.content_hash);
        assert_eq!(plain.content_hash, sha256_hex(&plain.content));
        let a = canonicalize(
            &json!({"id": "1", "signInActivity": {"last": "2026-01-01"}}),
            &volatile,
        );
        let b = canonicalize(
            &json!({"id": "1", "signInActivity": {"last": "2026-02-01"}}),
            &volatile,
        );
        assert_eq!(a.state_hash, b.state_hash);
        assert_ne!(a.content_hash, b.content_hash);
        assert_eq!(a.state_hash, sha256_hex(r#"{"id":"1"}"#));
    }

    #[test]
    fn strings_are_escaped_as_json() {
        assert_eq!(canonical_json(&json!({"q": "a\"b\n"})), r#"{"q":"a\"b\n"}"#);
    }
}
