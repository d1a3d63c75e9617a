//! Envelope encryption of connection secrets. Each secret gets a fresh data key (AES-256-GCM); the
//! data key is wrapped by the keyring's active key-encryption key. Both layers authenticate the
//! secret's binding (tenant, connection, kind) as associated data, so a sealed secret copied to
//! another row, tenant or purpose fails to open instead of decrypting into the wrong place.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use posture_kit::ids::{ConnectionId, TenantId};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::keyring::{KEY_LEN, KeyId, KeyMaterial, Keyring, KeyringError};

/// Format version written as the first byte of both blobs, so the scheme can evolve.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// What a secret is for; part of the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    ClientSecret,
    CertificateKey,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::ClientSecret => "client-secret",
            SecretKind::CertificateKey => "certificate-key",
        }
    }
}

/// Where a sealed secret belongs. Opening it under any other binding fails.
#[derive(Clone, Copy, Debug)]
pub struct SecretBinding {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub kind: SecretKind,
}

impl SecretBinding {
    fn associated_data(&self, layer: &str, key_id: Option<&KeyId>) -> Vec<u8> {
        let mut aad = Vec::with_capacity(128);
        // Ids in their text form (lower-case hyphenated), as they were bound when first sealed.
        let tenant_id = self.tenant_id.to_string();
        let connection_id = self.connection_id.to_string();
        for part in [
            "posture.vault.v1",
            layer,
            tenant_id.as_str(),
            connection_id.as_str(),
            self.kind.as_str(),
            key_id.map(KeyId::as_str).unwrap_or(""),
        ] {
            aad.extend_from_slice(part.as_bytes());
            // NUL cannot occur in ids, so the parts cannot be re-split into another binding.
            aad.push(0);
        }
        aad
    }
}

/// What a sealed secret is bound to: its associated data per layer, and the error naming it when
/// it does not open. Connection secrets and webhook signing secrets bind to different things.
pub trait Binding: Copy {
    fn associated_data(&self, layer: &str, key_id: Option<&KeyId>) -> Vec<u8>;
    fn tampered(&self) -> EnvelopeError;
}

impl Binding for SecretBinding {
    fn associated_data(&self, layer: &str, key_id: Option<&KeyId>) -> Vec<u8> {
        SecretBinding::associated_data(self, layer, key_id)
    }

    fn tampered(&self) -> EnvelopeError {
        EnvelopeError::Tampered {
            tenant_id: self.tenant_id,
            connection_id: self.connection_id,
        }
    }
}

/// A webhook subscription's signing secret: bound to its subscription, so a sealed secret copied
/// to another subscription's row fails to open. Webhooks may span tenants, so no tenant is bound.
#[derive(Clone, Copy, Debug)]
pub struct WebhookBinding {
    pub subscription_id: uuid::Uuid,
}

impl Binding for WebhookBinding {
    fn associated_data(&self, layer: &str, key_id: Option<&KeyId>) -> Vec<u8> {
        let subscription_id = self.subscription_id.hyphenated().to_string();
        let mut aad = Vec::with_capacity(96);
        for part in [
            "posture.vault.v1",
            layer,
            "webhook-secret",
            subscription_id.as_str(),
            key_id.map(KeyId::as_str).unwrap_or(""),
        ] {
            aad.extend_from_slice(part.as_bytes());
            aad.push(0);
        }
        aad
    }

    fn tampered(&self) -> EnvelopeError {
        EnvelopeError::TamperedWebhook {
            subscription_id: self.subscription_id,
        }
    }
}

/// A secret as stored: the id of the key that wrapped its data key, the wrapped data key, and the
/// ciphertext. None of it reveals the secret without the keyring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSecret {
    pub key_id: KeyId,
    pub wrapped_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(
        "the stored secret cannot be opened for tenant {tenant_id}, connection {connection_id}: it was sealed for another binding or has been altered"
    )]
    Tampered {
        tenant_id: TenantId,
        connection_id: ConnectionId,
    },
    /// A role key (e.g. the evidence signing key) does not open under its name.
    #[error(
        "the stored role key {name} cannot be opened: it was sealed under another name or has been altered"
    )]
    RoleKeyTampered { name: String },
    #[error(
        "the stored signing secret of webhook subscription {subscription_id} cannot be opened: it was sealed for another subscription or has been altered"
    )]
    TamperedWebhook { subscription_id: uuid::Uuid },
    #[error("the stored secret has an unknown format version {0}")]
    UnknownFormat(u8),
    #[error("encryption failed")]
    Encrypt,
}

