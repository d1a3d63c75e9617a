//! The `sync` schema: the inventory, runs and cursors in one script both engines run (instants as
//! BIGINT microseconds), then the transactional outbox.

use posture_kit::db::Migration;

const TABLES: &str = "
CREATE TABLE objects (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    state_hash TEXT NOT NULL,
    version BIGINT NOT NULL,
    removed BOOLEAN NOT NULL,
    removed_at BIGINT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    last_run_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, object_id)
);
CREATE TABLE object_versions (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    removed BOOLEAN NOT NULL,
    observed_at BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, object_id, version)
);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    trigger INTEGER NOT NULL,
    requested_by TEXT NOT NULL,
    state INTEGER NOT NULL,
    requested_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
-- At most one active (PENDING or RUNNING) run per tenant, enforced by the database so two
-- StartSync calls racing each other cannot both win.
CREATE UNIQUE INDEX runs_one_active ON runs (tenant_id) WHERE state IN (1, 2);
CREATE INDEX runs_by_tenant ON runs (tenant_id, requested_at);
CREATE INDEX runs_by_time ON runs (requested_at);
CREATE TABLE run_entities (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state INTEGER NOT NULL,
    added BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    pages BIGINT NOT NULL DEFAULT 0,
    attempt BIGINT NOT NULL DEFAULT 0,
    error_class INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    error_permissions TEXT NOT NULL DEFAULT '',
    error_endpoint TEXT NOT NULL DEFAULT '',
    error_http INTEGER NOT NULL DEFAULT 0,
    started_at BIGINT,
    finished_at BIGINT,
    PRIMARY KEY (run_id, kind)
);
CREATE TABLE cursors (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_id TEXT,
    next_link TEXT,
    delta_link TEXT,
    complete_pass BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant_id, kind)
);
";

/// Audit events are a separate, append-only store (see `store/audit.rs`): one row per record and
/// source, never updated, pruned by age; and one row per tenant and stream saying up to when the
/// stream is complete.
const AUDIT: &str = "
CREATE TABLE audit_events (
    tenant_id TEXT NOT NULL,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    operation TEXT NOT NULL,
    user_name TEXT NOT NULL,
    workload TEXT NOT NULL,
    result TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    raw TEXT NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, source, record_id)
);
CREATE INDEX audit_events_by_time ON audit_events (tenant_id, occurred_at);
CREATE INDEX audit_events_by_age ON audit_events (occurred_at);
CREATE TABLE audit_streams (
    tenant_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    complete_until BIGINT,
    last_read_at BIGINT,
    last_error TEXT,
    PRIMARY KEY (tenant_id, stream)
);
";

/// The ids of the objects an audit event names (Entra's `targetResources`, Management
/// Activity's `ObjectId`), lower-case and space-delimited (` a b `), so the changes to one
/// object can be found: drift asks who changed what.
const AUDIT_TARGETS: &str = "ALTER TABLE audit_events ADD COLUMN targets TEXT NOT NULL DEFAULT '';";

pub const MIGRATIONS: &[Migration] = &[
    Migration::portable(1, "inventory, versions, runs, entity status, cursors", TABLES),
    posture_bus::outbox::migration(2),
    Migration::portable(3, "audit events and stream cursors", AUDIT),
    Migration::portable(4, "the objects each audit event names", AUDIT_TARGETS),
];
