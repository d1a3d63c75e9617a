//! What `posture standalone` and `posture demo` do on a first run so that nothing has to be set up
//! by hand: create the SQLite data folder and a vault key file. Distributed roles never do this: a
//! missing key there is a configuration error, not something to paper over.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use posture_credentials::KeyMaterial;
use posture_kit::PostureConfig;
use secrecy::ExposeSecret;

/// The vault key standalone uses when the configuration names none (as deploy/config/standalone.toml).
const DEFAULT_KEY_ID: &str = "local-1";
const DEFAULT_KEY_FILE: &str = "posture-data/vault-key-1";

pub fn prepare_standalone(config: &mut PostureConfig) -> anyhow::Result<()> {
    if config.vault.keys.is_empty() {
        config.vault.keys = vec![posture_kit::config::KeyRef {
            id: DEFAULT_KEY_ID.to_owned(),
            env: None,
            file: Some(DEFAULT_KEY_FILE.into()),
        }];
        config.vault.active_key = Some(DEFAULT_KEY_ID.to_owned());
    }
    ensure_sqlite_folder(config)?;
    for key in &config.vault.keys {
        let Some(file) = &key.file else { continue };
        if file.exists() {
            continue;
        }
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write_private(file, KeyMaterial::generate().to_base64().as_bytes())
            .with_context(|| format!("cannot write the vault key file {}", file.display()))?;
        tracing::warn!(
            key = %key.id,
            file = %file.display(),
            "generated a new vault key; back it up: stored secrets cannot be decrypted without it"
        );
    }
    Ok(())
}

/// Creates the folder of a SQLite database; nothing for PostgreSQL.
pub fn ensure_sqlite_folder(config: &PostureConfig) -> anyhow::Result<()> {
    if let Some(path) = config.database.url.expose_secret().strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the data folder {}", parent.display()))?;
        }
    }
    Ok(())
}

/// Creates `path` readable by its owner only, failing if it already exists.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_kit::config::KeyRef;

    #[test]
    fn first_run_creates_data_folder_and_a_private_vault_key_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = PostureConfig::default();
        config.database.url = format!("sqlite://{}/data/posture.db", dir.path().display()).into();
        let key_file = dir.path().join("keys/vault-key-1");
        config.vault.keys = vec![KeyRef {
            id: "local-1".into(),
            env: None,
            file: Some(key_file.clone()),
        }];

        prepare_standalone(&mut config).expect("first run");
        assert!(dir.path().join("data").is_dir());
        let first = std::fs::read_to_string(&key_file).expect("key written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        prepare_standalone(&mut config).expect("second run");
        assert_eq!(
            std::fs::read_to_string(&key_file).expect("key kept"),
            first,
            "an existing key is never replaced"
        );
    }
}
