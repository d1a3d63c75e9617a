//! Where a (tenant, kind) stands: the next link of a job in progress (with the run that owns
//! it) and the delta link the last complete delta round ended with. Saved in the same
//! transaction as the page it follows.

use posture_kit::ids::{RunId, TenantId};

use super::{InventoryStore, StoreError, parse_id, sql_error};

/// The stored position of one (tenant, kind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The run whose job wrote `next_link`.
    pub run_id: Option<RunId>,
    /// The page to read next; `None` when no job is in progress.
    pub next_link: Option<String>,
    /// Where the next delta round starts.
    pub delta_link: Option<String>,
    /// True while the job in progress has read every page since the first one, so removals can be
    /// swept at its end.
    pub complete_pass: bool,
}

/// Upserts the cursor inside an open transaction (`$conn` is `&mut *tx`).
macro_rules! save_cursor {
    ($conn:expr, $tenant:expr, $kind:expr, $cursor:expr) => {{
        let tenant: &posture_kit::ids::TenantId = $tenant;
        let cursor: &$crate::store::Cursor = $cursor;
        sqlx::query(
            "INSERT INTO cursors (tenant_id, kind, run_id, next_link, delta_link, complete_pass) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, kind) DO UPDATE SET \
             run_id = excluded.run_id, next_link = excluded.next_link, delta_link = excluded.delta_link, \
             complete_pass = excluded.complete_pass",
        )
        .bind(tenant.to_string())
        .bind($kind)
        .bind(cursor.run_id.map(|run| run.to_string()))
        .bind(cursor.next_link.as_deref())
        .bind(cursor.delta_link.as_deref())
        .bind(cursor.complete_pass)
        .execute($conn)
        .await
        .map_err($crate::store::sql_error("saving a cursor"))?;
    }};
}
pub(crate) use save_cursor;

type CursorRow = (Option<String>, Option<String>, Option<String>, bool);

impl InventoryStore {
    pub async fn cursor(&self, tenant_id: &TenantId, kind: &str) -> Result<Cursor, StoreError> {
        let row: Option<CursorRow> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT run_id, next_link, delta_link, complete_pass FROM cursors \
                     WHERE tenant_id = $1 AND kind = $2",
            )
            .bind(tenant_id.to_string())
            .bind(kind)
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading a cursor"))?
        });
        let Some((run_id, next_link, delta_link, complete_pass)) = row else {
            return Ok(Cursor::default());
        };
        Ok(Cursor {
            run_id: run_id.as_deref().map(parse_id).transpose()?,
            next_link,
            delta_link,
            complete_pass,
        })
    }

    /// Replaces the cursor outside a page write (job start, delta expiry).
    pub async fn set_cursor(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        super::on_backend!(self.db(), |pool| {
            let mut conn = pool.acquire().await.map_err(sql_error("saving a cursor"))?;
            save_cursor!(&mut *conn, tenant_id, kind, cursor);
        });
        Ok(())
    }
}
