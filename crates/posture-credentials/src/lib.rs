//! The credentials service: tenant connections and the secret vault. Secrets are sealed with
//! envelope encryption bound to their tenant and connection; no public API ever returns one.

mod api;
mod certificate;
pub mod cloud;
mod convert;
mod core;
pub mod domain;
pub mod envelope;
mod error;
mod events;
mod health;
pub mod keyring;
pub mod metrics;
mod purge;
mod role;
pub mod rotation;
mod signing;
pub mod store;
mod validate;
mod vault_config;

pub use api::{ConnectionApi, SigningApi, VaultApi};
pub use core::CredentialsSettings;
pub use envelope::{
    Binding, EnvelopeError, SealedSecret, SecretBinding, SecretKind, WebhookBinding, open, rewrap, seal,
};
pub use error::CredentialsError;
pub use keyring::{KeyId, KeyMaterial, Keyring, KeyringError};
pub use metrics::FleetMetrics;
pub use role::{CredentialsDeps, CredentialsRole, start};
pub use rotation::{RewrapReport, rewrap_all};
pub use store::{CredentialStore, StoreError};
pub use vault_config::{VaultConfigError, keyring_from_config};
