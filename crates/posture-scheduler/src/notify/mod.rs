//! Notifications: webhook subscriptions, the events they hear (from the bus), signed deliveries
//! with retries and a dead-letter log. Lives in the scheduler role, the fleet's small clock; the
//! signing secrets live in the vault (credentials role), reached through its internal
//! WebhookSecretService.

pub mod api;
pub mod deliver;
pub mod events;
pub mod expiry;
pub mod payload;
pub mod signing;
pub mod store;
pub mod target;
pub mod vault;

pub use api::NotificationApi;
pub use deliver::{DeliverySettings, SecretError, Sender, WebhookSecrets};
pub use events::Notifier;
pub use signing::{SignatureError, SigningSecret};
pub use store::NotificationStore;
pub use vault::VaultSecrets;
