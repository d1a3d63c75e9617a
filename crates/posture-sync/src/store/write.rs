//! One durable step of a job: a page's changed objects, removals, the entity's counters and the
//! cursor, in one transaction. Either all of it lands or none, so a job that resumes from the
//! stored cursor neither loses nor repeats a page. Batches go in as `UNNEST` arrays on PostgreSQL
//! and multi-row `VALUES` on SQLite.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_kit::ids::{RunId, TenantId};
use sqlx::{Postgres, QueryBuilder, Sqlite};

use super::codes::OPEN_ENTITY;
use super::cursors::{Cursor, save_cursor};
use super::{InventoryStore, StoreError, micros, sql_error};

/// A new or changed object, ready to store.
#[derive(Debug, Clone)]
pub struct Upsert {
    pub object_id: String,
    pub display_name: String,
    /// Canonical JSON.
    pub content: String,
    pub content_hash: String,
    pub state_hash: String,
    /// The version this write creates (0 for kinds that keep no versions).
    pub version: i64,
}

/// Everything one page changes.
#[derive(Debug, Clone)]
pub struct PageWrite<'a> {
    pub tenant_id: TenantId,
    pub kind: &'a str,
    pub run_id: RunId,
    /// The delivery writing: the page lands only while the entity's recorded attempt is this
    /// one and the entity is not settled, so a worker whose job was delivered again (or settled
    /// by another) cannot add its pages to the other worker's.
    pub attempt: u32,
    /// Configuration kinds also get a row in `object_versions` per change.
    pub configuration: bool,
    pub now: DateTime<Utc>,
    pub upserts: Vec<Upsert>,
    /// Objects whose volatile fields alone changed: content and hash rewritten in place, same
    /// version, no version row, `changed_at` and `last_run_id` (the last change's) kept.
    pub refreshes: Vec<Upsert>,
    /// Object id and the version its removal creates.
    pub removals: Vec<(String, i64)>,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Pages this write accounts for (0 for the final sweep).
    pub pages: u64,
    pub cursor: Cursor,
    pub batch_size: usize,
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Inventory rows inserted or updated (objects and versions).
    pub rows_written: u64,
}

const UPSERT_COLUMNS: &str = "tenant_id, kind, object_id, display_name, content, content_hash, state_hash, \
     version, removed, removed_at, first_seen, last_seen, changed_at, last_run_id";

const ON_CONFLICT: &str = " ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET \
     display_name = excluded.display_name, content = excluded.content, content_hash = excluded.content_hash, \
     state_hash = excluded.state_hash, version = excluded.version, removed = FALSE, removed_at = NULL, \
     last_seen = excluded.last_seen, changed_at = excluded.changed_at, last_run_id = excluded.last_run_id";

const ON_CONFLICT_REFRESH: &str = " ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET \
     display_name = excluded.display_name, content = excluded.content, content_hash = excluded.content_hash, \
     last_seen = excluded.last_seen";

