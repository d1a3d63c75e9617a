//! Every configuration shipped in deploy/config must load and validate, so examples cannot rot.

use std::path::PathBuf;

use posture_kit::config::{ConfigLoader, VaultConfig};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/config")
}

#[test]
fn every_shipped_example_config_loads_and_validates() {
    let dir = example_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no example configs in {}", dir.display());
    for file in &files {
        let config = ConfigLoader::new()
            .file(file)
            .load()
            .unwrap_or_else(|e| panic!("{} does not load: {e}", file.display()));
        // The rendered form must load again: `posture config show` output is a valid config.
        let rendered = config
            .redacted()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let copy = tempfile::NamedTempFile::with_suffix(".toml").expect("temp file");
        std::fs::write(copy.path(), rendered).expect("write");
        ConfigLoader::new()
            .file(copy.path())
            .load()
            .unwrap_or_else(|e| panic!("rendered {} does not load: {e}", file.display()));
    }
}

#[test]
fn standalone_example_matches_the_built_in_defaults() {
    let file = example_dir().join("standalone.toml");
    let mut from_file = ConfigLoader::new().file(&file).load().expect("standalone loads");
    let defaults = ConfigLoader::new().load().expect("defaults load");
    // The example names a vault key file; the built-in defaults have no keyring.
    assert_eq!(from_file.vault.keys.len(), 1);
    from_file.vault = VaultConfig::default();
    let from_file_toml = from_file.redacted().expect("render");
    let defaults_toml = defaults.redacted().expect("render");
    assert_eq!(from_file_toml, defaults_toml);
}
