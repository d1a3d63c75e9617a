//! Rows written to the sync schema, as PostgreSQL itself counts them (`pg_stat_user_tables`), so
//! "an unchanged re-sync writes nothing" is measured outside the code under test. Inventory tables
//! hold the objects and their versions; bookkeeping tables hold runs, per-entity progress and
//! cursors, which every run writes by design.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use sqlx::PgPool;

/// The schema the sync role owns.
const SCHEMA: &str = "sync";

/// Tables whose rows are inventory content; every other table of the schema is bookkeeping.
pub const INVENTORY_TABLES: [&str; 2] = ["objects", "object_versions"];

/// A backend publishes its counters when its transaction ends, but at most once a second; an idle
/// backend with counters still pending publishes them after 10 s (PGSTAT_IDLE_INTERVAL). Counters
/// unchanged over a longer window are final.
const SETTLE_WINDOW: Duration = Duration::from_secs(11);
const SETTLE_ATTEMPTS: usize = 20;

/// Inserted, updated and deleted rows of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Writes {
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
}

impl Writes {
    pub fn total(&self) -> i64 {
        self.inserted + self.updated + self.deleted
    }

    fn minus(&self, before: &Writes) -> Writes {
        Writes {
            inserted: self.inserted - before.inserted,
            updated: self.updated - before.updated,
            deleted: self.deleted - before.deleted,
        }
    }
}

/// The counters of every table of the sync schema at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters(BTreeMap<String, Writes>);

impl Counters {
    async fn read(pool: &PgPool) -> anyhow::Result<Counters> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT relname::text, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables \
             WHERE schemaname = $1",
        )
        .bind(SCHEMA)
        .fetch_all(pool)
        .await?;
        Ok(Counters(
            rows.into_iter()
                .map(|(table, inserted, updated, deleted)| {
                    (
                        table,
                        Writes {
                            inserted,
                            updated,
                            deleted,
                        },
                    )
                })
                .collect(),
        ))
    }

    /// The counters once every backend has published what it wrote.
    pub async fn settled(pool: &PgPool) -> anyhow::Result<Counters> {
        let mut last = Counters::read(pool).await?;
        for _ in 0..SETTLE_ATTEMPTS {
            tokio::time::sleep(SETTLE_WINDOW).await;
            let now = Counters::read(pool).await?;
            if now == last {
                return Ok(now);
            }
            last = now;
        }
        bail!(
            "the sync schema's row counters kept changing for {} s",
            SETTLE_WINDOW.as_secs() * SETTLE_ATTEMPTS as u64
        )
    }

    /// What each table gained since `before`, inventory tables and bookkeeping tables apart.
    pub fn since(&self, before: &Counters) -> RowsWritten {
        let mut written = RowsWritten::default();
        for (table, now) in &self.0 {
            let delta = now.minus(&before.0.get(table).copied().unwrap_or_default());
            if INVENTORY_TABLES.contains(&table.as_str()) {
                written.inventory.insert(table.clone(), delta);
            } else {
                written.bookkeeping.insert(table.clone(), delta);
            }
        }
        written
    }
}

/// Rows written between two settled readings.
#[derive(Debug, Default)]
pub struct RowsWritten {
    pub inventory: BTreeMap<String, Writes>,
    pub bookkeeping: BTreeMap<String, Writes>,
}

impl RowsWritten {
    pub fn inventory_total(&self) -> i64 {
        self.inventory.values().map(Writes::total).sum()
    }

    pub fn bookkeeping_total(&self) -> i64 {
        self.bookkeeping.values().map(Writes::total).sum()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let tables = |map: &BTreeMap<String, Writes>| {
            map.iter()
                .map(|(table, w)| {
                    (
                        format!("{SCHEMA}.{table}"),
                        serde_json::json!({
                            "inserted": w.inserted,
                            "updated": w.updated,
                            "deleted": w.deleted,
                        }),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
        };
        serde_json::json!({
            "inventory_total": self.inventory_total(),
            "bookkeeping_total": self.bookkeeping_total(),
            "inventory": tables(&self.inventory),
            "bookkeeping": tables(&self.bookkeeping),
        })
    }
}
