//! The `assessment` schema. One script serves both engines: instants are BIGINT microseconds,
//! structured parts (counts, scores, evidence, references) are JSON text the store alone reads.
//! The outbox table is posture-bus's.

use posture_bus::outbox;
use posture_kit::db::Migration;

const TABLES: &str = "
CREATE TABLE assessments (
    assessment_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    state INTEGER NOT NULL,
    trigger INTEGER NOT NULL,
    requested_by TEXT NOT NULL,
    sync_run_id TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    scores TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    requested_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT
);
-- At most one PENDING or RUNNING assessment per tenant, enforced by the database so two starts
-- racing each other cannot both win.
CREATE UNIQUE INDEX assessments_one_active ON assessments (tenant_id) WHERE state IN (1, 2);
-- One assessment per completed sync run: a redelivered SyncRunCompleted finds the first one.
CREATE UNIQUE INDEX assessments_per_run ON assessments (tenant_id, sync_run_id) WHERE trigger = 1;
CREATE INDEX assessments_by_tenant ON assessments (tenant_id, requested_at);
CREATE TABLE findings (
    assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    control_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity INTEGER NOT NULL,
    refs TEXT NOT NULL,
    frameworks TEXT NOT NULL,
    result INTEGER NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    evidence_total BIGINT NOT NULL,
    accepted BOOLEAN NOT NULL,
    exception_ids TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, control_id)
);
CREATE TABLE exceptions (
    exception_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    control_id TEXT NOT NULL,
    object_ids TEXT NOT NULL,
    reason TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX exceptions_by_tenant ON exceptions (tenant_id, expires_at);
-- Append-only: who created or withdrew which exception, when and why, with the exception as it
-- stood. Nothing updates or deletes these rows.
CREATE TABLE exception_audit (
    audit_id TEXT PRIMARY KEY,
    exception_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX exception_audit_by_exception ON exception_audit (exception_id, at);
CREATE TABLE tenant_settings (
    tenant_id TEXT PRIMARY KEY,
    emergency_access_accounts TEXT NOT NULL,
    parameters TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
";

/// Baselines, where they are applied, and drift from them.
const DRIFT: &str = "
CREATE TABLE baselines (
    baseline_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    source_tenant_id TEXT NOT NULL,
    entity_kinds TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX baselines_by_source ON baselines (source_tenant_id, created_at);
-- The pinned objects with their content as synced, so a baseline outlives changes to (or the
-- removal of) its source tenant.
CREATE TABLE baseline_pins (
    baseline_id TEXT NOT NULL REFERENCES baselines (baseline_id) ON DELETE CASCADE,
    entity_kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    version BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (baseline_id, entity_kind, object_id)
);
-- One baseline per tenant: applying another replaces it.
CREATE TABLE baseline_targets (
    tenant_id TEXT PRIMARY KEY,
    baseline_id TEXT NOT NULL REFERENCES baselines (baseline_id),
    overrides TEXT NOT NULL,
    applied_by TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);
CREATE INDEX baseline_targets_by_baseline ON baseline_targets (baseline_id);
CREATE TABLE drift_items (
    drift_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    baseline_id TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    match_key TEXT NOT NULL,
    object_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    kind INTEGER NOT NULL,
    json_patch TEXT NOT NULL,
    baseline_version BIGINT NOT NULL,
    current_version BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    state INTEGER NOT NULL,
    state_comment TEXT NOT NULL,
    state_changed_by TEXT NOT NULL,
    state_changed_at BIGINT,
    accepted_until BIGINT,
    changed_by TEXT NOT NULL,
    changed_at BIGINT,
    detected_at BIGINT NOT NULL,
    resolved_at BIGINT
);
-- At most one open item per object and baseline: a detection updates it rather than adding one.
CREATE UNIQUE INDEX drift_items_open ON drift_items (tenant_id, baseline_id, entity_kind, match_key)
    WHERE resolved_at IS NULL;
CREATE INDEX drift_items_by_tenant ON drift_items (tenant_id, detected_at);
";

pub const MIGRATIONS: &[Migration] = &[
    Migration::portable(
        1,
        "assessments, findings, exceptions with their audit, tenant settings",
        TABLES,
    ),
    // AssessmentCompleted of assessments finished where no redelivery would announce them again.
    outbox::migration(2),
    // Verdicts of frameworks that judge a control differently from its result (JSON, `[]` when
    // every referenced framework agrees).
    Migration::portable(
        3,
        "per-framework results of findings",
        "ALTER TABLE findings ADD COLUMN framework_results TEXT NOT NULL DEFAULT '[]';",
    ),
    // Security signals counted in the judged inventory (JSON, `{}` before they were counted).
    Migration::portable(
        4,
        "security signals of assessments",
        "ALTER TABLE assessments ADD COLUMN signals TEXT NOT NULL DEFAULT '{}';",
    ),
    Migration::portable(5, "baselines, their targets and drift", DRIFT),
];
