//! The API key itself: `pst_<id>_<secret>`, where the id (32 hex digits) finds the stored row and
//! the secret is 256 random bits. Only the SHA-256 of the whole key is stored, and the presented
//! key's hash is compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use posture_kit::ids::ApiKeyId;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PREFIX: &str = "pst_";
const SECRET_BYTES: usize = 32;
/// Base64url without padding of 32 bytes.
const SECRET_CHARS: usize = 43;
/// Longest header value worth parsing; anything longer is not one of our keys.
const MAX_KEY_LEN: usize = 128;

/// A freshly generated key: shown to its creator once, then only its hash remains.
pub struct GeneratedKey {
    pub id: ApiKeyId,
    pub key: SecretString,
    pub hash: [u8; 32],
    pub prefix: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The part of a key that identifies it without revealing anything: `pst_` and 8 hex digits.
pub fn display_prefix(id: &ApiKeyId) -> String {
    let simple = id.as_uuid().simple().to_string();
    format!("{PREFIX}{}", &simple[..8])
}

pub fn generate() -> GeneratedKey {
    let id = ApiKeyId::new_random();
    let mut secret = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = format!(
        "{PREFIX}{}_{}",
        id.as_uuid().simple(),
        URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash_key(&key);
    GeneratedKey {
        id,
        prefix: display_prefix(&id),
        key: SecretString::from(key),
        hash,
    }
}

fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A key as a caller presented it, parsed but not yet checked against the store.
pub struct PresentedKey {
    pub id: ApiKeyId,
    hash: [u8; 32],
}

impl PresentedKey {
    /// Parses `pst_<32 hex>_<43 base64url>`; `None` for anything else (the reason is not told
    /// to the caller, who gets the same answer as for an unknown key).
    pub fn parse(presented: &SecretString) -> Option<Self> {
        let key = presented.expose_secret();
        if key.len() > MAX_KEY_LEN {
            return None;
        }
        let rest = key.strip_prefix(PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let valid_secret = secret.len() == SECRET_CHARS
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_secret {
            return None;
        }
        let id = ApiKeyId::from_uuid(Uuid::try_parse(id).ok()?).ok()?;
        Some(Self {
            id,
            hash: hash_key(key),
        })
    }

    /// Compares with a stored hash in time independent of where they differ.
    pub fn matches(&self, stored_hash: &[u8]) -> bool {
        constant_time_eq(&self.hash, stored_hash)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_to_their_id_and_hash() {
        let generated = generate();
        let presented = PresentedKey::parse(&generated.key).expect("own key parses");
        assert_eq!(presented.id, generated.id);
        assert!(presented.matches(&generated.hash));
        assert!(generated.key.expose_secret().starts_with(&generated.prefix));
        assert!(!format!("{generated:?}").contains(generated.key.expose_secret()));
    }

    #[test]
    fn a_key_with_a_changed_secret_does_not_match() {
        let generated = generate();
        let mut tampered = generated.key.expose_secret().to_owned();
        let last = if tampered.ends_with('A') { 'B' } else { 'A' };
        tampered.pop();
        tampered.push(last);
        let presented = PresentedKey::parse(&SecretString::from(tampered)).expect("still well-formed");
        assert_eq!(presented.id, generated.id);
        assert!(!presented.matches(&generated.hash));
    }

    #[test]
    fn malformed_keys_are_refused_without_panicking() {
        let id = Uuid::new_v4().simple().to_string();
        let secret = "a".repeat(SECRET_CHARS);
        for bad in [
            String::new(),
            "pst_".into(),
            format!("pst_{id}"),
            format!("pst_{id}_"),
            format!("pst_{id}_{}", "a".repeat(42)),
            format!("key_{id}_{secret}"),
            format!("pst_{}_{secret}", &id[..31]),
            format!("pst_{}_{secret}", "z".repeat(32)),
            format!("pst_{id}_{}", "é".repeat(22)),
            format!("pst_{}_{secret}", "0".repeat(32)),
            "x".repeat(10_000),
        ] {
            assert!(
                PresentedKey::parse(&SecretString::from(bad.clone())).is_none(),
                "{bad}"
            );
        }
        assert!(PresentedKey::parse(&SecretString::from(format!("pst_{id}_{secret}"))).is_some());
    }

    #[test]
    fn hashes_of_different_lengths_never_match() {
        assert!(!constant_time_eq(&[1, 2, 3], &[1, 2]));
        assert!(constant_time_eq(&[1, 2, 3], &[1, 2, 3]));
        assert!(!constant_time_eq(&[1, 2, 3], &[1, 2, 4]));
    }
}
