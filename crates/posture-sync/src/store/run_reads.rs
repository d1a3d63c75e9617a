//! Reading runs: one run with its entities, pages of runs for ListSyncRuns, the active run of a
//! tenant, and the unfinished runs a restarted process resumes.

use posture_kit::ids::{RunId, TenantId};

use super::codes::ACTIVE_RUN;
use super::runs::{EntityRow, RunRow, entity, entity_columns, run, run_columns};
use super::{
    EntityStatus, InventoryStore, RunFilter, RunRecord, StoreError, Stored, micros, parse_id, sql_error,
};

/// Reads one run with its entities on `$conn`: a pool, or `&mut *tx` inside a transaction
/// (which sees the transaction's own changes).
macro_rules! read_run {
    ($conn:expr, $run_id:expr) => {{
        let id: String = $run_id.to_string();
        let row: Option<$crate::store::runs::RunRow> = sqlx::query_as(concat!(
            "SELECT ",
            $crate::store::runs::run_columns!(),
            " FROM runs WHERE run_id = $1"
        ))
        .bind(&id)
        .fetch_optional($conn)
        .await
        .map_err($crate::store::sql_error("reading a run"))?;
        match row {
            None => None,
            Some(row) => {
                let entities: Vec<$crate::store::runs::EntityRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::store::runs::entity_columns!(),
                    " FROM run_entities WHERE run_id = $1 ORDER BY kind"
                ))
                .bind(&id)
                .fetch_all($conn)
                .await
                .map_err($crate::store::sql_error("reading run entities"))?;
                Some($crate::store::runs::run(row, entities)?)
            }
        }
    }};
}
pub(crate) use read_run;

impl InventoryStore {
    /// The id of the tenant's active run, if any.
    pub async fn active_run(&self, tenant_id: &TenantId) -> Result<Option<RunId>, StoreError> {
        let row: Option<(String,)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as("SELECT run_id FROM runs WHERE tenant_id = $1 AND state IN ($2, $3)")
                .bind(tenant_id.to_string())
                .bind(ACTIVE_RUN[0])
                .bind(ACTIVE_RUN[1])
                .fetch_optional(pool)
                .await
                .map_err(sql_error("finding the active run"))?
        });
        row.map(|(id,)| parse_id(&id)).transpose()
    }

    pub async fn run(&self, run_id: &RunId) -> Result<Option<RunRecord>, StoreError> {
        Ok(super::on_backend!(self.db(), |pool| read_run!(pool, run_id)))
    }

    pub async fn entities(&self, run_id: &RunId) -> Result<Vec<EntityStatus>, StoreError> {
        let rows: Vec<EntityRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                entity_columns!(),
                " FROM run_entities WHERE run_id = $1 ORDER BY kind"
            ))
            .bind(run_id.to_string())
            .fetch_all(pool)
            .await
            .map_err(sql_error("reading run entities"))?
        });
        rows.into_iter().map(entity).collect()
    }

    pub async fn list_runs(&self, f: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let (before_at, before_id) = f
            .before
            .as_ref()
            .map(|(at, id)| (micros(*at), id.to_string()))
            .unwrap_or((i64::MAX, String::new()));
        let rows: Vec<RunRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                run_columns!(),
                " FROM runs WHERE ($1 = '' OR tenant_id = $1) AND ($2 = 0 OR state = $2) \
                 AND requested_at >= $3 AND requested_at < $4 \
                 AND (requested_at < $5 OR (requested_at = $5 AND $6 <> '' AND run_id < $6)) \
                 ORDER BY requested_at DESC, run_id DESC LIMIT $7"
            ))
            .bind(f.tenant_id.map(|t| t.to_string()).unwrap_or_default())
            .bind(f.state.map(Stored::code).unwrap_or(0))
            .bind(f.from.map(micros).unwrap_or(i64::MIN))
            .bind(f.to.map(micros).unwrap_or(i64::MAX))
            .bind(before_at)
            .bind(before_id)
            .bind(i64::from(f.limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing runs"))?
        });
        self.with_entities(rows).await
    }

    /// Runs still active, oldest first: what a restarted standalone process re-enqueues.
    pub async fn active_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let rows: Vec<RunRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                run_columns!(),
                " FROM runs WHERE state IN ($1, $2) ORDER BY requested_at"
            ))
            .bind(ACTIVE_RUN[0])
            .bind(ACTIVE_RUN[1])
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing active runs"))?
        });
        self.with_entities(rows).await
    }

    async fn with_entities(&self, rows: Vec<RunRow>) -> Result<Vec<RunRecord>, StoreError> {
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            let rows: Vec<EntityRow> = super::on_backend!(self.db(), |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    entity_columns!(),
                    " FROM run_entities WHERE run_id = $1 ORDER BY kind"
                ))
                .bind(&row.0)
                .fetch_all(pool)
                .await
                .map_err(sql_error("reading run entities"))?
            });
            runs.push(run(row, rows)?);
        }
        Ok(runs)
    }

    /// Whether any run of the tenant was ever recorded (the inventory knows the tenant).
    pub async fn tenant_known(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let row: Option<(String,)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as("SELECT run_id FROM runs WHERE tenant_id = $1 LIMIT 1")
                .bind(tenant_id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(sql_error("looking up a tenant"))?
        });
        Ok(row.is_some())
    }
}
