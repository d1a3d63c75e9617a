//! The role's public gRPC services: SyncService (runs) and InventoryService (objects and
//! versions), with request validation shared between them.

mod inventory;
mod sync;
pub(crate) mod validate;

pub use inventory::InventoryApi;
pub use sync::SyncApi;
