//! The credentials service: tenant connections and the secret vault. Secrets are sealed with
//! envelope encryption bound to their tenant and connection; no public API ever returns one.

pub mod envelope;
pub mod keyring;

pub use envelope::{EnvelopeError, SealedSecret, SecretBinding, SecretKind, open, rewrap, seal};
pub use keyring::{KeyId, KeyMaterial, Keyring, KeyringError};
