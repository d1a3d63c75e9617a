//! The evidence signing keys as stored: public key, sealed private key (PKCS#8, sealed with
//! [`crate::envelope::seal_role_key`] under the key id), creation and retirement times.

use chrono::{DateTime, Utc};

use super::row::{RowExt, Ts};
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend};
use crate::envelope::SealedSecret;
use crate::keyring::KeyId;

/// The one algorithm signing keys use.
pub const ED25519: &str = "Ed25519";

/// One signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    pub key_id: String,
    pub public_key: Vec<u8>,
    pub sealed: SealedSecret,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

fn read_key<R: RowExt>(row: &R) -> Result<SigningKeyRow, StoreError> {
    let read = |source| StoreError::Query {
        context: "reading a signing key",
        source,
    };
    let key_id = row.text("key_id").map_err(read)?;
    let kek_id = KeyId::new(row.text("kek_id").map_err(read)?)
        .map_err(|e| corrupt("signing key's vault key id", &key_id, e.to_string()))?;
    Ok(SigningKeyRow {
        public_key: row.bytes("public_key").map_err(read)?,
        sealed: SealedSecret {
            key_id: kek_id,
            wrapped_key: row.bytes("wrapped_key").map_err(read)?,
            ciphertext: row.bytes("ciphertext").map_err(read)?,
        },
        created_at: row.time("created_at").map_err(read)?,
        retired_at: row.opt_time("retired_at").map_err(read)?,
        key_id,
    })
}

const SELECT_KEYS: &str =
    "SELECT key_id, public_key, kek_id, wrapped_key, ciphertext, created_at, retired_at FROM signing_keys";

impl CredentialStore {
    /// Every signing key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError> {
        let sql = format!("{SELECT_KEYS} ORDER BY created_at, key_id");
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .map_err(map_sql_error("listing signing keys", ""))?;
            rows.iter().map(read_key).collect()
        })
    }

    /// The key that signs now, if one was created.
    pub async fn active_signing_key(&self) -> Result<Option<SigningKeyRow>, StoreError> {
        let sql = format!("{SELECT_KEYS} WHERE algorithm = $1 AND retired_at IS NULL");
        on_backend!(self.db(), |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ED25519)
                .fetch_optional(pool)
                .await
                .map_err(map_sql_error("reading the active signing key", ""))?;
            row.as_ref().map(read_key).transpose()
        })
    }

    /// Stores a new active key; `false` when another one is already active (another replica
    /// created it first), in which case nothing is written.
    pub async fn insert_signing_key(&self, key: &SigningKeyRow) -> Result<bool, StoreError> {
        let result = on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO signing_keys (key_id, algorithm, public_key, kek_id, wrapped_key, ciphertext, \
                 created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
            )
            .bind(&key.key_id)
            .bind(ED25519)
            .bind(&key.public_key)
            .bind(key.sealed.key_id.as_str())
            .bind(&key.sealed.wrapped_key)
            .bind(&key.sealed.ciphertext)
            .bind(Ts(key.created_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(map_sql_error("storing a signing key", &key.key_id))
        });
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Replaces a key's wrapping if it is still `old` (key rotation of the vault keyring).
    pub async fn rewrap_signing_key(
        &self,
        key_id: &str,
        old: &SealedSecret,
        new: &SealedSecret,
    ) -> Result<bool, StoreError> {
        on_backend!(self.db(), |pool| {
            let updated = sqlx::query(
                "UPDATE signing_keys SET kek_id = $2, wrapped_key = $3 \
                 WHERE key_id = $1 AND kek_id = $4 AND wrapped_key = $5",
            )
            .bind(key_id)
            .bind(new.key_id.as_str())
            .bind(&new.wrapped_key)
            .bind(old.key_id.as_str())
            .bind(&old.wrapped_key)
            .execute(pool)
            .await
            .map_err(map_sql_error("re-wrapping a signing key", key_id))?;
            Ok(updated.rows_affected() == 1)
        })
    }
}
