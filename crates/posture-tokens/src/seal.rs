//! Sealing of tokens shared between replicas through NATS KV. An access token is a short-lived
//! secret, so it is stored only encrypted (AES-256-GCM) with a key derived from the vault's active
//! key-encryption key, bound to its KV key (a sealed Graph token cannot be replayed as another
//! tenant's or another API's). Replicas with another active key treat the entry as absent.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use posture_kit::config::VaultConfig;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use zeroize::Zeroizing;

const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
/// Domain separation: the derived key is only ever used for this cache.
const DERIVATION_LABEL: &[u8] = b"posture-tokens/kv-token-cache/v1";

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("vault key configuration: {0}")]
    Config(String),
    #[error("sealed token entry is malformed: {0}")]
    Malformed(&'static str),
    #[error("sealed token entry was sealed with key `{0}`, which this replica does not hold")]
    UnknownKey(String),
    #[error("sealed token entry failed authentication (tampered, or sealed for another key)")]
    Open,
    #[error("sealing failed")]
    Seal,
}

/// The key tokens are sealed with, and the id of the vault key it was derived from.
#[derive(Clone)]
pub struct TokenSealKey {
    key_id: String,
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for TokenSealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSealKey")
            .field("key_id", &self.key_id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl TokenSealKey {
    /// Derives the sealing key from a base64 key-encryption key (32 bytes, as the vault keyring holds).
    pub fn derive(key_id: &str, kek_base64: &SecretString) -> Result<TokenSealKey, SealError> {
        if key_id.is_empty() || key_id.len() > 64 || !key_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SealError::Config(
                "the key id must be 1-64 printable characters".to_owned(),
            ));
        }
        let kek = Zeroizing::new(
            STANDARD
                .decode(kek_base64.expose_secret().trim())
                .map_err(|_| SealError::Config(format!("vault key `{key_id}` is not valid base64")))?,
        );
        if kek.len() != 32 {
            return Err(SealError::Config(format!(
                "vault key `{key_id}` must be 32 bytes (got {})",
                kek.len()
            )));
        }
        // HMAC-SHA256 as a PRF over a uniformly random key is a sound single-block KDF.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&kek)
            .map_err(|_| SealError::Config("cannot key HMAC".to_owned()))?;
        mac.update(DERIVATION_LABEL);
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(TokenSealKey {
            key_id: key_id.to_owned(),
            key,
        })
    }

    /// Derives the sealing key from the vault's active key as configured.
    pub fn from_vault_config(config: &VaultConfig) -> Result<TokenSealKey, SealError> {
        let active = config
            .active_key
            .as_deref()
            .ok_or_else(|| SealError::Config("vault.active_key is not set".to_owned()))?;
        let key_ref = config.keys.iter().find(|k| k.id == active).ok_or_else(|| {
            SealError::Config(format!("vault.active_key `{active}` is not one of vault.keys"))
        })?;
        let material = key_ref.resolve().map_err(|e| SealError::Config(e.to_string()))?;
        TokenSealKey::derive(active, &material)
    }

    /// A random key, for standalone processes and tests that share nothing across restarts.
    pub fn random() -> TokenSealKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        TokenSealKey {
            key_id: "ephemeral".to_owned(),
            key,
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn cipher(&self) -> Result<Aes256Gcm, SealError> {
        Aes256Gcm::new_from_slice(self.key.as_ref()).map_err(|_| SealError::Seal)
    }

    fn aad(&self, binding: &str) -> Vec<u8> {
        format!("{}|{}|{}", FORMAT_VERSION, self.key_id, binding).into_bytes()
    }

    /// `version | key id length | key id | nonce | ciphertext`, bound to `binding` (the KV key).
    pub fn seal(&self, binding: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(binding);
        let ciphertext = self
            .cipher()?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Seal)?;
        let id = self.key_id.as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + ciphertext.len());
        out.push(FORMAT_VERSION);
        out.push(u8::try_from(id.len()).map_err(|_| SealError::Seal)?);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub fn open(&self, binding: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed("empty"))?;
        if version != FORMAT_VERSION {
            return Err(SealError::Malformed("unknown format version"));
        }
        let (&id_len, rest) = rest.split_first().ok_or(SealError::Malformed("no key id"))?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN {
            return Err(SealError::Malformed("too short"));
        }
        let (id, rest) = rest.split_at(id_len);
        if id != self.key_id.as_bytes() {
            return Err(SealError::UnknownKey(String::from_utf8_lossy(id).into_owned()));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = self.aad(binding);
        self.cipher()?
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek() -> SecretString {
        SecretString::from(STANDARD.encode([7u8; 32]))
    }

    #[test]
    fn sealed_tokens_open_only_under_the_same_key_and_binding() {
        let key = TokenSealKey::derive("k1", &kek()).expect("key derives");
        let sealed = key.seal("t.graph", b"eyJ.secret").expect("seals");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            key.open("t.graph", &sealed).expect("opens").as_slice(),
            b"eyJ.secret"
        );
        assert!(matches!(
            key.open("t.defender_for_endpoint", &sealed),
            Err(SealError::Open)
        ));
        let other = TokenSealKey::derive("k2", &kek()).expect("key derives");
        assert!(matches!(
            other.open("t.graph", &sealed),
            Err(SealError::UnknownKey(_))
        ));
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(key.open("t.graph", &tampered), Err(SealError::Open)));
        assert!(key.open("t.graph", &sealed[..5]).is_err());
        assert!(key.open("t.graph", &[]).is_err());
    }

    #[test]
    fn derivation_is_deterministic_and_rejects_bad_material() {
        let a = TokenSealKey::derive("k1", &kek()).expect("key derives");
        let b = TokenSealKey::derive("k1", &kek()).expect("key derives");
        let sealed = a.seal("x", b"v").expect("seals");
        assert!(b.open("x", &sealed).is_ok());
        assert!(TokenSealKey::derive("k1", &SecretString::from("bm90IDMyIGJ5dGVz")).is_err());
        assert!(TokenSealKey::derive("k1", &SecretString::from("***")).is_err());
        assert!(format!("{a:?}").contains("[redacted]"));
    }
}
