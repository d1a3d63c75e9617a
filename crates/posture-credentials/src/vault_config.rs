//! Builds the vault's [`Keyring`] from the `vault` configuration section, which names where each
//! key lives (environment variable or file) and which key is active.

use posture_kit::config::{ResolveKeyError, VaultConfig};
use secrecy::ExposeSecret;

use crate::keyring::{KeyId, KeyMaterial, Keyring, KeyringError};

#[derive(Debug, thiserror::Error)]
pub enum VaultConfigError {
    #[error(
        "no vault keys are configured: add [[vault.keys]] entries (id and env or file holding `openssl rand -base64 32`) and set vault.active_key"
    )]
    NoKeys,
    #[error("vault.active_key is not set: name the key new secrets are sealed with")]
    NoActiveKey,
    #[error("vault key `{0}` is listed twice in vault.keys")]
    DuplicateKey(String),
    #[error(transparent)]
    Resolve(#[from] ResolveKeyError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

/// Reads every configured key and returns the keyring; the active key must be among them.
pub fn keyring_from_config(config: &VaultConfig) -> Result<Keyring, VaultConfigError> {
    if config.keys.is_empty() {
        return Err(VaultConfigError::NoKeys);
    }
    let active = config
        .active_key
        .as_deref()
        .ok_or(VaultConfigError::NoActiveKey)?;
    let mut keys = Vec::with_capacity(config.keys.len());
    for key_ref in &config.keys {
        let id = KeyId::new(key_ref.id.trim())?;
        if keys.iter().any(|(existing, _)| existing == &id) {
            return Err(VaultConfigError::DuplicateKey(id.to_string()));
        }
        let encoded = key_ref.resolve()?;
        let material = KeyMaterial::from_base64(&id, encoded.expose_secret())?;
        keys.push((id, material));
    }
    Ok(Keyring::new(keys, KeyId::new(active.trim())?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_kit::config::KeyRef;

    fn file_key(dir: &std::path::Path, id: &str, content: &str) -> KeyRef {
        let path = dir.join(id);
        std::fs::write(&path, content).expect("write key file");
        KeyRef {
            id: id.to_owned(),
            env: None,
            file: Some(path),
        }
    }

    #[test]
    fn keys_are_read_from_files_and_the_active_one_is_chosen() {
        let dir = std::env::temp_dir().join(format!("posture-vault-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let k1 = KeyMaterial::generate();
        let k2 = KeyMaterial::generate();
        let config = VaultConfig {
            keys: vec![
                file_key(&dir, "k1", &format!("{}\n", k1.to_base64().as_str())),
                file_key(&dir, "k2", k2.to_base64().as_str()),
            ],
            active_key: Some("k2".to_owned()),
        };
        let ring = keyring_from_config(&config).expect("keyring");
        assert_eq!(ring.active_id().as_str(), "k2");
        assert_eq!(ring.key_ids().count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn configuration_mistakes_are_named_clearly() {
        let empty = VaultConfig::default();
        assert!(matches!(
            keyring_from_config(&empty),
            Err(VaultConfigError::NoKeys)
        ));

        let missing_env = VaultConfig {
            keys: vec![KeyRef {
                id: "k1".into(),
                env: Some("POSTURE_TEST_VAULT_KEY_THAT_IS_NOT_SET".into()),
                file: None,
            }],
            active_key: Some("k1".into()),
        };
        let err = keyring_from_config(&missing_env).expect_err("unset variable");
        assert!(
            err.to_string().contains("POSTURE_TEST_VAULT_KEY_THAT_IS_NOT_SET"),
            "{err}"
        );

        let dir = std::env::temp_dir().join(format!("posture-vault-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let short = VaultConfig {
            keys: vec![file_key(&dir, "k1", "c2hvcnQ=")],
            active_key: Some("k1".into()),
        };
        let err = keyring_from_config(&short).expect_err("short key");
        assert!(err.to_string().contains("not 32 bytes"), "{err}");

        let wrong_active = VaultConfig {
            keys: vec![file_key(&dir, "k2", KeyMaterial::generate().to_base64().as_str())],
            active_key: Some("k9".into()),
        };
        let err = keyring_from_config(&wrong_active).expect_err("unknown active key");
        assert!(err.to_string().contains("k9"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
