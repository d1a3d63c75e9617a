//! The role's gRPC services: the public connection service and the internal vault.

mod connections;
mod paging;
mod test;
mod vault;

pub use connections::ConnectionApi;
pub use vault::VaultApi;
