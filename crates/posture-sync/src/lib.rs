//! The sync service: per-entity sync workers that page through Microsoft Graph into the
//! inventory, sync runs that group one pass over a tenant's entity kinds, and the public
//! SyncService and InventoryService gRPC APIs.

pub mod api;
pub mod audit;
pub mod backup;
pub mod canonical;
pub mod connection;
pub mod convert;
pub mod error;
pub mod events;
pub mod failure;
pub mod job;
pub mod kinds;
pub mod metrics;
mod requested;
mod role;
pub mod runs;
pub mod state;
pub mod store;
pub mod tokens;

pub use error::{SYNC_RUN_ACTIVE, SyncError, active_run_of};
pub use role::{SyncDeps, SyncRole, SyncSettings, start};
