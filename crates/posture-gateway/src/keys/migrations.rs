//! The gateway's schema: API keys, stored by hash (the tenant scope is a comma-separated list of
//! canonical GUIDs in the row itself, so authenticating a call is one primary-key read), and the
//! activity log (its tables are in `crate::activity::migrations`).

use posture_kit::db::Migration;

pub const SCHEMA: &str = "gateway";

pub const MIGRATIONS: &[Migration] = &[
    Migration::per_engine(
        1,
        "api keys",
        "
        CREATE TABLE api_keys (
            api_key_id   UUID PRIMARY KEY,
            display_name TEXT NOT NULL,
            role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            all_tenants  BOOLEAN NOT NULL,
            tenant_ids   TEXT NOT NULL,
            key_hash     BYTEA NOT NULL CHECK (length(key_hash) = 32),
            key_prefix   TEXT NOT NULL,
            created_by   TEXT NOT NULL,
            created_at   TIMESTAMPTZ NOT NULL,
            expires_at   TIMESTAMPTZ,
            last_used_at TIMESTAMPTZ,
            revoked_at   TIMESTAMPTZ
        );
        CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys (display_name) WHERE revoked_at IS NULL;
        CREATE INDEX api_keys_newest_first ON api_keys (created_at DESC, api_key_id DESC);
    ",
        "
        CREATE TABLE api_keys (
            api_key_id   BLOB PRIMARY KEY,
            display_name TEXT NOT NULL,
            role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            all_tenants  INTEGER NOT NULL,
            tenant_ids   TEXT NOT NULL,
            key_hash     BLOB NOT NULL CHECK (length(key_hash) = 32),
            key_prefix   TEXT NOT NULL,
            created_by   TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            expires_at   TEXT,
            last_used_at TEXT,
            revoked_at   TEXT
        );
        CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys (display_name) WHERE revoked_at IS NULL;
        CREATE INDEX api_keys_newest_first ON api_keys (created_at DESC, api_key_id DESC);
    ",
    ),
    Migration::per_engine(
        2,
        "activity log",
        crate::activity::migrations::POSTGRES,
        crate::activity::migrations::SQLITE,
    ),
];