impl InventoryStore {
    /// Applies one page (or the final sweep) atomically.
    pub async fn apply_page(&self, page: &PageWrite<'_>) -> Result<WriteOutcome, StoreError> {
        let batch = page.batch_size.clamp(1, 10_000);
        let mut rows = 0u64;
        let tenant_id = page.tenant_id.to_string();
        let run_id = page.run_id.to_string();
        macro_rules! apply {
            ($pool:expr, $engine:ty) => {{
                let mut tx = $pool.begin_write().await.map_err(sql_error("starting a page write"))?;
                // Refreshes never make a version; changes of configuration kinds do.
                let writes = [
                    (&page.refreshes, ON_CONFLICT_REFRESH, false, "refreshing objects"),
                    (&page.upserts, ON_CONFLICT, page.configuration, "writing objects"),
                ];
                for (objects, on_conflict, versioned, context) in writes {
                    for chunk in objects.chunks(batch) {
                        let done = <$engine as BatchSql>::upsert_sql(page, chunk, on_conflict)
                            .build()
                            .execute(&mut *tx)
                            .await
                            .map_err(sql_error(context))?;
                        rows += done.rows_affected();
                        if versioned {
                            let done = <$engine as BatchSql>::versions_sql(page, chunk)
                                .build()
                                .execute(&mut *tx)
                                .await
                                .map_err(sql_error("writing object versions"))?;
                            rows += done.rows_affected();
                        }
                    }
                }
                let now = micros(page.now);
                for (object_id, version) in &page.removals {
                    if page.configuration {
                        let done = sqlx::query(
                            "INSERT INTO object_versions (tenant_id, kind, object_id, version, content, content_hash, \
                             removed, observed_at, run_id) SELECT tenant_id, kind, object_id, $4, content, content_hash, \
                             TRUE, $5, $6 FROM objects WHERE tenant_id = $1 AND kind = $2 AND object_id = $3 \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&tenant_id)
                        .bind(page.kind)
                        .bind(object_id)
                        .bind(*version)
                        .bind(now)
                        .bind(&run_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("recording a removal version"))?;
                        rows += done.rows_affected();
                    }
                    let done = sqlx::query(
                        "UPDATE objects SET removed = TRUE, removed_at = $4, last_seen = $4, changed_at = $4, \
                         version = $5, last_run_id = $6 WHERE tenant_id = $1 AND kind = $2 AND object_id = $3 \
                         AND removed = FALSE",
                    )
                    .bind(&tenant_id)
                    .bind(page.kind)
                    .bind(object_id)
                    .bind(now)
                    .bind(*version)
                    .bind(&run_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_error("marking an object removed"))?;
                    rows += done.rows_affected();
                }
                let counted = sqlx::query(
                    "UPDATE run_entities SET added = added + $3, changed = changed + $4, removed = removed + $5, \
                     unchanged = unchanged + $6, pages = pages + $7 WHERE run_id = $1 AND kind = $2 AND attempt = $8 \
                     AND state IN ($9, $10)",
                )
                .bind(&run_id)
                .bind(page.kind)
                .bind(page.added as i64)
                .bind(page.changed as i64)
                .bind(page.removals.len() as i64)
                .bind(page.unchanged as i64)
                .bind(page.pages as i64)
                .bind(i64::from(page.attempt))
                .bind(OPEN_ENTITY[0])
                .bind(OPEN_ENTITY[1])
                .execute(&mut *tx)
                .await
                .map_err(sql_error("counting a page"))?;
                if counted.rows_affected() == 0 {
                    // Dropping the transaction rolls the page back.
                    return Err(StoreError::Superseded {
                        run_id: page.run_id,
                        kind: page.kind.to_owned(),
                        attempt: page.attempt,
                    });
                }
                save_cursor!(&mut *tx, &page.tenant_id, page.kind, &page.cursor);
                tx.commit().await.map_err(sql_error("committing a page write"))?;
            }};
        }
        match self.db() {
            posture_kit::db::Db::Postgres(pool) => apply!(pool, Postgres),
            posture_kit::db::Db::Sqlite(pool) => apply!(pool, Sqlite),
        }
        Ok(WriteOutcome { rows_written: rows })
    }
}

/// Engine-specific batch statements.
trait BatchSql: sqlx::Database {
    /// Inserts `chunk`; an existing row is updated as `on_conflict` says.
    fn upsert_sql(page: &PageWrite<'_>, chunk: &[Upsert], on_conflict: &str) -> QueryBuilder<Self>;
    fn versions_sql(page: &PageWrite<'_>, chunk: &[Upsert]) -> QueryBuilder<Self>;
}

impl BatchSql for Postgres {
    fn upsert_sql(page: &PageWrite<'_>, chunk: &[Upsert], on_conflict: &str) -> QueryBuilder<Postgres> {
        let col = |f: fn(&Upsert) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        let now = micros(page.now);
        let mut q = QueryBuilder::<Postgres>::new("");
        q.push(format!("INSERT INTO objects ({UPSERT_COLUMNS}) SELECT "));
        q.push_bind(page.tenant_id.to_string());
        q.push(", ");
        q.push_bind(page.kind.to_owned());
        q.push(", t.object_id, t.display_name, t.content, t.content_hash, t.state_hash, t.version, FALSE, NULL, ");
        q.push_bind(now);
        q.push(", ");
        q.push_bind(now);
        q.push(", ");
        q.push_bind(now);
        q.push(", ");
        q.push_bind(page.run_id.to_string());
        q.push(" FROM UNNEST(");
        q.push_bind(col(|u| u.object_id.clone()));
        q.push("::text[], ");
        q.push_bind(col(|u| u.display_name.clone()));
        q.push("::text[], ");
        q.push_bind(col(|u| u.content.clone()));
        q.push("::text[], ");
        q.push_bind(col(|u| u.content_hash.clone()));
        q.push("::text[], ");
        q.push_bind(col(|u| u.state_hash.clone()));
        q.push("::text[], ");
        q.push_bind(chunk.iter().map(|u| u.version).collect::<Vec<i64>>());
        q.push("::bigint[]) AS t(object_id, display_name, content, content_hash, state_hash, version)");
        q.push(on_conflict);
        q
    }

    fn versions_sql(page: &PageWrite<'_>, chunk: &[Upsert]) -> QueryBuilder<Postgres> {
        let col = |f: fn(&Upsert) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO object_versions (tenant_id, kind, object_id, version, content, content_hash, removed, \
             observed_at, run_id) SELECT ",
        );
        q.push_bind(page.tenant_id.to_string());
        q.push(", ");
        q.push_bind(page.kind.to_owned());
        q.push(", t.object_id, t.version, t.content, t.content_hash, FALSE, ");
        q.push_bind(micros(page.now));
        q.push(", ");
        q.push_bind(page.run_id.to_string());
        q.push(" FROM UNNEST(");
        q.push_bind(col(|u| u.object_id.clone()));
        q.push("::text[], ");
        q.push_bind(chunk.iter().map(|u| u.version).collect::<Vec<i64>>());
        q.push("::bigint[], ");
        q.push_bind(col(|u| u.content.clone()));
        q.push("::text[], ");
        q.push_bind(col(|u| u.content_hash.clone()));
        q.push("::text[]) AS t(object_id, version, content, content_hash) ON CONFLICT DO NOTHING");
        q
    }
}

impl BatchSql for Sqlite {
    fn upsert_sql(page: &PageWrite<'_>, chunk: &[Upsert], on_conflict: &str) -> QueryBuilder<Sqlite> {
        let now = micros(page.now);
        let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO objects ({UPSERT_COLUMNS}) "));
        q.push_values(chunk, |mut row, u| {
            row.push_bind(page.tenant_id.to_string())
                .push_bind(page.kind.to_owned())
                .push_bind(u.object_id.clone())
                .push_bind(u.display_name.clone())
                .push_bind(u.content.clone())
                .push_bind(u.content_hash.clone())
                .push_bind(u.state_hash.clone())
                .push_bind(u.version)
                .push("FALSE")
                .push("NULL")
                .push_bind(now)
                .push_bind(now)
                .push_bind(now)
                .push_bind(page.run_id.to_string());
        });
        q.push(on_conflict);
        q
    }

    fn versions_sql(page: &PageWrite<'_>, chunk: &[Upsert]) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO object_versions (tenant_id, kind, object_id, version, content, content_hash, removed, \
             observed_at, run_id) ",
        );
        q.push_values(chunk, |mut row, u| {
            row.push_bind(page.tenant_id.to_string())
                .push_bind(page.kind.to_owned())
                .push_bind(u.object_id.clone())
                .push_bind(u.version)
                .push_bind(u.content.clone())
                .push_bind(u.content_hash.clone())
                .push("FALSE")
                .push_bind(micros(page.now))
                .push_bind(page.run_id.to_string());
        });
        q.push(" ON CONFLICT DO NOTHING");
        q
    }
}
