//! The activity log's tables in the `gateway` schema. One row per recorded call, with its tenants
//! both as text (read back with the row) and as rows of `activity_log_tenants` (for the scope
//! filter). Rows refuse updates (trigger); only the retention task deletes, by age. Instants are
//! integer microseconds, which both engines order and compare alike.

pub const POSTGRES: &str = r#"
CREATE TABLE activity_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    api_key_id TEXT NOT NULL,
    api_key_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    rpc TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    trace_id TEXT NOT NULL,
    tenant_ids TEXT NOT NULL
);
CREATE INDEX activity_log_newest_first ON activity_log (occurred_at DESC, id DESC);
CREATE INDEX activity_log_by_key ON activity_log (api_key_id, occurred_at DESC, id DESC);
CREATE TABLE activity_log_tenants (
    activity_id BIGINT NOT NULL REFERENCES activity_log (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, activity_id)
);
CREATE INDEX activity_log_tenants_activity ON activity_log_tenants (activity_id);
CREATE FUNCTION refuse_activity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER activity_log_append_only BEFORE UPDATE ON activity_log
    FOR EACH ROW EXECUTE FUNCTION refuse_activity_change();
CREATE TRIGGER activity_log_tenants_append_only BEFORE UPDATE ON activity_log_tenants
    FOR EACH ROW EXECUTE FUNCTION refuse_activity_change();
"#;

pub const SQLITE: &str = r#"
CREATE TABLE activity_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    api_key_id TEXT NOT NULL,
    api_key_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    rpc TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    trace_id TEXT NOT NULL,
    tenant_ids TEXT NOT NULL
);
CREATE INDEX activity_log_newest_first ON activity_log (occurred_at DESC, id DESC);
CREATE INDEX activity_log_by_key ON activity_log (api_key_id, occurred_at DESC, id DESC);
CREATE TABLE activity_log_tenants (
    activity_id INTEGER NOT NULL REFERENCES activity_log (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, activity_id)
);
CREATE INDEX activity_log_tenants_activity ON activity_log_tenants (activity_id);
CREATE TRIGGER activity_log_no_update BEFORE UPDATE ON activity_log
BEGIN SELECT RAISE(ABORT, 'activity_log is append-only'); END;
CREATE TRIGGER activity_log_tenants_no_update BEFORE UPDATE ON activity_log_tenants
BEGIN SELECT RAISE(ABORT, 'activity_log_tenants is append-only'); END;
"#;
