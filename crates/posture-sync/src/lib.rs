//! The sync service: per-entity sync workers that page through Microsoft Graph into the
//! inventory, sync runs that group one pass over a tenant's entity kinds, and the public
//! SyncService and InventoryService gRPC APIs.

pub mod canonical;
pub mod kinds;
pub mod store;
