//! The `credentials` schema. Secret material exists only as `sealed_secrets.wrapped_key` and
//! `sealed_secrets.ciphertext`; the access log and the deletion audit refuse updates and deletes
//! (triggers), so history cannot be rewritten through SQL. Version 1 needs a script per engine:
//! instants are `TIMESTAMPTZ` on PostgreSQL and fixed-width text on SQLite, and triggers differ.

use posture_kit::db::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration::per_engine(
        1,
        "connections, sealed secrets, health, access log, deletion audit",
        POSTGRES_V1,
        SQLITE_V1,
    ),
    // Connection events are staged here with the change they announce (see `crate::events`).
    posture_bus::outbox::migration(2),
    // The access log is listed newest first by time, across tenants too (the gateway's activity
    // log merges it by time with its own entries).
    Migration::portable(
        3,
        "access log in time order",
        "
        CREATE INDEX credential_access_log_time ON credential_access_log (accessed_at DESC, id DESC);
        CREATE INDEX credential_access_log_tenant_time
            ON credential_access_log (tenant_id, accessed_at DESC, id DESC);
        ",
    ),
    // Custom clouds name Exchange Online's admin API host too (connections made before it have
    // none and use the global host).
    Migration::portable(
        4,
        "exchange online endpoint",
        "ALTER TABLE connections ADD COLUMN exchange_url TEXT;",
    ),
    // The evidence signing keys: the public half in the clear, the private half sealed like a
    // connection secret; at most one active (unretired) key per algorithm, so replicas creating
    // the first key at once end with one.
    Migration::per_engine(5, "evidence signing keys", POSTGRES_V5, SQLITE_V5),
    // Webhook signing secrets of the scheduler's notification subscriptions, sealed like
    // connection secrets but bound to their subscription (webhooks may span tenants).
    Migration::per_engine(
        6,
        "webhook secrets",
        "CREATE TABLE webhook_secrets (
            subscription_id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            wrapped_key BYTEA NOT NULL,
            ciphertext BYTEA NOT NULL
        );",
        "CREATE TABLE webhook_secrets (
            subscription_id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL
        );",
    ),
    // Purges asked for with a connection's deletion, due after the grace period. While one runs
    // (`running`), the append-only history of that tenant, and only that tenant, may be deleted:
    // the purge removes every row naming the tenant, its own last.
    Migration::per_engine(7, "tenant purges", POSTGRES_V7, SQLITE_V7),
    // Tags group tenants: stored as `,a,b,` (sorted; empty without tags) so one `LIKE '%,tag,%'`
    // filters by a tag on both engines (the tag charset has no LIKE wildcard).
    Migration::portable(
        8,
        "connection tags",
        "ALTER TABLE connections ADD COLUMN tags TEXT NOT NULL DEFAULT '';",
    ),
];

const POSTGRES_V7: &str = r#"
CREATE TABLE tenant_purges (
    tenant_id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    purge_at TIMESTAMPTZ NOT NULL,
    running BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX tenant_purges_due ON tenant_purges (purge_at);
DROP TRIGGER credential_access_log_append_only ON credential_access_log;
DROP TRIGGER connection_deletions_append_only ON connection_deletions;
CREATE TRIGGER credential_access_log_append_only BEFORE UPDATE ON credential_access_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER connection_deletions_append_only BEFORE UPDATE ON connection_deletions
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE FUNCTION refuse_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tenant_purges WHERE tenant_id = OLD.tenant_id AND running) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER credential_access_log_no_delete BEFORE DELETE ON credential_access_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_delete();
CREATE TRIGGER connection_deletions_no_delete BEFORE DELETE ON connection_deletions
    FOR EACH ROW EXECUTE FUNCTION refuse_history_delete();
"#;

