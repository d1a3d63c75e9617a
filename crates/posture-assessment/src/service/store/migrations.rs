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
];
