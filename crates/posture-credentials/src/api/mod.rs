//! The role's gRPC services: the public connection service and the internal vault.

mod connections;
mod paging;
mod test;
mod vault;
mod webhook_secrets;

pub use connections::ConnectionApi;
pub use vault::VaultApi;
pub use webhook_secrets::WebhookSecretApi;
