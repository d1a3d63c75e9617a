//! The credential's lifecycle after creation: replacing it (a new sealed secret, the version bumped,
//! health back to PENDING, everything else kept) and deleting the connection with an audit record.
//! Each stages its `ConnectionChanged` event in the outbox within the transaction that makes it.

use chrono::{DateTime, Utc};
use posture_bus::outbox::StageMessage;
use posture_kit::db::BeginWrite;
use posture_kit::ids::{ConnectionId, TenantId};
use posture_proto::events::v1::ConnectionChange;

use super::row::{RowExt, Ts};
use super::secrets::SecretMetadata;
use super::{CredentialStore, StoreError, map_sql_error, on_backend, stored_id};
use crate::domain::ConnectionState;
use crate::envelope::{SealedSecret, SecretKind};
use crate::events;

/// A new credential for an existing connection.
#[derive(Debug)]
pub struct CredentialReplacement<'a> {
    /// The connection the secret was sealed for; another connection of the tenant is not touched.
    pub connection_id: ConnectionId,
    /// A new application (client) id, or `None` to keep the current one.
    pub client_id: Option<&'a str>,
    pub secret: &'a SecretMetadata,
    pub kind: SecretKind,
    pub sealed: &'a SealedSecret,
    pub now: DateTime<Utc>,
}

/// What was kept of a deleted connection.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletionRecord {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub deleted_by: String,
    pub reason: String,
    pub deleted_at: DateTime<Utc>,
}

impl CredentialStore {
    /// Replaces the sealed secret and its metadata, bumps the credential version, resets health
    /// to PENDING and stages the `CredentialsUpdated` event. Only the connection `connection_id` is
    /// touched (the secret was sealed for it); returns the new version, or `None` when that
    /// connection no longer exists.
    pub async fn replace_credential(
        &self,
        tenant_id: &TenantId,
        replacement: &CredentialReplacement<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let CredentialReplacement {
            connection_id,
            client_id,
            secret,
            kind,
            sealed,
            now,
        } = *replacement;
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", tenant_id))?;
            let row = sqlx::query(
                "UPDATE connections SET credential_version = credential_version + 1, \
                 client_id = COALESCE($3, client_id), auth_method = $4, saved_by = $5, saved_at = $6, \
                 expires_at = $7, certificate_thumbprint = $8, certificate_subject = $9, certificate_pem = $10, \
                 updated_at = $6 WHERE tenant_id = $1 AND connection_id = $2 RETURNING credential_version",
            )
            .bind(tenant_id.to_string())
            .bind(connection_id.to_string())
            .bind(client_id)
            .bind(secret.auth_method.name())
            .bind(&secret.saved_by)
            .bind(Ts(now))
            .bind(Ts(secret.expires_at))
            .bind(&secret.certificate_thumbprint)
            .bind(&secret.certificate_subject)
            .bind(&secret.certificate_pem)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sql_error("replacing a credential", tenant_id))?;
            let Some(row) = row else {
                return Ok(None);
            };
            let version = row
                .int("credential_version")
                .map_err(map_sql_error("reading the credential version", tenant_id))?;
            sqlx::query(
                "UPDATE sealed_secrets SET kind = $2, credential_version = $3, key_id = $4, wrapped_key = $5, \
                 ciphertext = $6 WHERE tenant_id = $1",
            )
            .bind(tenant_id.to_string())
            .bind(kind.as_str())
            .bind(version)
            .bind(sealed.key_id.as_str())
            .bind(&sealed.wrapped_key)
            .bind(&sealed.ciphertext)
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("replacing a sealed secret", tenant_id))?;
            sqlx::query(
                "UPDATE connection_health SET state = $2, detail = NULL, checked_at = NULL, credential_version = $3 \
                 WHERE tenant_id = $1",
            )
            .bind(tenant_id.to_string())
            .bind(ConnectionState::Pending.name())
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("resetting connection health", tenant_id))?;
            let event = events::connection_changed(
                tenant_id,
                ConnectionChange::CredentialsUpdated,
                version,
                &secret.saved_by,
                now,
            )?;
            tx.stage(&event)
                .await
                .map_err(map_sql_error("staging the connection event", tenant_id))?;
            tx.commit()
                .await
                .map_err(map_sql_error("committing a new credential", tenant_id))?;
            Ok(Some(version))
        })
    }

    /// Deletes a connection with its secret and health, leaving an audit record, and stages the
    /// `Deleted` event; `None` when the tenant has no connection.
    pub async fn delete_connection(
        &self,
        tenant_id: &TenantId,
        deleted_by: &str,
        reason: &str,
        now: DateTime<Utc>,
        purge_at: Option<DateTime<Utc>>,
    ) -> Result<Option<DeletionRecord>, StoreError> {
        // A deleted connection has no credential version; the event says 0.
        let event = events::connection_changed(tenant_id, ConnectionChange::Deleted, 0, deleted_by, now)?;
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", tenant_id))?;
            let audited = sqlx::query(
                "INSERT INTO connection_deletions (tenant_id, connection_id, display_name, client_id, \
                 credential_version, deleted_by, reason, deleted_at) \
                 SELECT tenant_id, connection_id, display_name, client_id, credential_version, $2, $3, $4 \
                 FROM connections WHERE tenant_id = $1 RETURNING connection_id",
            )
            .bind(tenant_id.to_string())
            .bind(deleted_by)
            .bind(reason)
            .bind(Ts(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sql_error("auditing a deletion", tenant_id))?;
            let Some(audited) = audited else {
                return Ok(None);
            };
            let connection_id = audited
                .text("connection_id")
                .map_err(map_sql_error("auditing a deletion", tenant_id))?;
            let connection_id = stored_id("connection_id", &tenant_id.to_string(), &connection_id)?;
            sqlx::query("DELETE FROM connections WHERE tenant_id = $1")
                .bind(tenant_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_sql_error("deleting a connection", tenant_id))?;
            if let Some(purge_at) = purge_at {
                // A later request for the same tenant replaces the earlier one's time.
                sqlx::query(
                    "INSERT INTO tenant_purges (tenant_id, requested_by, requested_at, purge_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
                     SET requested_by = excluded.requested_by, requested_at = excluded.requested_at, \
                     purge_at = excluded.purge_at",
                )
                .bind(tenant_id.to_string())
                .bind(deleted_by)
                .bind(Ts(now))
                .bind(Ts(purge_at))
                .execute(&mut *tx)
                .await
                .map_err(map_sql_error("recording a purge request", tenant_id))?;
            }
            tx.stage(&event)
                .await
                .map_err(map_sql_error("staging the connection event", tenant_id))?;
            tx.commit()
                .await
                .map_err(map_sql_error("committing a deletion", tenant_id))?;
            Ok(Some(DeletionRecord {
                tenant_id: *tenant_id,
                connection_id,
                deleted_by: deleted_by.to_owned(),
                reason: reason.to_owned(),
                deleted_at: now,
            }))
        })
    }
}
