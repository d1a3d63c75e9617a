//! Builds a [`PostureConfig`] from its layers. The process environment is an explicit input so
//! tests can layer variables without touching (and racing on) the real environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ::config::{Config, Environment, File, FileFormat};

use super::{ConfigError, PostureConfig};

/// Environment variables `POSTURE__DATABASE__URL` set `database.url`.
pub const ENV_PREFIX: &str = "POSTURE";
/// Separates the prefix, section and key: `POSTURE__GRPC__LISTEN`.
pub const ENV_SEPARATOR: &str = "__";

#[derive(Debug, Default, Clone)]
pub struct ConfigLoader {
    file: Option<PathBuf>,
    env: HashMap<String, String>,
    overrides: Vec<(String, String)>,
}

impl ConfigLoader {
    /// A loader with no file, no environment and no overrides: built-in defaults only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A loader that reads the process environment.
    pub fn from_process_env() -> Self {
        Self::new().env_vars(std::env::vars())
    }

    /// The `--config` file; it must exist when given.
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Environment variables to consider; only `POSTURE__*` ones are used.
    pub fn env_vars(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env
            .extend(vars.into_iter().filter(|(name, _)| name.starts_with("POSTURE__")));
        self
    }

    /// A flag override such as `("services", "sync,tokens")` or `("grpc.listen", "0.0.0.0:7600")`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    pub fn overrides(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.overrides.extend(pairs);
        self
    }

    /// Merges the layers and deserializes, without validating.
    pub fn load_unvalidated(self) -> Result<PostureConfig, ConfigError> {
        let mut builder = Config::builder();
        if let Some(path) = &self.file {
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml).required(true));
        }
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .prefix_separator(ENV_SEPARATOR)
                .separator(ENV_SEPARATOR)
                .ignore_empty(true)
                .source(Some(self.env.into_iter().collect())),
        );
        for (key, value) in self.overrides {
            builder = builder.set_override(key, value)?;
        }
        // Defaults are the serde defaults of each section: whatever no layer sets keeps them.
        Ok(builder.build()?.try_deserialize()?)
    }

    /// Merges the layers, deserializes and validates.
    pub fn load(self) -> Result<PostureConfig, ConfigError> {
        let config = self.load_unvalidated()?;
        config.validate()?;
        Ok(config)
    }
}
