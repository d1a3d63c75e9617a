//! The tokens role: client-credentials access tokens per (tenant, Microsoft API), cached and
//! refreshed ahead of expiry with one token request per refresh however many callers and replicas
//! ask; connection tests that report health; a `TokenSource` for the sync workers.

mod broker;
mod cached;
mod connection_test;
pub mod coordinator;
mod error;
mod events;
mod health;
mod key;
mod refusal;
mod role;
mod seal;
mod service;
mod vault;

pub use broker::{BrokerSettings, MAX_MIN_VALID, TokenBroker};
pub use cached::{CachedToken, RefreshPolicy};
pub use connection_test::ConnectionTester;
pub use coordinator::{InProcessCoordinator, NatsKvCoordinator, RefreshCoordinator};
pub use error::TokensError;
pub use health::is_required;
pub use key::TokenKey;
pub use role::{TokensDeps, TokensRole, start};
pub use seal::{SealError, TokenSealKey};
pub use vault::{Vault, VaultConnection};
