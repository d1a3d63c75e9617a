//! Changing runs: creating one with its entities (and staging its jobs in the same transaction),
//! starting and settling entities, completing a run once every entity is terminal, and cancelling
//! one (staging its announcement with the change). Terminal transitions are guarded updates, so
//! each happens once however many workers race for it.

use chrono::{DateTime, Utc};
use posture_bus::outbox::{OutboxMessage, StageMessage};
use posture_kit::db::BeginWrite;
use posture_kit::ids::RunId;

use super::codes::{ACTIVE_RUN, OPEN_ENTITY};
use super::run_reads::read_run;
use super::{
    EntityStatus, ErrorRecord, InventoryStore, NewRun, RunRecord, StoreError, Stored, micros, sql_error,
};
use crate::state::{EntityState, RunState};

impl InventoryStore {
    /// Creates a PENDING run with one PENDING entity per kind and stages `announce` (its jobs)
    /// in the same transaction, so the jobs exist exactly when the run does. `AlreadyExists` when
    /// the tenant has an active run or the run id is taken.
    pub async fn create_run(&self, new: &NewRun<'_>, announce: &[OutboxMessage]) -> Result<(), StoreError> {
        let run_id = new.run_id.to_string();
        super::on_backend!(self.db(), |pool| {
            let mut tx = pool.begin_write().await.map_err(sql_error("starting a run"))?;
            sqlx::query(
                "INSERT INTO runs (run_id, tenant_id, trigger, requested_by, state, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&run_id)
            .bind(new.tenant_id.to_string())
            .bind(new.trigger.code())
            .bind(new.requested_by)
            .bind(RunState::Pending.code())
            .bind(micros(new.requested_at))
            .execute(&mut *tx)
            .await
            .map_err(sql_error("sync run"))?;
            for kind in new.kinds {
                sqlx::query("INSERT INTO run_entities (run_id, kind, state) VALUES ($1, $2, $3)")
                    .bind(&run_id)
                    .bind(*kind)
                    .bind(EntityState::Pending.code())
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_error("sync run entity"))?;
            }
            for message in announce {
                tx.stage(message).await.map_err(sql_error("staging a job"))?;
            }
            tx.commit().await.map_err(sql_error("committing a run"))?;
        });
        Ok(())
    }