/// Seals `plaintext` for `binding` with a fresh data key wrapped by the active key.
pub fn seal<B: Binding>(
    keyring: &Keyring,
    binding: B,
    plaintext: &[u8],
) -> Result<SealedSecret, EnvelopeError> {
    let data_key = Zeroizing::new(random_key());
    let ciphertext = encrypt(&data_key, plaintext, &binding.associated_data("data", None))?;
    let (key_id, kek) = keyring.active();
    let wrapped_key = wrap(kek, key_id, binding, &data_key)?;
    Ok(SealedSecret {
        key_id: key_id.clone(),
        wrapped_key,
        ciphertext,
    })
}

/// Opens a sealed secret; fails with [`EnvelopeError::Tampered`] under any other binding.
pub fn open<B: Binding>(
    keyring: &Keyring,
    binding: B,
    sealed: &SealedSecret,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let data_key = unwrap_key(keyring, binding, sealed)?;
    decrypt(
        &data_key,
        &sealed.ciphertext,
        &binding.associated_data("data", None),
    )
    .map_err(|err| err.with_binding(binding))
}

/// Re-wraps the data key with the active key, leaving the ciphertext untouched; returns `None` when
/// the secret already uses the active key. This is what background key rotation runs per row.
pub fn rewrap<B: Binding>(
    keyring: &Keyring,
    binding: B,
    sealed: &SealedSecret,
) -> Result<Option<SealedSecret>, EnvelopeError> {
    let (active_id, kek) = keyring.active();
    if &sealed.key_id == active_id {
        return Ok(None);
    }
    let data_key = unwrap_key(keyring, binding, sealed)?;
    let wrapped_key = wrap(kek, active_id, binding, &data_key)?;
    Ok(Some(SealedSecret {
        key_id: active_id.clone(),
        wrapped_key,
        ciphertext: sealed.ciphertext.clone(),
    }))
}

/// Associated data of a role key: its own domain, so a connection secret's blob can never be
/// opened as a role key or the other way round.
fn role_key_aad(layer: &str, name: &str, key_id: Option<&KeyId>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(96);
    for part in [
        "posture.vault.role-key.v1",
        layer,
        name,
        key_id.map(KeyId::as_str).unwrap_or(""),
    ] {
        aad.extend_from_slice(part.as_bytes());
        aad.push(0);
    }
    aad
}

/// Seals a key that belongs to the role itself rather than to a connection (the evidence signing
/// key), bound to its `name`, in the same two layers as connection secrets.
pub fn seal_role_key(keyring: &Keyring, name: &str, plaintext: &[u8]) -> Result<SealedSecret, EnvelopeError> {
    let data_key = Zeroizing::new(random_key());
    let ciphertext = encrypt(&data_key, plaintext, &role_key_aad("data", name, None))?;
    let (key_id, kek) = keyring.active();
    let wrapped_key = encrypt(
        kek.bytes(),
        data_key.as_slice(),
        &role_key_aad("key", name, Some(key_id)),
    )?;
    Ok(SealedSecret {
        key_id: key_id.clone(),
        wrapped_key,
        ciphertext,
    })
}

/// Opens a role key sealed by [`seal_role_key`] under the same `name`.
pub fn open_role_key(
    keyring: &Keyring,
    name: &str,
    sealed: &SealedSecret,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let tampered = |failure: OpenFailure| match failure {
        OpenFailure::Format(v) => EnvelopeError::UnknownFormat(v),
        OpenFailure::Authentication => EnvelopeError::RoleKeyTampered {
            name: name.to_owned(),
        },
    };
    let kek = keyring.get(&sealed.key_id)?;
    let raw = decrypt(
        kek.bytes(),
        &sealed.wrapped_key,
        &role_key_aad("key", name, Some(&sealed.key_id)),
    )
    .map_err(tampered)?;
    let data_key: Zeroizing<[u8; KEY_LEN]> =
        Zeroizing::new(
            raw.as_slice()
                .try_into()
                .map_err(|_| EnvelopeError::RoleKeyTampered {
                    name: name.to_owned(),
                })?,
        );
    decrypt(&data_key, &sealed.ciphertext, &role_key_aad("data", name, None)).map_err(tampered)
}

/// Re-wraps a role key's data key with the active key; `None` when it already uses it.
pub fn rewrap_role_key(
    keyring: &Keyring,
    name: &str,
    sealed: &SealedSecret,
) -> Result<Option<SealedSecret>, EnvelopeError> {
    let (active_id, kek) = keyring.active();
    if &sealed.key_id == active_id {
        return Ok(None);
    }
    // The data layer is kept: only the wrapping changes, as for connection secrets.
    let old_kek = keyring.get(&sealed.key_id)?;
    let data_key = decrypt(
        old_kek.bytes(),
        &sealed.wrapped_key,
        &role_key_aad("key", name, Some(&sealed.key_id)),
    )
    .map_err(|_| EnvelopeError::RoleKeyTampered {
        name: name.to_owned(),
    })?;
    let wrapped_key = encrypt(
        kek.bytes(),
        data_key.as_slice(),
        &role_key_aad("key", name, Some(active_id)),
    )?;
    Ok(Some(SealedSecret {
        key_id: active_id.clone(),
        wrapped_key,
        ciphertext: sealed.ciphertext.clone(),
    }))
}