const SQLITE_V7: &str = r#"
CREATE TABLE tenant_purges (
    tenant_id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    purge_at TEXT NOT NULL,
    running INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tenant_purges_due ON tenant_purges (purge_at);
DROP TRIGGER credential_access_log_no_delete;
DROP TRIGGER connection_deletions_no_delete;
CREATE TRIGGER credential_access_log_no_delete BEFORE DELETE ON credential_access_log
WHEN NOT EXISTS (SELECT 1 FROM tenant_purges WHERE tenant_id = OLD.tenant_id AND running = 1)
BEGIN SELECT RAISE(ABORT, 'credential_access_log is append-only'); END;
CREATE TRIGGER connection_deletions_no_delete BEFORE DELETE ON connection_deletions
WHEN NOT EXISTS (SELECT 1 FROM tenant_purges WHERE tenant_id = OLD.tenant_id AND running = 1)
BEGIN SELECT RAISE(ABORT, 'connection_deletions is append-only'); END;
"#;

const POSTGRES_V5: &str = r#"
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;
"#;

const SQLITE_V5: &str = r#"
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key BLOB NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;
"#;

const POSTGRES_V1: &str = r#"
CREATE TABLE connections (
    tenant_id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    cloud TEXT NOT NULL,
    authority_url TEXT,
    graph_url TEXT,
    defender_url TEXT,
    management_activity_url TEXT,
    auth_method TEXT NOT NULL,
    credential_version BIGINT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    certificate_thumbprint TEXT,
    certificate_subject TEXT,
    certificate_pem TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX connections_expires_at ON connections (expires_at);

CREATE TABLE sealed_secrets (
    tenant_id TEXT PRIMARY KEY REFERENCES connections (tenant_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    credential_version BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);
CREATE INDEX sealed_secrets_key_id ON sealed_secrets (key_id);

CREATE TABLE connection_health (
    tenant_id TEXT PRIMARY KEY REFERENCES connections (tenant_id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    detail BYTEA,
    checked_at TIMESTAMPTZ,
    credential_version BIGINT NOT NULL
);
CREATE INDEX connection_health_state ON connection_health (state);

CREATE TABLE credential_access_log (
    id BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    caller TEXT NOT NULL,
    purpose TEXT NOT NULL,
    credential_version BIGINT NOT NULL,
    trace_id TEXT NOT NULL,
    accessed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX credential_access_log_tenant ON credential_access_log (tenant_id, id DESC);

CREATE TABLE connection_deletions (
    id BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    credential_version BIGINT NOT NULL,
    deleted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER credential_access_log_append_only BEFORE UPDATE OR DELETE ON credential_access_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER connection_deletions_append_only BEFORE UPDATE OR DELETE ON connection_deletions
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
"#;

const SQLITE_V1: &str = r#"
CREATE TABLE connections (
    tenant_id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    cloud TEXT NOT NULL,
    authority_url TEXT,
    graph_url TEXT,
    defender_url TEXT,
    management_activity_url TEXT,
    auth_method TEXT NOT NULL,
    credential_version INTEGER NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    certificate_thumbprint TEXT,
    certificate_subject TEXT,
    certificate_pem TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX connections_expires_at ON connections (expires_at);

CREATE TABLE sealed_secrets (
    tenant_id TEXT PRIMARY KEY REFERENCES connections (tenant_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    credential_version INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);
CREATE INDEX sealed_secrets_key_id ON sealed_secrets (key_id);

CREATE TABLE connection_health (
    tenant_id TEXT PRIMARY KEY REFERENCES connections (tenant_id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    detail BLOB,
    checked_at TEXT,
    credential_version INTEGER NOT NULL
);
CREATE INDEX connection_health_state ON connection_health (state);

CREATE TABLE credential_access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    caller TEXT NOT NULL,
    purpose TEXT NOT NULL,
    credential_version INTEGER NOT NULL,
    trace_id TEXT NOT NULL,
    accessed_at TEXT NOT NULL
);
CREATE INDEX credential_access_log_tenant ON credential_access_log (tenant_id, id DESC);

CREATE TABLE connection_deletions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    credential_version INTEGER NOT NULL,
    deleted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);

CREATE TRIGGER credential_access_log_no_update BEFORE UPDATE ON credential_access_log
BEGIN SELECT RAISE(ABORT, 'credential_access_log is append-only'); END;
CREATE TRIGGER credential_access_log_no_delete BEFORE DELETE ON credential_access_log
BEGIN SELECT RAISE(ABORT, 'credential_access_log is append-only'); END;
CREATE TRIGGER connection_deletions_no_update BEFORE UPDATE ON connection_deletions
BEGIN SELECT RAISE(ABORT, 'connection_deletions is append-only'); END;
CREATE TRIGGER connection_deletions_no_delete BEFORE DELETE ON connection_deletions
BEGIN SELECT RAISE(ABORT, 'connection_deletions is append-only'); END;
"#;
