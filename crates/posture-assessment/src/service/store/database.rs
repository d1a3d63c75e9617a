//! The role's storage handle: the `assessment` schema on one database, migrated at start.

use posture_kit::db::Db;

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
}
