//! Sealed secrets as stored (key id, wrapped data key, ciphertext) and the metadata shown in their
//! place; plus the queries key rotation runs: rows wrapped by another key, and a compare-and-swap
//! re-wrap that never overwrites a credential replaced in the meantime.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_kit::ids::{ConnectionId, TenantId};

use super::row::RowExt;
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend, stored_id};
use crate::domain::AuthMethod;
use crate::envelope::{SealedSecret, SecretKind};
use crate::keyring::KeyId;

/// What is known about a stored credential without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMetadata {
    pub auth_method: AuthMethod,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub certificate_thumbprint: Option<String>,
    pub certificate_subject: Option<String>,
    /// The certificate itself is public; only its private key is sealed.
    pub certificate_pem: Option<String>,
}

/// A new wrapping for one secret, applied only if the stored one is still `old`.
#[derive(Debug)]
pub struct WrappingSwap<'a> {
    pub tenant_id: TenantId,
    pub old: &'a SealedSecret,
    pub new: SealedSecret,
}

/// One sealed secret with the binding it was sealed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub kind: SecretKind,
    pub credential_version: i64,
    pub sealed: SealedSecret,
}

fn read_sealed<R: RowExt>(row: &R) -> Result<SealedRow, StoreError> {
    let read = |source| StoreError::Query {
        context: "reading a sealed secret",
        source,
    };
    let tenant_text = row.text("tenant_id").map_err(read)?;
    let kind = match row.text("kind").map_err(read)?.as_str() {
        "client-secret" => SecretKind::ClientSecret,
        "certificate-key" => SecretKind::CertificateKey,
        other => return Err(corrupt("secret kind", &tenant_text, other)),
    };
    let key_id = KeyId::new(row.text("key_id").map_err(read)?)
        .map_err(|e| corrupt("key id", &tenant_text, e.to_string()))?;
    Ok(SealedRow {
        tenant_id: stored_id("tenant_id", &tenant_text, &tenant_text)?,
        connection_id: stored_id(
            "connection_id",
            &tenant_text,
            &row.text("connection_id").map_err(read)?,
        )?,
        kind,
        credential_version: row.int("credential_version").map_err(read)?,
        sealed: SealedSecret {
            key_id,
            wrapped_key: row.bytes("wrapped_key").map_err(read)?,
            ciphertext: row.bytes("ciphertext").map_err(read)?,
        },
    })
}

const SELECT_SEALED: &str = "SELECT s.tenant_id, c.connection_id, s.kind, s.credential_version, s.key_id, \
     s.wrapped_key, s.ciphertext FROM sealed_secrets s JOIN connections c ON c.tenant_id = s.tenant_id";

impl CredentialStore {
    pub async fn sealed_secret(&self, tenant_id: &TenantId) -> Result<Option<SealedRow>, StoreError> {
        let sql = format!("{SELECT_SEALED} WHERE s.tenant_id = $1");
        on_backend!(self.db(), |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tenant_id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(map_sql_error("reading a sealed secret", tenant_id))?;
            row.as_ref().map(read_sealed).transpose()
        })
    }

    /// Up to `limit` secrets not wrapped by `active`, after tenant `after` (a pass walks the table
    /// once even when some rows cannot be re-wrapped).
    pub async fn secrets_not_wrapped_by(
        &self,
        active: &KeyId,
        after: Option<&TenantId>,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let sql = format!(
            "{SELECT_SEALED} WHERE s.key_id <> $1 AND ($2 IS NULL OR s.tenant_id > $2) ORDER BY s.tenant_id LIMIT $3"
        );
        let after = after.map(TenantId::to_string);
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(active.as_str())
                .bind(&after)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(map_sql_error("listing secrets to re-wrap", ""))?;
            rows.iter().map(read_sealed).collect()
        })
    }

    /// Replaces the wrapping of each secret that is still exactly its `old` (one transaction per
    /// call, so a batch costs one commit); a `false` entry means that credential changed in the
    /// meantime (its new secret is already under the active key).
    pub async fn swap_wrappings(&self, swaps: &[WrappingSwap<'_>]) -> Result<Vec<bool>, StoreError> {
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", ""))?;
            let mut swapped = Vec::with_capacity(swaps.len());
            for swap in swaps {
                let updated = sqlx::query(
                    "UPDATE sealed_secrets SET key_id = $2, wrapped_key = $3 \
                     WHERE tenant_id = $1 AND key_id = $4 AND wrapped_key = $5 AND ciphertext = $6",
                )
                .bind(swap.tenant_id.to_string())
                .bind(swap.new.key_id.as_str())
                .bind(&swap.new.wrapped_key)
                .bind(swap.old.key_id.as_str())
                .bind(&swap.old.wrapped_key)
                .bind(&swap.old.ciphertext)
                .execute(&mut *tx)
                .await
                .map_err(map_sql_error("re-wrapping a secret", swap.tenant_id))?;
                swapped.push(updated.rows_affected() == 1);
            }
            tx.commit()
                .await
                .map_err(map_sql_error("committing re-wrapped secrets", ""))?;
            Ok(swapped)
        })
    }

    /// How many secrets each key wraps, so an operator knows when a key can be retired.
    pub async fn secrets_per_key(&self) -> Result<Vec<(String, i64)>, StoreError> {
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(
                "SELECT key_id, COUNT(*) AS secrets FROM sealed_secrets GROUP BY key_id ORDER BY key_id",
            )
            .fetch_all(pool)
            .await
            .map_err(map_sql_error("counting secrets per key", ""))?;
            rows.iter()
                .map(|row| {
                    let read = map_sql_error("counting secrets per key", "");
                    Ok((
                        row.text("key_id").map_err(read)?,
                        row.int("secrets")
                            .map_err(map_sql_error("counting secrets per key", ""))?,
                    ))
                })
                .collect()
        })
    }
}
