//! Connections with their credential metadata and health: create (with the sealed secret and
//! PENDING health, in one transaction), read, list, and change settings. Each change stages its
//! `ConnectionChanged` event in the outbox within the transaction that makes it.

use chrono::{DateTime, Utc};
use posture_bus::outbox::StageMessage;
use posture_kit::db::BeginWrite;
use posture_kit::ids::{ConnectionId, TenantId};
use posture_proto::events::v1::ConnectionChange;

use super::health::HealthRecord;
use super::row::{RowExt, Ts};
use super::secrets::SecretMetadata;
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend, stored_id};
use crate::domain::{AuthMethod, Cloud, ConnectionState, Endpoints};
use crate::envelope::{SealedSecret, SecretKind};
use crate::events;

/// A connection as stored, with its latest health.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRecord {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub display_name: String,
    pub client_id: String,
    pub cloud: Cloud,
    /// Only for [`Cloud::Custom`]; named clouds resolve from the built-in table.
    pub endpoints: Option<Endpoints>,
    pub credential_version: i64,
    pub secret: SecretMetadata,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub health: HealthRecord,
    /// Sorted, distinct, validated.
    pub tags: Vec<String>,
}

/// Everything a new connection is created with.
#[derive(Debug)]
pub struct NewConnection {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub display_name: String,
    pub client_id: String,
    pub cloud: Cloud,
    pub endpoints: Option<Endpoints>,
    pub secret: SecretMetadata,
    pub kind: SecretKind,
    pub sealed: SealedSecret,
    pub created_by: String,
    pub tags: Vec<String>,
    pub now: DateTime<Utc>,
}

/// New settings of a connection (the full set, after applying an update mask).
#[derive(Debug, Clone)]
pub struct SettingsChange {
    pub display_name: String,
    pub cloud: Cloud,
    pub endpoints: Option<Endpoints>,
    pub reset_health: bool,
    pub tags: Vec<String>,
    /// Who changed them, as the change event names them.
    pub changed_by: String,
    pub now: DateTime<Utc>,
}

/// Which connections a list returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub state: Option<ConnectionState>,
    /// Only credentials expiring before this instant.
    pub expiring_before: Option<DateTime<Utc>>,
    /// Only tenant ids after this one (the page cursor).
    pub after_tenant: Option<TenantId>,
    /// Only connections carrying this (validated) tag.
    pub tag: Option<String>,
    pub limit: i64,
}

/// Tags as stored: `,a,b,`, or empty without tags.
pub(crate) fn join_tags(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    }
}

