//! API keys: how callers authenticate. A key is generated here, shown once, and stored as a
//! SHA-256 hash with its role and tenant scope; [`issue_key`] is the one way a key comes to exist
//! (the API and the CLI's bootstrap both use it).

pub(crate) mod migrations;
mod secret;
mod service;
mod store;

use chrono::{DateTime, Utc};
use posture_kit::clock::{Clock, SystemClock};
use posture_kit::db::Db;
use secrecy::SecretString;

pub use secret::{PresentedKey, display_prefix};
pub use service::ApiKeyApi;
pub use store::{ApiKeyRecord, ApiKeyStore, StoreError, StoredKey};

use crate::GatewayError;
use crate::auth::{AccessRole, TenantScope};

/// What a new key is for.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub display_name: String,
    pub role: AccessRole,
    pub scope: TenantScope,
    pub expires_at: Option<DateTime<Utc>>,
    /// The principal creating it.
    pub created_by: String,
}

/// A key just created: its metadata and the key itself, which exists nowhere else.
#[derive(Debug)]
pub struct IssuedApiKey {
    pub record: ApiKeyRecord,
    /// `pst_<id>_<secret>`; `Debug` prints `[redacted]`.
    pub key: SecretString,
}

/// Generates, stores and returns a key.
pub async fn issue_key(
    store: &ApiKeyStore,
    new: NewApiKey,
    now: DateTime<Utc>,
) -> Result<IssuedApiKey, StoreError> {
    use chrono::SubsecRound;
    let generated = secret::generate();
    let record = ApiKeyRecord {
        id: generated.id,
        display_name: new.display_name,
        role: new.role,
        scope: new.scope,
        key_prefix: generated.prefix.clone(),
        created_by: new.created_by,
        created_at: now.trunc_subsecs(6),
        expires_at: new.expires_at.map(|at| at.trunc_subsecs(6)),
        last_used_at: None,
        revoked_at: None,
    };
    store.insert(&record, &generated.hash).await?;
    Ok(IssuedApiKey {
        record,
        key: generated.key,
    })
}

/// Name of the key the bootstrap creates.
pub const BOOTSTRAP_KEY_NAME: &str = "bootstrap-admin";

/// Creates the first admin key (all tenants) for `posture keys bootstrap`. Runs the gateway's
/// migrations first, so it works on a fresh database. Refuses when an active admin key exists
/// unless `force` is set; a forced key gets a name of its own.
pub async fn bootstrap_admin_key(db: &Db, force: bool) -> Result<IssuedApiKey, GatewayError> {
    db.migrate(migrations::SCHEMA, migrations::MIGRATIONS).await?;
    let store = ApiKeyStore::new(db.clone());
    let now = SystemClock.now();
    let exists = store.has_active_admin(now).await?;
    if exists && !force {
        return Err(GatewayError::AdminKeyExists);
    }
    let display_name = if exists {
        format!("{BOOTSTRAP_KEY_NAME}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"))
    } else {
        BOOTSTRAP_KEY_NAME.to_owned()
    };
    let new = NewApiKey {
        display_name,
        role: AccessRole::Admin,
        scope: TenantScope::AllTenants,
        expires_at: None,
        created_by: "bootstrap".to_owned(),
    };
    match issue_key(&store, new.clone(), now).await {
        // An earlier bootstrap key may have been revoked or expired while keeping its name.
        Err(StoreError::DuplicateName(_)) => {
            let renamed = NewApiKey {
                display_name: format!("{BOOTSTRAP_KEY_NAME}-{}", now.format("%Y%m%dT%H%M%S%.3fZ")),
                ..new
            };
            Ok(issue_key(&store, renamed, now).await?)
        }
        other => Ok(other?),
    }
}
