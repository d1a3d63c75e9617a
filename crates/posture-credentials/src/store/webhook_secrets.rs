//! Sealed webhook signing secrets, one per notification subscription of the scheduler role. The
//! row holds only the wrapped data key and the ciphertext; the binding is the subscription id.

use uuid::Uuid;

use super::row::RowExt;
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend};
use crate::envelope::SealedSecret;
use crate::keyring::KeyId;

impl CredentialStore {
    /// Stores (or replaces) a subscription's sealed secret.
    pub async fn put_webhook_secret(
        &self,
        subscription_id: Uuid,
        sealed: &SealedSecret,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO webhook_secrets (subscription_id, key_id, wrapped_key, ciphertext) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (subscription_id) DO UPDATE SET \
                   key_id = excluded.key_id, wrapped_key = excluded.wrapped_key, ciphertext = excluded.ciphertext";
        let id = subscription_id.to_string();
        on_backend!(self.db(), |pool| {
            sqlx::query(sql)
                .bind(&id)
                .bind(sealed.key_id.as_str())
                .bind(&sealed.wrapped_key)
                .bind(&sealed.ciphertext)
                .execute(pool)
                .await
                .map_err(map_sql_error("storing a webhook secret", &id))?;
            Ok(())
        })
    }

    /// A subscription's sealed secret, if one is stored.
    pub async fn webhook_secret(&self, subscription_id: Uuid) -> Result<Option<SealedSecret>, StoreError> {
        let sql = "SELECT key_id, wrapped_key, ciphertext FROM webhook_secrets WHERE subscription_id = $1";
        let id = subscription_id.to_string();
        on_backend!(self.db(), |pool| {
            let row = sqlx::query(sql)
                .bind(&id)
                .fetch_optional(pool)
                .await
                .map_err(map_sql_error("reading a webhook secret", &id))?;
            let Some(row) = row else { return Ok(None) };
            let read = |source| StoreError::Query {
                context: "reading a webhook secret",
                source,
            };
            let key_id = KeyId::new(row.text("key_id").map_err(read)?)
                .map_err(|e| corrupt("webhook key id", &id, e.to_string()))?;
            Ok(Some(SealedSecret {
                key_id,
                wrapped_key: row.bytes("wrapped_key").map_err(read)?,
                ciphertext: row.bytes("ciphertext").map_err(read)?,
            }))
        })
    }

    /// Removes a subscription's secret; `false` when there was none.
    pub async fn delete_webhook_secret(&self, subscription_id: Uuid) -> Result<bool, StoreError> {
        let sql = "DELETE FROM webhook_secrets WHERE subscription_id = $1";
        let id = subscription_id.to_string();
        on_backend!(self.db(), |pool| {
            let done = sqlx::query(sql)
                .bind(&id)
                .execute(pool)
                .await
                .map_err(map_sql_error("removing a webhook secret", &id))?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Subscriptions whose secret is not wrapped by `active` (key rotation; webhook secrets are
    /// one per subscription, a few hundred at most).
    pub async fn webhook_secrets_not_wrapped_by(
        &self,
        active: &KeyId,
    ) -> Result<Vec<(Uuid, SealedSecret)>, StoreError> {
        let sql = "SELECT subscription_id FROM webhook_secrets WHERE key_id <> $1 ORDER BY subscription_id";
        let ids: Vec<String> = on_backend!(self.db(), |pool| {
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(active.as_str())
                .fetch_all(pool)
                .await
                .map_err(map_sql_error(
                    "listing webhook secrets to re-wrap",
                    active.as_str(),
                ))?;
            Ok::<_, StoreError>(rows.into_iter().map(|(id,)| id).collect())
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let subscription_id =
                Uuid::parse_str(&id).map_err(|e| corrupt("webhook subscription id", &id, e.to_string()))?;
            if let Some(sealed) = self.webhook_secret(subscription_id).await? {
                out.push((subscription_id, sealed));
            }
        }
        Ok(out)
    }

    /// Replaces a secret's wrapping if it is still `old` (key rotation of the vault keyring).
    pub async fn rewrap_webhook_secret(
        &self,
        subscription_id: Uuid,
        old: &SealedSecret,
        new: &SealedSecret,
    ) -> Result<bool, StoreError> {
        let id = subscription_id.to_string();
        on_backend!(self.db(), |pool| {
            let updated = sqlx::query(
                "UPDATE webhook_secrets SET key_id = $2, wrapped_key = $3 \
                 WHERE subscription_id = $1 AND key_id = $4 AND wrapped_key = $5",
            )
            .bind(&id)
            .bind(new.key_id.as_str())
            .bind(&new.wrapped_key)
            .bind(old.key_id.as_str())
            .bind(&old.wrapped_key)
            .execute(pool)
            .await
            .map_err(map_sql_error("re-wrapping a webhook secret", &id))?;
            Ok(updated.rows_affected() == 1)
        })
    }
}
