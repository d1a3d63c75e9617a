//! The vault's key-encryption keys (KEKs). A keyring holds every key that may still wrap a data key
//! and names the one new secrets are wrapped with; rotation adds a key and makes it active while the
//! old ones stay readable until every secret has been re-wrapped and the key is retired.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// Length of an AES-256 key in bytes.
pub const KEY_LEN: usize = 32;

/// Identifier of a key-encryption key, stored next to every wrapped data key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// A key id is short, printable and safe to store and log: `[A-Za-z0-9._-]{1,64}`.
    pub fn new(id: impl Into<String>) -> Result<Self, KeyringError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(id))
        } else {
            Err(KeyringError::InvalidKeyId(id))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// Key material that wipes itself on drop and never prints.
#[derive(Clone)]
pub struct KeyMaterial(Zeroizing<[u8; KEY_LEN]>);

impl KeyMaterial {
    /// Parses standard base64 of exactly 32 bytes (what `openssl rand -base64 32` prints).
    pub fn from_base64(id: &KeyId, encoded: &str) -> Result<Self, KeyringError> {
        let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).map_err(|_| {
            KeyringError::InvalidKeyMaterial {
                id: id.clone(),
                len: None,
            }
        })?);
        let bytes: [u8; KEY_LEN] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| KeyringError::InvalidKeyMaterial {
                    id: id.clone(),
                    len: Some(decoded.len()),
                })?;
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// A fresh random key, for tests and for `posture vault new-key`.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    /// The key as base64, to hand to an operator once (never logged).
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial([redacted])")
    }
}

/// The set of key-encryption keys the vault can use.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: BTreeMap<KeyId, KeyMaterial>,
    active: KeyId,
}

impl Keyring {
    /// A keyring whose active key must be one of `keys`.
    pub fn new(
        keys: impl IntoIterator<Item = (KeyId, KeyMaterial)>,
        active: KeyId,
    ) -> Result<Self, KeyringError> {
        let keys: BTreeMap<_, _> = keys.into_iter().collect();
        if !keys.contains_key(&active) {
            return Err(KeyringError::UnknownKey(active));
        }
        Ok(Self { keys, active })
    }

    /// The key new secrets are wrapped with.
    pub fn active(&self) -> (&KeyId, &KeyMaterial) {
        // The constructor and `rotate_to` guarantee the active id is present.
        let key = &self.keys[&self.active];
        (&self.active, key)
    }

    pub fn active_id(&self) -> &KeyId {
        &self.active
    }

    pub fn get(&self, id: &KeyId) -> Result<&KeyMaterial, KeyringError> {
        self.keys
            .get(id)
            .ok_or_else(|| KeyringError::UnknownKey(id.clone()))
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// Adds `key` (if new) and makes it the active key; existing keys stay readable.
    pub fn rotate_to(&mut self, id: KeyId, key: KeyMaterial) {
        self.keys.entry(id.clone()).or_insert(key);
        self.active = id;
    }

    /// Removes a key that no secret uses any more. The active key cannot be retired.
    pub fn retire(&mut self, id: &KeyId) -> Result<(), KeyringError> {
        if id == &self.active {
            return Err(KeyringError::RetireActive(id.clone()));
        }
        self.keys
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| KeyringError::UnknownKey(id.clone()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("vault key id {0:?} is invalid: use 1-64 characters from A-Z, a-z, 0-9, '.', '_', '-'")]
    InvalidKeyId(String),
    #[error("vault key '{id}' is not 32 bytes of base64{}", len.map(|n| format!(" (decoded to {n} bytes)")).unwrap_or_default())]
    InvalidKeyMaterial { id: KeyId, len: Option<usize> },
    #[error("vault key '{0}' is not in the keyring")]
    UnknownKey(KeyId),
    #[error("vault key '{0}' is the active key and cannot be retired; rotate to another key first")]
    RetireActive(KeyId),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        KeyId::new(s).expect("valid id")
    }

    #[test]
    fn key_material_must_be_32_bytes_of_base64() {
        let short = STANDARD.encode([7u8; 16]);
        let err = KeyMaterial::from_base64(&id("k1"), &short).expect_err("16 bytes is too short");
        assert_eq!(
            err.to_string(),
            "vault key 'k1' is not 32 bytes of base64 (decoded to 16 bytes)"
        );
        let err = KeyMaterial::from_base64(&id("k1"), "not base64!").expect_err("garbage");
        assert_eq!(err.to_string(), "vault key 'k1' is not 32 bytes of base64");
        let ok = KeyMaterial::from_base64(&id("k1"), &STANDARD.encode([7u8; 32])).expect("32 bytes");
        assert_eq!(ok.bytes(), &[7u8; 32]);
    }

    #[test]
    fn key_material_never_prints() {
        let key = KeyMaterial::generate();
        let ring = Keyring::new([(id("k1"), key.clone())], id("k1")).expect("keyring");
        let printed = format!("{key:?} {ring:?}");
        assert!(!printed.contains(key.to_base64().as_str()));
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn rotation_keeps_old_keys_readable_and_active_key_cannot_be_retired() {
        let mut ring = Keyring::new([(id("k1"), KeyMaterial::generate())], id("k1")).expect("keyring");
        ring.rotate_to(id("k2"), KeyMaterial::generate());
        assert_eq!(ring.active_id(), &id("k2"));
        assert!(ring.get(&id("k1")).is_ok());
        assert!(matches!(
            ring.retire(&id("k2")),
            Err(KeyringError::RetireActive(_))
        ));
        ring.retire(&id("k1")).expect("retire old key");
        assert!(matches!(ring.get(&id("k1")), Err(KeyringError::UnknownKey(_))));
    }

    #[test]
    fn active_key_must_exist_and_ids_are_checked() {
        assert!(matches!(
            Keyring::new([(id("k1"), KeyMaterial::generate())], id("k9")),
            Err(KeyringError::UnknownKey(_))
        ));
        assert!(KeyId::new("").is_err());
        assert!(KeyId::new("a/b").is_err());
        assert!(KeyId::new("2026-11.kek_1").is_ok());
    }
}
