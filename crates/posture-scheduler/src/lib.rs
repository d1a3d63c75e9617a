//! The scheduler role: every connected tenant has a sync schedule (nightly by default, spread over
//! a window by a stable per-tenant offset); due slots become `SyncRequested` events on the bus,
//! exactly once per slot, from the one scheduler that holds the lease.

pub mod cadence;
mod convert;
mod error;
pub mod lease;
mod scheduler;
mod settings;
pub mod store;

pub use error::SchedulerError;
pub use scheduler::{REQUESTED_BY, SYNC_REQUESTED, Scheduler, TickOutcome, scheduled_event_id, scheduled_run_id};
pub use settings::{ScheduleDefaults, SchedulerSettings};
