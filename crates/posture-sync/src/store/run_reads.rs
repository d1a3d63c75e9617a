//! Reading runs: one run with its entities, pages of runs for ListSyncRuns, the active run of a
//! tenant, and the unfinished runs a restarted process resumes.

use super::runs::{ACTIVE, ENTITY_COLUMNS, EntityRow, RUN_COLUMNS, RunRow, entity, run};
use super::{EntityStatus, InventoryStore, RunFilter, RunRecord, StoreError, micros, sql_error};

impl InventoryStore {
    /// The id of the tenant's active run, if any.
    pub async fn active_run(&self, tenant_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as("SELECT run_id FROM runs WHERE tenant_id = $1 AND state IN ($2, $3)")
                .bind(tenant_id)
                .bind(ACTIVE[0])
                .bind(ACTIVE[1])
                .fetch_optional(pool)
                .await
                .map_err(sql_error("finding the active run"))?
        });
        Ok(row.map(|r| r.0))
    }

    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let row: Option<RunRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE run_id = $1"
            )))
            .bind(run_id)
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading a run"))?
        });
        let Some(row) = row else { return Ok(None) };
        let entities = self.entities(run_id).await?;
        Ok(Some(run(row, entities)))
    }

    pub async fn entities(&self, run_id: &str) -> Result<Vec<EntityStatus>, StoreError> {
        let rows: Vec<EntityRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTITY_COLUMNS} FROM run_entities WHERE run_id = $1 ORDER BY kind"
            )))
            .bind(run_id)
            .fetch_all(pool)
            .await
            .map_err(sql_error("reading run entities"))?
        });
        Ok(rows.into_iter().map(entity).collect())
    }

    pub async fn list_runs(&self, f: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let (before_at, before_id) = f
            .before
            .as_ref()
            .map(|(at, id)| (micros(*at), id.clone()))
            .unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE ($1 = '' OR tenant_id = $1) AND ($2 = 0 OR state = $2) \
             AND requested_at >= $3 AND requested_at < $4 \
             AND (requested_at < $5 OR (requested_at = $5 AND $6 <> '' AND run_id < $6)) \
             ORDER BY requested_at DESC, run_id DESC LIMIT $7"
        );
        let rows: Vec<RunRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(f.tenant_id.clone().unwrap_or_default())
                .bind(f.state.unwrap_or(0))
                .bind(f.from.map(micros).unwrap_or(i64::MIN))
                .bind(f.to.map(micros).unwrap_or(i64::MAX))
                .bind(before_at)
                .bind(before_id)
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing runs"))?
        });
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            let entities = self.entities(&row.0).await?;
            runs.push(run(row, entities));
        }
        Ok(runs)
    }

    /// Runs still active, oldest first: what a restarted standalone process re-enqueues.
    pub async fn active_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let rows: Vec<RunRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE state IN ($1, $2) ORDER BY requested_at"
            )))
            .bind(ACTIVE[0])
            .bind(ACTIVE[1])
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing active runs"))?
        });
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            let entities = self.entities(&row.0).await?;
            runs.push(run(row, entities));
        }
        Ok(runs)
    }

    /// Whether any run of the tenant was ever recorded (the inventory knows the tenant).
    pub async fn tenant_known(&self, tenant_id: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as("SELECT run_id FROM runs WHERE tenant_id = $1 LIMIT 1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await
                .map_err(sql_error("looking up a tenant"))?
        });
        Ok(row.is_some())
    }
}
