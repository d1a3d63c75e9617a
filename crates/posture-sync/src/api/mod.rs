//! The role's public gRPC services: SyncService (runs), InventoryService (objects and versions)
//! and AuditService (audit events), with request validation shared between them.

mod audit;
mod inventory;
mod sync;
pub(crate) mod validate;

pub use audit::AuditApi;
pub use inventory::InventoryApi;
pub use sync::SyncApi;
