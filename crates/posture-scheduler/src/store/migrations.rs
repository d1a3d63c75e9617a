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
pub const MIGRATIONS: &[Migration] = &[
    Migration::portable(1, "schedules", SCHEDULES),
    Migration::portable(2, "notification subscriptions and deliveries", NOTIFICATIONS),
    // How many days ahead a subscription hears of an expiring credential.
    Migration::portable(
        3,
        "notification secret expiry window",
        "ALTER TABLE notification_subscriptions ADD COLUMN credential_expiry_days BIGINT NOT NULL DEFAULT 0;",
    ),
    // The lowest severity of a newly failing control a subscription hears of (0: high).
    Migration::portable(
        4,
        "notification control severity",
        "ALTER TABLE notification_subscriptions ADD COLUMN min_severity BIGINT NOT NULL DEFAULT 0;",
    ),
];

/// Webhook subscriptions (their secrets live in the vault), the delivery log (pending, delivered
/// and dead letters; one row per event and subscription, so a redelivered event adds none), and
/// each tenant's run of failed syncs. Delivery instants are milliseconds since the Unix epoch:
/// retries back off from seconds upwards and tests from milliseconds.
const NOTIFICATIONS: &str = "
CREATE TABLE notification_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    url TEXT NOT NULL,
    format TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    events TEXT NOT NULL,
    sync_failure_threshold BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE notification_deliveries (
    delivery_id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    last_status BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NOT NULL,
    delivered_at_ms BIGINT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_attempt_at_ms);
CREATE INDEX notification_deliveries_by_subscription
    ON notification_deliveries (subscription_id, created_at_ms DESC);
CREATE TABLE notification_sync_streaks (
    tenant_id TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_run_id TEXT NOT NULL
);
";
