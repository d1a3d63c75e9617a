//! The role's storage handle: the `assessment` schema on one database, migrated at start.

use posture_bus::outbox::{OutboxMessage, StageMessage};
use posture_kit::db::Db;

use super::error::{StoreError, sql_error};
use super::migrations::MIGRATIONS;

/// Schema (PostgreSQL) or file suffix (SQLite) of the assessment role.
pub const SCHEMA: &str = "assessment";

/// The role's storage. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct AssessmentStore {
    db: Db,
}

impl AssessmentStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Applies the role's migrations (safe with many replicas starting at once).
    pub async fn migrate(&self) -> Result<(), posture_kit::db::DbError> {
        self.db.migrate(SCHEMA, MIGRATIONS).await.map(|_| ())
    }

    /// Stages an event in the outbox on its own, for an announcement of a change made earlier
    /// that could not be published and will not be retried otherwise.
    pub async fn stage(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            let mut connection = pool
                .acquire()
                .await
                .map_err(sql_error("connecting to stage an event"))?;
            connection
                .stage(message)
                .await
                .map_err(sql_error("staging an event"))?;
        });
        Ok(())
    }
}
