//! Deleting one tenant's rows from a role's schema, for the `TenantPurged` event each role
//! consumes: the role lists its deletes (each binding the tenant id as `$1`, children before
//! parents) and they run in one write transaction, so a purge is whole or not at all and running
//! it again deletes nothing more.

use super::{BeginWrite, Db};

/// Runs `statements` with the tenant id bound as `$1` in one transaction; returns the rows deleted.
pub async fn delete_tenant_rows(
    db: &Db,
    statements: &[&'static str],
    tenant_id: &str,
) -> Result<u64, sqlx::Error> {
    crate::on_backend!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut deleted = 0;
        for statement in statements {
            deleted += sqlx::query(*statement)
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(deleted)
    })
}
