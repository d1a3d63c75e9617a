//! The activity log: every mutating call through the gateway, recorded at the gate with the
//! verified principal, tenants, rpc, result and trace id (append-only, pruned after the
//! retention), and `ActivityService.ListActivity`, which merges those records by time with the
//! secret reads of the credentials role's access log.

pub mod migrations;
mod page;
mod recorder;
mod retention;
mod rpcs;
mod secret_reads;
mod service;
mod store;

pub use recorder::{ActivityRecorder, CallNote, trace_id};
pub use retention::{ActivitySettings, DEFAULT_RETENTION_DAYS, spawn_pruning};
pub use rpcs::{MUTATING_VERBS, READ_VERBS, is_mutating, rpc_name, verb};
pub use service::ActivityApi;
pub use store::{ActivityStore, ActivityStoreError, CallQuery, CallRecord, ResultFilter, Visible};
