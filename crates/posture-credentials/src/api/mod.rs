//! The role's gRPC services: the public connection service, the internal vault and the internal
//! signing service.

mod connections;
mod paging;
mod signing;
mod test;
mod vault;
mod webhook_secrets;

pub use connections::ConnectionApi;
pub use signing::SigningApi;
pub use vault::VaultApi;
pub use webhook_secrets::WebhookSecretApi;
