//! The scheduler role: every connected tenant has a sync schedule (nightly by default, spread over
//! a window by a stable per-tenant offset); due slots become `SyncRequested` events on the bus,
//! exactly once per slot, from the one scheduler that holds the lease.

pub mod api;
pub mod cadence;
pub mod connections;
mod convert;
mod error;
pub mod lease;
pub mod notify;
mod role;
mod scheduler;
mod settings;
pub mod store;

pub use api::ScheduleApi;
pub use error::SchedulerError;
pub use lease::{InProcessLease, LeaseError, NatsKvLease, SchedulerLease};
pub use role::{SchedulerDeps, SchedulerRole, start};
pub use scheduler::{REQUESTED_BY, Scheduler, TickOutcome, scheduled_event_id, scheduled_run_id};
pub use settings::{ScheduleDefaults, SchedulerSettings};
