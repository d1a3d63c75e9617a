//! The evidence signing key: an Ed25519 key generated on first use, its private half (PKCS#8)
//! sealed with the vault's keyring under its key id and opened only to sign inside this role.
//! Rotating the vault keyring re-wraps it with the connection secrets ([`crate::rotation`]).

use posture_kit::evidence::key_id;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use zeroize::Zeroizing;

use crate::core::Core;
use crate::envelope::{EnvelopeError, open_role_key, seal_role_key};
use crate::error::CredentialsError;
use crate::store::SigningKeyRow;

/// Largest payload signed (a manifest of a very large tenant stays far below it).
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// The name a signing key is sealed under: a sealed key moved to another row does not open.
pub(crate) fn sealed_name(key_id: &str) -> String {
    format!("evidence-signing:{key_id}")
}

fn key_error(what: &str) -> CredentialsError {
    CredentialsError::Unavailable {
        what: "the evidence signing key".to_owned(),
        reason: what.to_owned(),
    }
}

/// The active signing key, generated and stored on the first call.
pub(crate) async fn active_key(core: &Core) -> Result<SigningKeyRow, CredentialsError> {
    if let Some(key) = core.store.active_signing_key().await? {
        return Ok(key);
    }
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| key_error("the system's random source failed"))?;
    let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| key_error("a generated key did not load"))?;
    let public_key = pair.public_key().as_ref().to_vec();
    let id = key_id(&public_key);
    let sealed = seal_role_key(&core.keyring, &sealed_name(&id), &pkcs8)?;
    let key = SigningKeyRow {
        key_id: id,
        public_key,
        sealed,
        created_at: core.now(),
        retired_at: None,
    };
    if core.store.insert_signing_key(&key).await? {
        tracing::info!(key_id = %key.key_id, "evidence signing key created");
        return Ok(key);
    }
    // Another replica created the first key at the same moment: use that one.
    core.store
        .active_signing_key()
        .await?
        .ok_or_else(|| key_error("the key another replica created cannot be read; retry"))
}

/// Signs `payload` with `key`.
pub(crate) fn sign(core: &Core, key: &SigningKeyRow, payload: &[u8]) -> Result<Vec<u8>, CredentialsError> {
    let name = sealed_name(&key.key_id);
    let pkcs8 = open_role_key(&core.keyring, &name, &key.sealed)?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| EnvelopeError::RoleKeyTampered { name: name.clone() })?;
    if pair.public_key().as_ref() != key.public_key.as_slice() {
        return Err(EnvelopeError::RoleKeyTampered { name }.into());
    }
    Ok(pair.sign(payload).as_ref().to_vec())
}
