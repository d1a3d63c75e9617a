//! Baselines: the pinned objects of a source tenant (content kept with them), and the tenants
//! each is applied to with their overrides. A tenant has at most one baseline; applying another
//! replaces it and resolves the open drift from the one before.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;
use posture_kit::time::{from_micros, micros};

use super::columns::{from_json, id, to_json};
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};
use crate::drift::Override;

/// A baseline without its pins.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRecord {
    /// A GUID, kept as text.
    pub baseline_id: String,
    pub display_name: String,
    pub description: String,
    pub source_tenant_id: TenantId,
    /// The configuration kinds pinned.
    pub entity_kinds: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Filled when read back.
    pub pinned_count: u32,
    /// Filled when read back, ordered by tenant.
    pub targets: Vec<TargetRecord>,
}

/// One object pinned by a baseline, with its content as synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRecord {
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    pub version: u64,
    pub content_hash: String,
    pub content: String,
}

/// A tenant a baseline is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    pub tenant_id: TenantId,
    pub baseline_id: String,
    pub overrides: Vec<Override>,
    pub applied_by: String,
    pub applied_at: DateTime<Utc>,
}

/// A page of baselines, newest first.
#[derive(Debug, Clone, Default)]
pub struct BaselineFilter {
    pub source_tenant_id: Option<TenantId>,
    pub applied_tenant_id: Option<TenantId>,
    /// Keyset cursor: (created_at, baseline_id) of the last row of the previous page.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

/// What deleting a baseline did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    NotFound,
    /// Still applied to this many tenants; nothing was deleted.
    Applied(u32),
}

const COLUMNS: &str = "baseline_id, display_name, description, source_tenant_id, entity_kinds, created_by, created_at, \
     (SELECT COUNT(*) FROM baseline_pins p WHERE p.baseline_id = baselines.baseline_id)";

type Row = (String, String, String, String, String, String, i64, i64);

fn baseline(row: Row) -> Result<BaselineRecord, StoreError> {
    Ok(BaselineRecord {
        baseline_id: row.0,
        display_name: row.1,
        description: row.2,
        source_tenant_id: id("baseline source tenant", &row.3)?,
        entity_kinds: from_json("baseline entity kinds", &row.4)?,
        created_by: row.5,
        created_at: from_micros(row.6),
        pinned_count: u32::try_from(row.7).unwrap_or(u32::MAX),
        targets: Vec::new(),
    })
}

type TargetRow = (String, String, String, String, i64);

fn target(row: TargetRow) -> Result<TargetRecord, StoreError> {
    Ok(TargetRecord {
        tenant_id: id("baseline target tenant", &row.0)?,
        baseline_id: row.1,
        overrides: from_json("baseline overrides", &row.2)?,
        applied_by: row.3,
        applied_at: from_micros(row.4),
    })
}

const TARGET_COLUMNS: &str = "tenant_id, baseline_id, overrides, applied_by, applied_at";

