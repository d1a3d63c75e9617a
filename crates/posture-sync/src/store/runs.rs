//! Sync runs and the status of each entity kind within them. States are the proto's numbers
//! (`SyncRunState`, `EntitySyncState`); a partial unique index keeps one active run per tenant,
//! and terminal transitions are guarded updates so each happens exactly once.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_proto::v1::{EntitySyncState, SyncRunState};

use super::{InventoryStore, StoreError, from_micros, micros, sql_error};

pub(super) const ACTIVE: [i32; 2] = [SyncRunState::Pending as i32, SyncRunState::Running as i32];

#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub run_id: &'a str,
    pub tenant_id: &'a str,
    pub trigger: i32,
    pub requested_by: &'a str,
    pub requested_at: DateTime<Utc>,
    pub kinds: &'a [&'a str],
}

/// Why an entity failed or was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorRecord {
    pub class: i32,
    pub code: String,
    pub message: String,
    pub permissions: Vec<String>,
    pub endpoint: String,
    pub http_status: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityStatus {
    pub kind: String,
    pub state: i32,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub pages: u64,
    pub attempt: u32,
    pub error: Option<ErrorRecord>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl EntityStatus {
    pub fn is_terminal(&self) -> bool {
        is_terminal_entity(self.state)
    }
}

pub fn is_terminal_entity(state: i32) -> bool {
    state == EntitySyncState::Succeeded as i32
        || state == EntitySyncState::Failed as i32
        || state == EntitySyncState::Skipped as i32
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: String,
    pub tenant_id: String,
    pub trigger: i32,
    pub requested_by: String,
    pub state: i32,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Ordered by kind.
    pub entities: Vec<EntityStatus>,
}

impl RunRecord {
    pub fn is_active(&self) -> bool {
        ACTIVE.contains(&self.state)
    }
}

/// Filters of ListSyncRuns; pages go newest first, continuing below `(before_at, before_id)`.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub tenant_id: Option<String>,
    pub state: Option<i32>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

pub(super) type RunRow = (String, String, i32, String, i32, i64, Option<i64>, Option<i64>);
pub(super) type EntityRow = (
    String,
    i32,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i32,
    String,
    String,
    String,
    String,
    i32,
    Option<i64>,
    Option<i64>,
);

pub(super) const RUN_COLUMNS: &str =
    "run_id, tenant_id, trigger, requested_by, state, requested_at, started_at, finished_at";
pub(super) const ENTITY_COLUMNS: &str = "kind, state, added, changed, removed, unchanged, pages, attempt, error_class, \
     error_code, error_message, error_permissions, error_endpoint, error_http, started_at, finished_at";

pub(super) fn entity(row: EntityRow) -> EntityStatus {
    let (
        kind,
        state,
        added,
        changed,
        removed,
        unchanged,
        pages,
        attempt,
        class,
        code,
        message,
        perms,
        endpoint,
        http,
        s,
        f,
    ) = row;
    let error = (class != 0).then(|| ErrorRecord {
        class,
        code,
        message,
        permissions: perms
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        endpoint,
        http_status: http,
    });
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    EntityStatus {
        kind,
        state,
        added: n(added),
        changed: n(changed),
        removed: n(removed),
        unchanged: n(unchanged),
        pages: n(pages),
        attempt: u32::try_from(attempt).unwrap_or(0),
        error,
        started_at: s.map(from_micros),
        finished_at: f.map(from_micros),
    }
}

pub(super) fn run(row: RunRow, entities: Vec<EntityStatus>) -> RunRecord {
    let (run_id, tenant_id, trigger, requested_by, state, requested_at, started_at, finished_at) = row;
    RunRecord {
        run_id,
        tenant_id,
        trigger,
        requested_by,
        state,
        requested_at: from_micros(requested_at),
        started_at: started_at.map(from_micros),
        finished_at: finished_at.map(from_micros),
        entities,
    }
}

impl InventoryStore {
    /// Creates a PENDING run with one PENDING entity per kind. `AlreadyExists` when the tenant
    /// has an active run or the run id is taken.
    pub async fn create_run(&self, new: &NewRun<'_>) -> Result<(), StoreError> {
        super::on_backend!(self.db(), |pool| {
            let mut tx = pool.begin_write().await.map_err(sql_error("starting a run"))?;
            sqlx::query(
                "INSERT INTO runs (run_id, tenant_id, trigger, requested_by, state, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new.run_id)
            .bind(new.tenant_id)
            .bind(new.trigger)
            .bind(new.requested_by)
            .bind(SyncRunState::Pending as i32)
            .bind(micros(new.requested_at))
            .execute(&mut *tx)
            .await
            .map_err(sql_error("sync run"))?;
            for kind in new.kinds {
                sqlx::query("INSERT INTO run_entities (run_id, kind, state) VALUES ($1, $2, $3)")
                    .bind(new.run_id)
                    .bind(*kind)
                    .bind(EntitySyncState::Pending as i32)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_error("sync run entity"))?;
            }
            tx.commit().await.map_err(sql_error("committing a run"))?;
        });
        Ok(())
    }

    /// Marks the entity RUNNING with this attempt (unless it is already terminal) and the run
    /// RUNNING. Returns the entity's status after the change.
    pub async fn start_entity(
        &self,
        run_id: &str,
        kind: &str,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<EntityStatus>, StoreError> {
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
            .bind(run_id)
            .bind(kind)
            .bind(EntitySyncState::Running as i32)
            .bind(i64::from(attempt))
            .bind(now)
            .bind(EntitySyncState::Pending as i32)
            .execute(&mut *tx)
            .await
            .map_err(sql_error("starting an entity"))?;
            sqlx::query(
                "UPDATE runs SET state = $2, started_at = COALESCE(started_at, $3) WHERE run_id = $1 AND state = $4",
            )
            .bind(run_id)
            .bind(SyncRunState::Running as i32)
            .bind(now)
            .bind(SyncRunState::Pending as i32)
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
        run_id: &str,
        kind: &str,
        error: &ErrorRecord,
    ) -> Result<(), StoreError> {
        self.write_entity(run_id, kind, None, error, None)
            .await
            .map(|_| ())
    }

    /// Moves a non-terminal entity to a terminal `state`; false when it already was terminal.
    pub async fn finish_entity(
        &self,
        run_id: &str,
        kind: &str,
        state: EntitySyncState,
        error: &ErrorRecord,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write_entity(run_id, kind, Some(state as i32), error, Some(now))
            .await
    }

    async fn write_entity(
        &self,
        run_id: &str,
        kind: &str,
        state: Option<i32>,
        e: &ErrorRecord,
        now: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let done = super::on_backend!(self.db(), |pool| {
            sqlx::query(
                "UPDATE run_entities SET state = COALESCE($3, state), error_class = $4, error_code = $5, \
                 error_message = $6, error_permissions = $7, error_endpoint = $8, error_http = $9, \
                 finished_at = COALESCE($10, finished_at) WHERE run_id = $1 AND kind = $2 AND state IN ($11, $12)",
            )
            .bind(run_id)
            .bind(kind)
            .bind(state)
            .bind(e.class)
            .bind(&e.code)
            .bind(&e.message)
            .bind(e.permissions.join(","))
            .bind(&e.endpoint)
            .bind(e.http_status)
            .bind(now.map(micros))
            .bind(EntitySyncState::Pending as i32)
            .bind(EntitySyncState::Running as i32)
            .execute(pool)
            .await
            .map_err(sql_error("updating an entity"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// When every entity is terminal, moves the active run to its terminal state and returns it;
    /// `None` when entities are still open or another worker completed the run first.
    pub async fn complete_run_if_done(
        &self,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RunRecord>, StoreError> {
        let entities = self.entities(run_id).await?;
        if entities.iter().any(|e| !e.is_terminal()) {
            return Ok(None);
        }
        let failed = entities
            .iter()
            .filter(|e| e.state == EntitySyncState::Failed as i32)
            .count();
        let state = if failed == 0 {
            SyncRunState::Succeeded
        } else if failed == entities.len()
            || entities
                .iter()
                .all(|e| e.state != EntitySyncState::Succeeded as i32)
        {
            SyncRunState::Failed
        } else {
            SyncRunState::PartiallySucceeded
        };
        if !self.set_run_terminal(run_id, state, now).await? {
            return Ok(None);
        }
        self.run(run_id).await
    }

    /// Guarded transition of an active run to a terminal state; true for the one caller that won.
    pub async fn set_run_terminal(
        &self,
        run_id: &str,
        state: SyncRunState,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = super::on_backend!(self.db(), |pool| {
            sqlx::query(
                "UPDATE runs SET state = $2, finished_at = $3, started_at = COALESCE(started_at, $3) \
                 WHERE run_id = $1 AND state IN ($4, $5)",
            )
            .bind(run_id)
            .bind(state as i32)
            .bind(micros(now))
            .bind(ACTIVE[0])
            .bind(ACTIVE[1])
            .execute(pool)
            .await
            .map_err(sql_error("finishing a run"))?
            .rows_affected()
        });
        Ok(done == 1)
    }
}