fn split_tags(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The credential version a new connection starts at (the inserts below write it as a literal).
const FIRST_CREDENTIAL_VERSION: i64 = 1;

const SELECT_CONNECTION: &str = "SELECT c.tenant_id, c.connection_id, c.display_name, c.client_id, c.cloud, \
     c.authority_url, c.graph_url, c.defender_url, c.management_activity_url, c.exchange_url, c.auth_method, \
     c.credential_version, c.saved_by, c.saved_at, c.expires_at, c.certificate_thumbprint, \
     c.certificate_subject, c.certificate_pem, c.created_by, c.created_at, c.updated_at, c.tags, \
     h.state, h.detail, h.checked_at, h.credential_version AS health_version \
     FROM connections c JOIN connection_health h ON h.tenant_id = c.tenant_id";

fn read_connection<R: RowExt>(row: &R) -> Result<ConnectionRecord, StoreError> {
    let read = |e| StoreError::Query {
        context: "reading a connection",
        source: e,
    };
    let tenant_text = row.text("tenant_id").map_err(read)?;
    let tenant_id: TenantId = stored_id("tenant_id", &tenant_text, &tenant_text)?;
    let connection_id = stored_id(
        "connection_id",
        &tenant_text,
        &row.text("connection_id").map_err(read)?,
    )?;
    let cloud_text = row.text("cloud").map_err(read)?;
    let cloud = Cloud::from_name(&cloud_text).ok_or_else(|| corrupt("cloud", tenant_id, cloud_text))?;
    let endpoints = match row.opt_text("authority_url").map_err(read)? {
        Some(authority_url) => Some(Endpoints {
            authority_url,
            graph_url: row.opt_text("graph_url").map_err(read)?.unwrap_or_default(),
            defender_url: row.opt_text("defender_url").map_err(read)?.unwrap_or_default(),
            management_activity_url: row
                .opt_text("management_activity_url")
                .map_err(read)?
                .unwrap_or_default(),
            exchange_url: row.opt_text("exchange_url").map_err(read)?.unwrap_or_default(),
        }),
        None => None,
    };
    let method_text = row.text("auth_method").map_err(read)?;
    let auth_method =
        AuthMethod::from_name(&method_text).ok_or_else(|| corrupt("auth_method", tenant_id, method_text))?;
    let state_text = row.text("state").map_err(read)?;
    let state = ConnectionState::from_name(&state_text)
        .ok_or_else(|| corrupt("health state", tenant_id, state_text))?;
    Ok(ConnectionRecord {
        connection_id,
        display_name: row.text("display_name").map_err(read)?,
        client_id: row.text("client_id").map_err(read)?,
        cloud,
        endpoints,
        credential_version: row.int("credential_version").map_err(read)?,
        secret: SecretMetadata {
            auth_method,
            saved_by: row.text("saved_by").map_err(read)?,
            saved_at: row.time("saved_at").map_err(read)?,
            expires_at: row.time("expires_at").map_err(read)?,
            certificate_thumbprint: row.opt_text("certificate_thumbprint").map_err(read)?,
            certificate_subject: row.opt_text("certificate_subject").map_err(read)?,
            certificate_pem: row.opt_text("certificate_pem").map_err(read)?,
        },
        created_by: row.text("created_by").map_err(read)?,
        tags: split_tags(&row.text("tags").map_err(read)?),
        created_at: row.time("created_at").map_err(read)?,
        updated_at: row.time("updated_at").map_err(read)?,
        health: HealthRecord {
            state,
            detail: row.opt_bytes("detail").map_err(read)?,
            checked_at: row.opt_time("checked_at").map_err(read)?,
            credential_version: row.int("health_version").map_err(read)?,
        },
        tenant_id,
    })
}

impl CredentialStore {
    /// Stores a new connection, its sealed secret and PENDING health, and stages its `Created`
    /// event, atomically; `AlreadyExists` when the tenant is connected.
    pub async fn create_connection(&self, new: &NewConnection) -> Result<ConnectionRecord, StoreError> {
        let id = new.tenant_id;
        let endpoint = |pick: fn(&Endpoints) -> &String| new.endpoints.as_ref().map(|e| pick(e).clone());
        let event = events::connection_changed(
            &id,
            ConnectionChange::Created,
            FIRST_CREDENTIAL_VERSION,
            &new.created_by,
            new.now,
        )?;
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", id))?;
            sqlx::query(
                "INSERT INTO connections (tenant_id, connection_id, display_name, client_id, cloud, \
                 authority_url, graph_url, defender_url, management_activity_url, auth_method, \
                 credential_version, saved_by, saved_at, expires_at, certificate_thumbprint, \
                 certificate_subject, certificate_pem, created_by, created_at, updated_at, exchange_url, tags) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20)",
            )
            .bind(id.to_string())
            .bind(new.connection_id.to_string())
            .bind(&new.display_name)
            .bind(&new.client_id)
            .bind(new.cloud.name())
            .bind(endpoint(|e| &e.authority_url))
            .bind(endpoint(|e| &e.graph_url))
            .bind(endpoint(|e| &e.defender_url))
            .bind(endpoint(|e| &e.management_activity_url))
            .bind(new.secret.auth_method.name())
            .bind(&new.secret.saved_by)
            .bind(Ts(new.secret.saved_at))
            .bind(Ts(new.secret.expires_at))
            .bind(&new.secret.certificate_thumbprint)
            .bind(&new.secret.certificate_subject)
            .bind(&new.secret.certificate_pem)
            .bind(&new.created_by)
            .bind(Ts(new.now))
            .bind(endpoint(|e| &e.exchange_url))
            .bind(join_tags(&new.tags))
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("inserting a connection", id))?;
            sqlx::query(
                "INSERT INTO sealed_secrets (tenant_id, kind, credential_version, key_id, wrapped_key, ciphertext) \
                 VALUES ($1, $2, 1, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(new.kind.as_str())
            .bind(new.sealed.key_id.as_str())
            .bind(&new.sealed.wrapped_key)
            .bind(&new.sealed.ciphertext)
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("inserting a sealed secret", id))?;
            sqlx::query(
                "INSERT INTO connection_health (tenant_id, state, credential_version) VALUES ($1, $2, 1)",
            )
            .bind(id.to_string())
            .bind(ConnectionState::Pending.name())
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("inserting connection health", id))?;
            tx.stage(&event)
                .await
                .map_err(map_sql_error("staging the connection event", id))?;
            tx.commit()
                .await
                .map_err(map_sql_error("committing a new connection", id))?;
        });
        self.connection(&id)
            .await?
            .ok_or_else(|| corrupt("connection", id, "missing right after it was created"))
    }

    pub async fn connection(&self, tenant_id: &TenantId) -> Result<Option<ConnectionRecord>, StoreError> {
        let sql = format!("{SELECT_CONNECTION} WHERE c.tenant_id = $1");
        on_backend!(self.db(), |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tenant_id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(map_sql_error("reading a connection", tenant_id))?;
            row.as_ref().map(read_connection).transpose()
        })
    }

    /// A page of connections ordered by tenant id.
    pub async fn list_connections(&self, filter: &ListFilter) -> Result<Vec<ConnectionRecord>, StoreError> {
        let sql = format!(
            "{SELECT_CONNECTION} WHERE ($1 IS NULL OR h.state = $1) AND ($2 IS NULL OR c.expires_at < $2) \
             AND ($3 IS NULL OR c.tenant_id > $3) AND ($5 IS NULL OR c.tags LIKE '%,' || $5 || ',%') \
             ORDER BY c.tenant_id LIMIT $4"
        );
        let state = filter.state.map(ConnectionState::name);
        let expiring = filter.expiring_before.map(Ts);
        let after = filter.after_tenant.map(|tenant| tenant.to_string());
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(state)
                .bind(expiring)
                .bind(&after)
                .bind(filter.limit)
                .bind(&filter.tag)
                .fetch_all(pool)
                .await
                .map_err(map_sql_error("listing connections", ""))?;
            rows.iter().map(read_connection).collect()
        })
    }

    /// Writes new settings and stages their `Updated` event; `false` when the tenant has no
    /// connection.
    pub async fn update_settings(
        &self,
        tenant_id: &TenantId,
        change: &SettingsChange,
    ) -> Result<bool, StoreError> {
        let endpoint = |pick: fn(&Endpoints) -> &String| change.endpoints.as_ref().map(|e| pick(e).clone());
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", tenant_id))?;
            let updated = sqlx::query(
                "UPDATE connections SET display_name = $2, cloud = $3, authority_url = $4, graph_url = $5, \
                 defender_url = $6, management_activity_url = $7, updated_at = $8, exchange_url = $9, tags = $10 \
                 WHERE tenant_id = $1 \
                 RETURNING credential_version",
            )
            .bind(tenant_id.to_string())
            .bind(&change.display_name)
            .bind(change.cloud.name())
            .bind(endpoint(|e| &e.authority_url))
            .bind(endpoint(|e| &e.graph_url))
            .bind(endpoint(|e| &e.defender_url))
            .bind(endpoint(|e| &e.management_activity_url))
            .bind(Ts(change.now))
            .bind(endpoint(|e| &e.exchange_url))
            .bind(join_tags(&change.tags))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sql_error("updating connection settings", tenant_id))?;
            let Some(updated) = updated else {
                return Ok(false);
            };
            let version = updated
                .int("credential_version")
                .map_err(map_sql_error("reading the credential version", tenant_id))?;
            if change.reset_health {
                sqlx::query(
                    "UPDATE connection_health SET state = $2, detail = NULL, checked_at = NULL WHERE tenant_id = $1",
                )
                .bind(tenant_id.to_string())
                .bind(ConnectionState::Pending.name())
                .execute(&mut *tx)
                .await
                .map_err(map_sql_error("resetting connection health", tenant_id))?;
            }
            let event = events::connection_changed(
                tenant_id,
                ConnectionChange::Updated,
                version,
                &change.changed_by,
                change.now,
            )?;
            tx.stage(&event)
                .await
                .map_err(map_sql_error("staging the connection event", tenant_id))?;
            tx.commit()
                .await
                .map_err(map_sql_error("committing settings", tenant_id))?;
            Ok(true)
        })
    }
}