    /// Marks the entity RUNNING with this attempt (unless it is already terminal) and the run
    /// RUNNING. Returns the entity's status after the change.
    pub async fn start_entity(
        &self,
        run_id: &RunId,
        kind: &str,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<EntityStatus>, StoreError> {
        let id = run_id.to_string();
        let now = micros(now);
        super::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting an entity"))?;
            sqlx::query(
                "UPDATE run_entities SET state = $3, attempt = $4, started_at = COALESCE(started_at, $5) \
                 WHERE run_id = $1 AND kind = $2 AND state IN ($6, $3)",
            )
            .bind(&id)
            .bind(kind)
            .bind(EntityState::Running.code())
            .bind(i64::from(attempt))
            .bind(now)
            .bind(EntityState::Pending.code())
            .execute(&mut *tx)
            .await
            .map_err(sql_error("starting an entity"))?;
            sqlx::query(
                "UPDATE runs SET state = $2, started_at = COALESCE(started_at, $3) WHERE run_id = $1 AND state = $4",
            )
            .bind(&id)
            .bind(RunState::Running.code())
            .bind(now)
            .bind(RunState::Pending.code())
            .execute(&mut *tx)
            .await
            .map_err(sql_error("starting a run"))?;
            tx.commit().await.map_err(sql_error("starting an entity"))?;
        });
        Ok(self.entities(run_id).await?.into_iter().find(|e| e.kind == kind))
    }

    /// Records the last transient error of a still running entity.
    pub async fn note_entity_error(
        &self,
        run_id: &RunId,
        kind: &str,
        error: &ErrorRecord,
    ) -> Result<(), StoreError> {
        self.write_entity(run_id, kind, None, Some(error), None)
            .await
            .map(|_| ())
    }

    /// Moves a non-terminal entity to a terminal `state` (with the reason, if it did not
    /// succeed); false when it already was terminal.
    pub async fn finish_entity(
        &self,
        run_id: &RunId,
        kind: &str,
        state: EntityState,
        error: Option<&ErrorRecord>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write_entity(run_id, kind, Some(state), error, Some(now))
            .await
    }

    async fn write_entity(
        &self,
        run_id: &RunId,
        kind: &str,
        state: Option<EntityState>,
        error: Option<&ErrorRecord>,
        now: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let done = super::on_backend!(self.db(), |pool| {
            bind_error(
                sqlx::query(
                    "UPDATE run_entities SET state = COALESCE($3, state), error_class = $4, error_code = $5, \
                     error_message = $6, error_permissions = $7, error_endpoint = $8, error_http = $9, \
                     finished_at = COALESCE($10, finished_at) WHERE run_id = $1 AND kind = $2 AND state IN ($11, $12)",
                )
                .bind(run_id.to_string())
                .bind(kind)
                .bind(state.map(Stored::code)),
                error,
            )
            .bind(now.map(micros))
            .bind(OPEN_ENTITY[0])
            .bind(OPEN_ENTITY[1])
            .execute(pool)
            .await
            .map_err(sql_error("updating an entity"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// When every entity is terminal, moves the active run to the state they add up to (once,
    /// whoever calls first). Returns the run when it is terminal, whether this call, an earlier
    /// one or a cancellation ended it; `None` while an entity is open.
    pub async fn complete_run_if_done(
        &self,
        run_id: &RunId,
        now: DateTime<Utc>,
    ) -> Result<Option<RunRecord>, StoreError> {
        let entities = self.entities(run_id).await?;
        let Some(state) = RunState::completed_from(entities.iter().map(|e| e.state)) else {
            return Ok(None);
        };
        super::on_backend!(self.db(), |pool| {
            sqlx::query(
                "UPDATE runs SET state = $2, finished_at = $3, started_at = COALESCE(started_at, $3) \
                 WHERE run_id = $1 AND state IN ($4, $5)",
            )
            .bind(run_id.to_string())
            .bind(state.code())
            .bind(micros(now))
            .bind(ACTIVE_RUN[0])
            .bind(ACTIVE_RUN[1])
            .execute(pool)
            .await
            .map_err(sql_error("finishing a run"))?;
        });
        Ok(self.run(run_id).await?.filter(|run| !run.is_active()))
    }

    /// Cancels an active run in one transaction: the run becomes CANCELLED, its pending entities
    /// SKIPPED with `reason`, and the events `announce` builds from the cancelled run are staged
    /// with the change. `None` when the run was not active (nothing changes, nothing is staged).
    pub async fn cancel_run(
        &self,
        run_id: &RunId,
        reason: &ErrorRecord,
        now: DateTime<Utc>,
        announce: impl FnOnce(&RunRecord) -> Vec<OutboxMessage>,
    ) -> Result<Option<RunRecord>, StoreError> {
        let id = run_id.to_string();
        let at = micros(now);
        let cancelled = super::on_backend!(self.db(), |pool| {
            let mut tx = pool.begin_write().await.map_err(sql_error("cancelling a run"))?;
            let changed = sqlx::query(
                "UPDATE runs SET state = $2, finished_at = $3, started_at = COALESCE(started_at, $3) \
                 WHERE run_id = $1 AND state IN ($4, $5)",
            )
            .bind(&id)
            .bind(RunState::Cancelled.code())
            .bind(at)
            .bind(ACTIVE_RUN[0])
            .bind(ACTIVE_RUN[1])
            .execute(&mut *tx)
            .await
            .map_err(sql_error("cancelling a run"))?
            .rows_affected();
            if changed == 0 {
                // Dropping the transaction rolls it back; there was nothing to change.
                return Ok(None);
            }
            bind_error(
                sqlx::query(
                    "UPDATE run_entities SET state = $3, error_class = $4, error_code = $5, error_message = $6, \
                     error_permissions = $7, error_endpoint = $8, error_http = $9, finished_at = $10 \
                     WHERE run_id = $1 AND state = $2",
                )
                .bind(&id)
                .bind(EntityState::Pending.code())
                .bind(EntityState::Skipped.code()),
                Some(reason),
            )
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(sql_error("skipping the entities of a cancelled run"))?;
            let cancelled = read_run!(&mut *tx, run_id).ok_or_else(|| StoreError::Corrupt {
                what: "sync run",
                reason: format!("run {run_id} vanished while it was cancelled"),
            })?;
            for message in announce(&cancelled) {
                tx.stage(&message)
                    .await
                    .map_err(sql_error("staging a run's announcement"))?;
            }
            tx.commit()
                .await
                .map_err(sql_error("committing a cancellation"))?;
            cancelled
        });
        Ok(Some(cancelled))
    }
}

/// Binds the six error columns (class, code, message, permissions, endpoint, HTTP status); no
/// error clears them (class 0).
fn bind_error<'q, DB>(
    query: sqlx::query::Query<'q, DB, DB::Arguments>,
    error: Option<&ErrorRecord>,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    DB: sqlx::Database,
    i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match error {
        Some(e) => query
            .bind(e.class.code())
            .bind(e.code.clone())
            .bind(e.message.clone())
            .bind(e.permissions.join(","))
            .bind(e.endpoint.clone())
            .bind(e.http_status),
        None => query
            .bind(0)
            .bind(String::new())
            .bind(String::new())
            .bind(String::new())
            .bind(String::new())
            .bind(0),
    }
}
