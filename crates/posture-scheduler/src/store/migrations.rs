//! The scheduler schema's migrations: one table, one row per tenant. Instants are seconds since
//! the Unix epoch, which both engines order and compare the same way, so every script is portable.

use posture_kit::db::Migration;

const SCHEDULES: &str = "
CREATE TABLE schedules (
    tenant_id TEXT PRIMARY KEY,
    enabled BOOLEAN NOT NULL,
    cadence TEXT NOT NULL,
    daily_minute BIGINT NOT NULL,
    interval_secs BIGINT NOT NULL,
    window_secs BIGINT NOT NULL,
    entity_kinds TEXT NOT NULL,
    next_run_at BIGINT NOT NULL,
    last_slot BIGINT NOT NULL,
    last_triggered_at BIGINT,
    last_run_id TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT
);
CREATE INDEX schedules_by_next_run ON schedules (next_run_at, tenant_id);
";

/// Applied in order under the kit's migration lock; an applied script never changes (its checksum
/// is verified), so fixes go into a new version.
pub const MIGRATIONS: &[Migration] = &[Migration::portable(1, "schedules", SCHEDULES)];