impl AssessmentStore {
    /// Stores a baseline with its pins in one transaction.
    pub async fn create_baseline(&self, b: &BaselineRecord, pins: &[PinRecord]) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to create a baseline"))?;
            sqlx::query(
                "INSERT INTO baselines (baseline_id, display_name, description, source_tenant_id, entity_kinds, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&b.baseline_id)
            .bind(&b.display_name)
            .bind(&b.description)
            .bind(b.source_tenant_id.to_string())
            .bind(to_json(&b.entity_kinds))
            .bind(&b.created_by)
            .bind(micros(b.created_at))
            .execute(&mut *tx)
            .await
            .map_err(sql_error("baseline"))?;
            for pin in pins {
                sqlx::query(
                    "INSERT INTO baseline_pins (baseline_id, entity_kind, object_id, display_name, version, \
                     content_hash, content) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&b.baseline_id)
                .bind(&pin.entity_kind)
                .bind(&pin.object_id)
                .bind(&pin.display_name)
                .bind(i64::try_from(pin.version).unwrap_or(i64::MAX))
                .bind(&pin.content_hash)
                .bind(&pin.content)
                .execute(&mut *tx)
                .await
                .map_err(sql_error("pinning a baseline object"))?;
            }
            tx.commit().await.map_err(sql_error("committing a baseline"))?;
        });
        Ok(())
    }

    /// One baseline with its targets.
    pub async fn baseline(&self, baseline_id: &str) -> Result<Option<BaselineRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM baselines WHERE baseline_id = $1");
        let row: Option<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(baseline_id)
                .fetch_optional(pool)
                .await
                .map_err(sql_error("reading a baseline"))?
        });
        let Some(row) = row else { return Ok(None) };
        let mut found = baseline(row)?;
        found.targets = self.targets_of(baseline_id).await?;
        Ok(Some(found))
    }

    /// The pins of a baseline, by kind and object id.
    pub async fn pins(&self, baseline_id: &str) -> Result<Vec<PinRecord>, StoreError> {
        let rows: Vec<(String, String, String, i64, String, String)> = posture_kit::on_backend!(
            self.db(),
            |pool| {
                sqlx::query_as(
                    "SELECT entity_kind, object_id, display_name, version, content_hash, content FROM baseline_pins \
                     WHERE baseline_id = $1 ORDER BY entity_kind, object_id",
                )
                .bind(baseline_id)
                .fetch_all(pool)
                .await
                .map_err(sql_error("reading a baseline's pins"))?
            }
        );
        Ok(rows
            .into_iter()
            .map(|r| PinRecord {
                entity_kind: r.0,
                object_id: r.1,
                display_name: r.2,
                version: u64::try_from(r.3).unwrap_or_default(),
                content_hash: r.4,
                content: r.5,
            })
            .collect())
    }

    pub async fn list_baselines(&self, f: &BaselineFilter) -> Result<Vec<BaselineRecord>, StoreError> {
        let (after_at, after_id) = f
            .after
            .as_ref()
            .map(|(at, id)| (micros(*at), id.clone()))
            .unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {COLUMNS} FROM baselines WHERE ($1 = '' OR source_tenant_id = $1) \
             AND ($2 = '' OR baseline_id IN (SELECT baseline_id FROM baseline_targets WHERE tenant_id = $2)) \
             AND (created_at < $3 OR (created_at = $3 AND ($4 = '' OR baseline_id < $4))) \
             ORDER BY created_at DESC, baseline_id DESC LIMIT $5"
        );
        let rows: Vec<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(f.source_tenant_id.map(|t| t.to_string()).unwrap_or_default())
                .bind(f.applied_tenant_id.map(|t| t.to_string()).unwrap_or_default())
                .bind(after_at)
                .bind(after_id.clone())
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing baselines"))?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut b = baseline(row)?;
            b.targets = self.targets_of(&b.baseline_id).await?;
            out.push(b);
        }
        Ok(out)
    }

    async fn targets_of(&self, baseline_id: &str) -> Result<Vec<TargetRecord>, StoreError> {
        let sql = format!(
            "SELECT {TARGET_COLUMNS} FROM baseline_targets WHERE baseline_id = $1 ORDER BY tenant_id"
        );
        let rows: Vec<TargetRow> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(baseline_id)
                .fetch_all(pool)
                .await
                .map_err(sql_error("reading a baseline's tenants"))?
        });
        rows.into_iter().map(target).collect()
    }

    /// The baseline applied to a tenant, if any.
    pub async fn target(&self, tenant_id: &TenantId) -> Result<Option<TargetRecord>, StoreError> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM baseline_targets WHERE tenant_id = $1");
        let row: Option<TargetRow> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(tenant_id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(sql_error("reading a tenant's baseline"))?
        });
        row.map(target).transpose()
    }

    /// Applies a baseline to tenants, replacing what each had; open drift from a replaced
    /// baseline is resolved at `now`, in the same transaction.
    pub async fn apply_baseline(
        &self,
        targets: &[TargetRecord],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to apply a baseline"))?;
            for t in targets {
                sqlx::query(
                    "UPDATE drift_items SET resolved_at = $1 WHERE tenant_id = $2 AND baseline_id <> $3 \
                     AND resolved_at IS NULL",
                )
                .bind(micros(now))
                .bind(t.tenant_id.to_string())
                .bind(&t.baseline_id)
                .execute(&mut *tx)
                .await
                .map_err(sql_error("resolving drift from a replaced baseline"))?;
                sqlx::query(
                    "INSERT INTO baseline_targets (tenant_id, baseline_id, overrides, applied_by, applied_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET \
                     baseline_id = excluded.baseline_id, overrides = excluded.overrides, \
                     applied_by = excluded.applied_by, applied_at = excluded.applied_at",
                )
                .bind(t.tenant_id.to_string())
                .bind(&t.baseline_id)
                .bind(to_json(&t.overrides))
                .bind(&t.applied_by)
                .bind(micros(t.applied_at))
                .execute(&mut *tx)
                .await
                .map_err(sql_error("applying a baseline"))?;
            }
            tx.commit()
                .await
                .map_err(sql_error("committing a baseline's application"))?;
        });
        Ok(())
    }

    /// Deletes a baseline applied to no tenant, with its pins and its (resolved) drift.
    pub async fn delete_baseline(&self, baseline_id: &str) -> Result<Deletion, StoreError> {
        let outcome = posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to delete a baseline"))?;
            let exists: Option<(String,)> =
                sqlx::query_as("SELECT baseline_id FROM baselines WHERE baseline_id = $1")
                    .bind(baseline_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(sql_error("reading a baseline"))?;
            let applied: (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM baseline_targets WHERE baseline_id = $1")
                    .bind(baseline_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(sql_error("counting a baseline's tenants"))?;
            if exists.is_none() {
                Deletion::NotFound
            } else if applied.0 > 0 {
                Deletion::Applied(u32::try_from(applied.0).unwrap_or(u32::MAX))
            } else {
                for sql in [
                    "DELETE FROM drift_items WHERE baseline_id = $1",
                    "DELETE FROM baseline_pins WHERE baseline_id = $1",
                    "DELETE FROM baselines WHERE baseline_id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(baseline_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("deleting a baseline"))?;
                }
                tx.commit()
                    .await
                    .map_err(sql_error("committing a baseline's deletion"))?;
                Deletion::Deleted
            }
        });
        Ok(outcome)
    }
}
