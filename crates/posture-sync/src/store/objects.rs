//! Reading the inventory: the hash map a job compares against, and the pages, objects and
//! versions the InventoryService serves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use posture_kit::ids::{RunId, TenantId};

use super::{InventoryStore, StoreError, from_micros, parse_id, sql_error};

/// What a job needs to know about a stored object to decide whether a page changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownObject {
    pub state_hash: String,
    /// The content hash when it differs from the state hash (the object holds volatile fields);
    /// `None` keeps the map small for objects without them.
    pub distinct_content_hash: Option<String>,
    pub version: i64,
    pub removed: bool,
}

impl KnownObject {
    /// SHA-256 of the stored content.
    pub fn content_hash(&self) -> &str {
        self.distinct_content_hash.as_deref().unwrap_or(&self.state_hash)
    }
}

/// A page request over one tenant's objects of one kind, ordered by object id.
#[derive(Debug, Clone)]
pub struct ObjectQuery<'a> {
    pub tenant_id: TenantId,
    pub kind: &'a str,
    pub include_removed: bool,
    pub with_content: bool,
    /// Return objects with ids after this one.
    pub after: Option<&'a str>,
    pub limit: u32,
    /// The objects as they were at this time, read from `object_versions` (configuration kinds
    /// only: other kinds keep no versions); `None` reads the current state.
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub tenant_id: TenantId,
    pub kind: String,
    pub object_id: String,
    pub display_name: String,
    /// Empty unless asked for.
    pub content: String,
    pub content_hash: String,
    pub version: i64,
    pub removed: bool,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    pub last_run_id: RunId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub object_id: String,
    pub version: i64,
    pub content_hash: String,
    pub removed: bool,
    pub observed_at: DateTime<Utc>,
    pub run_id: RunId,
    /// Empty unless asked for.
    pub content: String,
}

type ObjectRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    bool,
    i64,
    i64,
    i64,
    String,
);

fn object(row: ObjectRow) -> Result<StoredObject, StoreError> {
    let (
        tenant_id,
        kind,
        object_id,
        display_name,
        content,
        content_hash,
        version,
        removed,
        first,
        last,
        changed,
        run,
    ) = row;
    Ok(StoredObject {
        tenant_id: parse_id(&tenant_id)?,
        kind,
        object_id,
        display_name,
        content,
        content_hash,
        version,
        removed,
        first_seen: from_micros(first),
        last_seen: from_micros(last),
        changed_at: from_micros(changed),
        last_run_id: parse_id(&run)?,
    })
}

