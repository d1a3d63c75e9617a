//! [`ApiKeyStore`]: API key rows in the `gateway` schema, on PostgreSQL or SQLite. The SQL text is
//! shared (both accept `$n` parameters); only the pool type differs, so each query is written once
//! and run through [`on_backend!`].

use std::collections::BTreeSet;

use chrono::{DateTime, SubsecRound, Utc};
use posture_kit::db::{Db, SqlFailure};
use posture_kit::ids::{ApiKeyId, TenantId};
use posture_kit::on_backend;
use sqlx::{ColumnIndex, Decode, Row, Type};
use uuid::Uuid;

use crate::auth::{AccessRole, TenantScope};

/// A key's metadata as stored (never the key).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub display_name: String,
    pub role: AccessRole,
    pub scope: TenantScope,
    pub key_prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// A row with the hash the presented key is compared against.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub record: ApiKeyRecord,
    pub key_hash: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an unrevoked API key named `{0}` already exists")]
    DuplicateName(String),
    #[error("stored API key `{id}` is unreadable: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("API key store failed while {context}: {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

fn query_err(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}

/// Where a page of keys continues: after this (created_at, id), newest first.
pub type KeyCursor = (DateTime<Utc>, ApiKeyId);

const COLUMNS: &str = "api_key_id, display_name, role, all_tenants, tenant_ids, key_hash, key_prefix, \
     created_by, created_at, expires_at, last_used_at, revoked_at";

const INSERT: &str = "INSERT INTO api_keys (api_key_id, display_name, role, all_tenants, tenant_ids, \
     key_hash, key_prefix, created_by, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    db: Db,
}

impl ApiKeyStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stores a new key. Timestamps are cut to microseconds, the precision both backends keep,
    /// so what is returned equals what is read back.
    pub async fn insert(&self, record: &ApiKeyRecord, key_hash: &[u8; 32]) -> Result<(), StoreError> {
        let (all_tenants, tenant_ids) = scope_columns(&record.scope);
        let result = on_backend!(&self.db, |pool| {
            sqlx::query(INSERT)
                .bind(record.id.as_uuid())
                .bind(&record.display_name)
                .bind(record.role.as_str())
                .bind(all_tenants)
                .bind(&tenant_ids)
                .bind(key_hash.to_vec())
                .bind(&record.key_prefix)
                .bind(&record.created_by)
                .bind(record.created_at.trunc_subsecs(6))
                .bind(record.expires_at.map(|at| at.trunc_subsecs(6)))
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(error) if SqlFailure::of(&error) == SqlFailure::UniqueViolation => {
                Err(StoreError::DuplicateName(record.display_name.clone()))
            }
            Err(source) => Err(StoreError::Query {
                context: "creating an API key",
                source,
            }),
        }
    }

    pub async fn get(&self, id: &ApiKeyId) -> Result<Option<StoredKey>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE api_key_id = $1");
        on_backend!(&self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .fetch_optional(pool)
                .await
                .map_err(query_err("reading an API key"))?;
            row.as_ref().map(stored_key_from_row).transpose()
        })
    }

    /// Keys newest first, starting after `after`; revoked and expired ones only when asked.
    pub async fn list(
        &self,
        include_revoked: bool,
        now: DateTime<Utc>,
        after: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM api_keys \
             WHERE ($1 OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2))) \
               AND ($3 OR created_at < $4 OR (created_at = $4 AND api_key_id < $5)) \
             ORDER BY created_at DESC, api_key_id DESC LIMIT $6"
        );
        let (cursor_at, cursor_id) = after.map_or((now, Uuid::nil()), |(at, id)| (at, id.as_uuid()));
        on_backend!(&self.db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(include_revoked)
                .bind(now)
                .bind(after.is_none())
                .bind(cursor_at)
                .bind(cursor_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(query_err("listing API keys"))?;
            rows.iter()
                .map(|row| stored_key_from_row(row).map(|key| key.record))
                .collect()
        })
    }

    /// Sets `revoked_at` (keeping the first revocation time); `None` when the key does not exist.
    pub async fn revoke(
        &self,
        id: &ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE api_key_id = $1 RETURNING {COLUMNS}"
        );
        on_backend!(&self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(now.trunc_subsecs(6))
                .fetch_optional(pool)
                .await
                .map_err(query_err("revoking an API key"))?;
            row.as_ref()
                .map(|row| stored_key_from_row(row).map(|key| key.record))
                .transpose()
        })
    }

    pub async fn touch(&self, id: &ApiKeyId, now: DateTime<Utc>) -> Result<(), StoreError> {
        on_backend!(&self.db, |pool| {
            sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE api_key_id = $1")
                .bind(id.as_uuid())
                .bind(now.trunc_subsecs(6))
                .execute(pool)
                .await
                .map_err(query_err("recording API key use"))?;
        });
        Ok(())
    }

    /// Whether an unrevoked, unexpired admin key exists (the bootstrap refuses to add another).
    pub async fn has_active_admin(&self, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL \
                   AND (expires_at IS NULL OR expires_at > $1)";
        let count: i64 = on_backend!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(now)
                .fetch_one(pool)
                .await
                .map_err(query_err("counting admin API keys"))?
        });
        Ok(count > 0)
    }
}

fn scope_columns(scope: &TenantScope) -> (bool, String) {
    match scope {
        TenantScope::AllTenants => (true, String::new()),
        TenantScope::Tenants(tenants) => (
            false,
            tenants
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
    }
}

fn stored_key_from_row<R>(row: &R) -> Result<StoredKey, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    let read = query_err("decoding an API key row");
    let raw_id: Uuid = row.try_get("api_key_id").map_err(read)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        id: raw_id.to_string(),
        reason,
    };
    let id = ApiKeyId::from_uuid(raw_id).map_err(|err| corrupt(err.to_string()))?;
    let get_string = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(query_err("decoding an API key row"))
    };
    let get_time = |column: &str| {
        row.try_get::<Option<DateTime<Utc>>, _>(column)
            .map_err(query_err("decoding an API key row"))
    };
    let role_name = get_string("role")?;
    let role = AccessRole::parse(&role_name).ok_or_else(|| corrupt(format!("unknown role `{role_name}`")))?;
    let all_tenants: bool = row
        .try_get("all_tenants")
        .map_err(query_err("decoding an API key row"))?;
    let scope = if all_tenants {
        TenantScope::AllTenants
    } else {
        let tenants = get_string("tenant_ids")?
            .split(',')
            .map(|id| id.parse::<TenantId>().map_err(|err| corrupt(err.to_string())))
            .collect::<Result<BTreeSet<_>, _>>()?;
        TenantScope::Tenants(tenants)
    };
    let record = ApiKeyRecord {
        id,
        display_name: get_string("display_name")?,
        role,
        scope,
        key_prefix: get_string("key_prefix")?,
        created_by: get_string("created_by")?,
        created_at: row
            .try_get("created_at")
            .map_err(query_err("decoding an API key row"))?,
        expires_at: get_time("expires_at")?,
        last_used_at: get_time("last_used_at")?,
        revoked_at: get_time("revoked_at")?,
    };
    Ok(StoredKey {
        record,
        key_hash: row
            .try_get("key_hash")
            .map_err(query_err("decoding an API key row"))?,
    })
}
