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

/// Every activity row naming a purged tenant but the calls that removed its connection: those are
/// the record of who removed and purged it, and when (see `posture_bus::spawn_tenant_purge`; the
/// binary runs it for the gateway). A call that named other tenants too goes with it.
pub const PURGE_TENANT: &[&str] = &[
    "DELETE FROM activity_log_tenants WHERE activity_id IN (SELECT a.id FROM activity_log a \
     JOIN activity_log_tenants t ON t.activity_id = a.id \
     WHERE t.tenant_id = $1 AND a.rpc <> 'posture.v1.TenantConnectionService/DeleteConnection')",
    "DELETE FROM activity_log WHERE rpc <> 'posture.v1.TenantConnectionService/DeleteConnection' \
     AND id NOT IN (SELECT activity_id FROM activity_log_tenants) AND tenant_ids LIKE '%' || $1 || '%'",
];