impl InventoryStore {
    /// Every stored object of a tenant's kind: id → hashes, version, removed.
    pub async fn known_objects(
        &self,
        tenant_id: &TenantId,
        kind: &str,
    ) -> Result<HashMap<String, KnownObject>, StoreError> {
        let rows: Vec<(String, String, Option<String>, i64, bool)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT object_id, state_hash, NULLIF(content_hash, state_hash), version, removed FROM objects \
                 WHERE tenant_id = $1 AND kind = $2",
            )
            .bind(tenant_id.to_string())
            .bind(kind)
            .fetch_all(pool)
            .await
            .map_err(sql_error("loading known objects"))?
        });
        Ok(rows
            .into_iter()
            .map(|(id, state_hash, distinct_content_hash, version, removed)| {
                (
                    id,
                    KnownObject {
                        state_hash,
                        distinct_content_hash,
                        version,
                        removed,
                    },
                )
            })
            .collect())
    }

    pub async fn list_objects(&self, q: &ObjectQuery<'_>) -> Result<Vec<StoredObject>, StoreError> {
        if let Some(as_of) = q.as_of {
            return self.list_objects_as_of(q, as_of).await;
        }
        let content = if q.with_content { "content" } else { "''" };
        let sql = format!(
            "SELECT tenant_id, kind, object_id, display_name, {content}, content_hash, version, removed, \
             first_seen, last_seen, changed_at, last_run_id FROM objects \
             WHERE tenant_id = $1 AND kind = $2 AND object_id > $3 AND ($4 OR removed = FALSE) \
             ORDER BY object_id LIMIT $5"
        );
        let rows: Vec<ObjectRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(q.tenant_id.to_string())
                .bind(q.kind)
                .bind(q.after.unwrap_or(""))
                .bind(q.include_removed)
                .bind(i64::from(q.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing objects"))?
        });
        rows.into_iter().map(object).collect()
    }

    /// Each object's newest version observed at or before `as_of`: the configuration in force
    /// then. An object first seen later has no such version and is left out; one whose version
    /// then records its removal is left out unless `include_removed`. The display name is the
    /// object's current one (versions do not keep it; the content does). `last_seen` is the
    /// object's, capped at `as_of`, so nothing reports a sighting after the time asked about.
    async fn list_objects_as_of(
        &self,
        q: &ObjectQuery<'_>,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let content = if q.with_content { "v.content" } else { "''" };
        let sql = format!(
            "SELECT v.tenant_id, v.kind, v.object_id, o.display_name, {content}, v.content_hash, v.version, \
             v.removed, o.first_seen, CASE WHEN o.last_seen < $4 THEN o.last_seen ELSE $4 END, v.observed_at, \
             v.run_id FROM object_versions v JOIN objects o \
             ON o.tenant_id = v.tenant_id AND o.kind = v.kind AND o.object_id = v.object_id \
             WHERE v.tenant_id = $1 AND v.kind = $2 AND v.object_id > $3 AND ($5 OR v.removed = FALSE) \
             AND v.version = (SELECT MAX(w.version) FROM object_versions w \
                WHERE w.tenant_id = v.tenant_id AND w.kind = v.kind AND w.object_id = v.object_id \
                AND w.observed_at <= $4) \
             ORDER BY v.object_id LIMIT $6"
        );
        let rows: Vec<ObjectRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(q.tenant_id.to_string())
                .bind(q.kind)
                .bind(q.after.unwrap_or(""))
                .bind(super::micros(as_of))
                .bind(q.include_removed)
                .bind(i64::from(q.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing objects as of a time"))?
        });
        rows.into_iter().map(object).collect()
    }

    pub async fn object(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        object_id: &str,
    ) -> Result<Option<StoredObject>, StoreError> {
        let row: Option<ObjectRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT tenant_id, kind, object_id, display_name, content, content_hash, version, removed, \
                 first_seen, last_seen, changed_at, last_run_id FROM objects \
                 WHERE tenant_id = $1 AND kind = $2 AND object_id = $3",
            )
            .bind(tenant_id.to_string())
            .bind(kind)
            .bind(object_id)
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading an object"))?
        });
        row.map(object).transpose()
    }

    /// Versions newest first, below `before` when given.
    pub async fn versions(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        object_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let rows: Vec<(String, i64, String, bool, i64, String)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT object_id, version, content_hash, removed, observed_at, run_id FROM object_versions \
                 WHERE tenant_id = $1 AND kind = $2 AND object_id = $3 AND version < $4 \
                 ORDER BY version DESC LIMIT $5",
            )
            .bind(tenant_id.to_string())
            .bind(kind)
            .bind(object_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing versions"))?
        });
        rows.into_iter()
            .map(|(object_id, version, content_hash, removed, at, run_id)| {
                Ok(StoredVersion {
                    object_id,
                    version,
                    content_hash,
                    removed,
                    observed_at: from_micros(at),
                    run_id: parse_id(&run_id)?,
                    content: String::new(),
                })
            })
            .collect()
    }

    pub async fn version(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        object_id: &str,
        version: i64,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let row: Option<(String, i64, String, bool, i64, String, String)> = super::on_backend!(
            self.db(),
            |pool| {
                sqlx::query_as(
                    "SELECT object_id, version, content_hash, removed, observed_at, run_id, content \
                     FROM object_versions WHERE tenant_id = $1 AND kind = $2 AND object_id = $3 AND version = $4",
                )
                .bind(tenant_id.to_string())
                .bind(kind)
                .bind(object_id)
                .bind(version)
                .fetch_optional(pool)
                .await
                .map_err(sql_error("reading a version"))?
            }
        );
        row.map(
            |(object_id, version, content_hash, removed, at, run_id, content)| {
                Ok(StoredVersion {
                    object_id,
                    version,
                    content_hash,
                    removed,
                    observed_at: from_micros(at),
                    run_id: parse_id(&run_id)?,
                    content,
                })
            },
        )
        .transpose()
    }

    /// Rows in the inventory tables (objects, versions): what tests and benchmarks compare.
    pub async fn row_counts(&self) -> Result<(i64, i64), StoreError> {
        super::on_backend!(self.db(), |pool| {
            let objects: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM objects")
                .fetch_one(pool)
                .await
                .map_err(sql_error("counting objects"))?;
            let versions: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM object_versions")
                .fetch_one(pool)
                .await
                .map_err(sql_error("counting versions"))?;
            Ok((objects.0, versions.0))
        })
    }
}