fn wrap<B: Binding>(
    kek: &KeyMaterial,
    key_id: &KeyId,
    binding: B,
    data_key: &[u8; KEY_LEN],
) -> Result<Vec<u8>, EnvelopeError> {
    encrypt(
        kek.bytes(),
        data_key,
        &binding.associated_data("key", Some(key_id)),
    )
}

fn unwrap_key<B: Binding>(
    keyring: &Keyring,
    binding: B,
    sealed: &SealedSecret,
) -> Result<Zeroizing<[u8; KEY_LEN]>, EnvelopeError> {
    let kek = keyring.get(&sealed.key_id)?;
    let raw = decrypt(
        kek.bytes(),
        &sealed.wrapped_key,
        &binding.associated_data("key", Some(&sealed.key_id)),
    )
    .map_err(|err| err.with_binding(binding))?;
    let key: [u8; KEY_LEN] = raw.as_slice().try_into().map_err(|_| binding.tampered())?;
    Ok(Zeroizing::new(key))
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

fn encrypt(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| EnvelopeError::Encrypt)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decryption failure before the binding is known; `with_binding` turns it into a full error.
enum OpenFailure {
    Format(u8),
    Authentication,
}

impl OpenFailure {
    fn with_binding<B: Binding>(self, binding: B) -> EnvelopeError {
        match self {
            OpenFailure::Format(v) => EnvelopeError::UnknownFormat(v),
            OpenFailure::Authentication => binding.tampered(),
        }
    }
}

fn decrypt(key: &[u8; KEY_LEN], blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenFailure> {
    let (&version, rest) = blob.split_first().ok_or(OpenFailure::Authentication)?;
    if version != FORMAT_V1 {
        return Err(OpenFailure::Format(version));
    }
    if rest.len() < NONCE_LEN {
        return Err(OpenFailure::Authentication);
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| OpenFailure::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT_A: &str = "6f1c8a1e-0000-4000-8000-00000000000a";
    const TENANT_B: &str = "6f1c8a1e-0000-4000-8000-00000000000b";
    const C1: &str = "c0000000-0000-4000-8000-000000000001";
    const C2: &str = "c0000000-0000-4000-8000-000000000002";

    fn ring(ids: &[&str]) -> Keyring {
        let keys = ids
            .iter()
            .map(|id| (KeyId::new(*id).expect("id"), KeyMaterial::generate()));
        Keyring::new(keys.collect::<Vec<_>>(), KeyId::new(ids[0]).expect("id")).expect("keyring")
    }

    fn binding(tenant: &str, connection: &str) -> SecretBinding {
        SecretBinding {
            tenant_id: tenant.parse().expect("tenant id"),
            connection_id: connection.parse().expect("connection id"),
            kind: SecretKind::ClientSecret,
        }
    }

    #[test]
    fn webhook_secret_opens_only_under_its_own_subscription() {
        let ring = ring(&["k1"]);
        let own = WebhookBinding {
            subscription_id: uuid::Uuid::new_v4(),
        };
        let other = WebhookBinding {
            subscription_id: uuid::Uuid::new_v4(),
        };
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sealed = seal(&ring, own, secret).expect("seal");
        assert_eq!(open(&ring, own, &sealed).expect("open").as_slice(), secret);
        assert!(matches!(
            open(&ring, other, &sealed),
            Err(EnvelopeError::TamperedWebhook { subscription_id }) if subscription_id == other.subscription_id
        ));
        // Nor does it open as a connection secret.
        assert!(open(&ring, binding(TENANT_A, C1), &sealed).is_err());
    }

    #[test]
    fn sealed_secret_opens_under_its_binding_and_holds_no_plaintext() {
        let ring = ring(&["k1"]);
        let secret = b"Xy8Q~super.secret.value_1234567890";
        let sealed = seal(&ring, binding(TENANT_A, C1), secret).expect("seal");
        assert!(!sealed.ciphertext.windows(secret.len()).any(|w| w == secret));
        let opened = open(&ring, binding(TENANT_A, C1), &sealed).expect("open");
        assert_eq!(opened.as_slice(), secret);
    }

    #[test]
    fn secret_moved_to_another_connection_tenant_or_kind_fails_to_open() {
        let ring = ring(&["k1"]);
        let sealed = seal(&ring, binding(TENANT_A, C1), b"secret").expect("seal");
        for other in [
            binding(TENANT_A, C2),
            binding(TENANT_B, C1),
            SecretBinding {
                kind: SecretKind::CertificateKey,
                ..binding(TENANT_A, C1)
            },
        ] {
            let err = open(&ring, other, &sealed).expect_err("moved secret must not open");
            assert!(matches!(err, EnvelopeError::Tampered { .. }), "{err}");
        }
    }

    #[test]
    fn altered_ciphertext_or_wrapped_key_fails_to_open() {
        let ring = ring(&["k1"]);
        let sealed = seal(&ring, binding(TENANT_A, C1), b"secret").expect("seal");
        let mut flipped = sealed.clone();
        let last = flipped.ciphertext.len() - 1;
        flipped.ciphertext[last] ^= 1;
        assert!(open(&ring, binding(TENANT_A, C1), &flipped).is_err());
        let mut flipped = sealed.clone();
        flipped.wrapped_key[5] ^= 1;
        assert!(open(&ring, binding(TENANT_A, C1), &flipped).is_err());
        let mut truncated = sealed;
        truncated.ciphertext.truncate(3);
        assert!(open(&ring, binding(TENANT_A, C1), &truncated).is_err());
    }

    #[test]
    fn rotation_rewraps_data_key_and_old_key_can_then_be_retired() {
        let mut ring = ring(&["k1"]);
        let sealed = seal(&ring, binding(TENANT_A, C1), b"secret").expect("seal");
        assert!(
            rewrap(&ring, binding(TENANT_A, C1), &sealed)
                .expect("noop")
                .is_none()
        );

        ring.rotate_to(KeyId::new("k2").expect("id"), KeyMaterial::generate());
        // Still readable with the old key while rotation runs.
        assert_eq!(
            open(&ring, binding(TENANT_A, C1), &sealed)
                .expect("open")
                .as_slice(),
            b"secret"
        );
        let rewrapped = rewrap(&ring, binding(TENANT_A, C1), &sealed)
            .expect("rewrap")
            .expect("changed");
        assert_eq!(rewrapped.key_id.as_str(), "k2");
        assert_eq!(rewrapped.ciphertext, sealed.ciphertext);

        ring.retire(&KeyId::new("k1").expect("id")).expect("retire");
        assert_eq!(
            open(&ring, binding(TENANT_A, C1), &rewrapped)
                .expect("open")
                .as_slice(),
            b"secret"
        );
        assert!(matches!(
            open(&ring, binding(TENANT_A, C1), &sealed),
            Err(EnvelopeError::Keyring(KeyringError::UnknownKey(_)))
        ));
    }

    #[test]
    fn associated_data_binds_the_ids_in_their_stored_text_form() {
        // Secrets sealed before the ids were typed were bound to this exact text; it must not move.
        let aad = binding(TENANT_A, C1).associated_data("key", Some(&KeyId::new("k1").expect("id")));
        let expected = format!("posture.vault.v1\0key\0{TENANT_A}\0{C1}\0client-secret\0k1\0");
        assert_eq!(aad, expected.into_bytes());
    }

    #[test]
    fn a_role_key_opens_only_under_its_name_and_survives_rotation() {
        let mut ring = ring(&["k1"]);
        let sealed = seal_role_key(&ring, "evidence-signing:a", b"pkcs8 bytes").expect("seal");
        assert_eq!(
            open_role_key(&ring, "evidence-signing:a", &sealed)
                .expect("open")
                .as_slice(),
            b"pkcs8 bytes"
        );
        assert!(matches!(
            open_role_key(&ring, "evidence-signing:b", &sealed),
            Err(EnvelopeError::RoleKeyTampered { .. })
        ));
        // A connection secret's blob is not a role key.
        let secret = seal(&ring, binding(TENANT_A, C1), b"secret").expect("seal");
        assert!(open_role_key(&ring, "evidence-signing:a", &secret).is_err());
        ring.rotate_to(KeyId::new("k2").expect("id"), KeyMaterial::generate());
        let rewrapped = rewrap_role_key(&ring, "evidence-signing:a", &sealed)
            .expect("rewrap")
            .expect("changed");
        ring.retire(&KeyId::new("k1").expect("id")).expect("retire");
        assert_eq!(
            open_role_key(&ring, "evidence-signing:a", &rewrapped)
                .expect("open")
                .as_slice(),
            b"pkcs8 bytes"
        );
    }

    #[test]
    fn error_messages_name_the_connection_but_never_the_secret() {
        let ring = ring(&["k1"]);
        let sealed = seal(&ring, binding(TENANT_A, C1), b"hunter2-secret").expect("seal");
        let err = open(&ring, binding(TENANT_A, C2), &sealed).expect_err("wrong binding");
        let text = format!("{err} {err:?}");
        assert!(text.contains(C2) && !text.contains("hunter2"));
    }
}
