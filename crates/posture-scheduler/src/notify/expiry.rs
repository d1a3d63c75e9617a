//! SECRET_EXPIRING: the scheduler reads the fleet's connections from the credentials role (their
//! credential metadata, never a secret) every `expiry_check` and notifies each subscription whose
//! window (`credential_expiry_days`, default 14) a credential has entered. The delivery is keyed on
//! the credential version, so each credential is announced once per subscription, by whichever
//! replica sees it first; a rotated credential starts afresh.

use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{Connection, ListConnectionsRequest, NotificationEvent};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use super::events::Notifier;
use super::payload::Notification;

/// Days ahead of expiry a subscription hears, when it names none.
pub const DEFAULT_CREDENTIAL_EXPIRY_DAYS: u32 = 14;

/// Watches credential expiry until `shutdown`.
pub async fn watch(notifier: Notifier, credentials: Channel, every: Duration, shutdown: CancellationToken) {
    tracing::info!(
        every_secs = every.as_secs(),
        "watching credential expiry for notifications"
    );
    loop {
        if let Err(error) = check(&notifier, credentials.clone()).await {
            tracing::warn!(%error, "checking credential expiry for notifications failed; retrying later");
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// One pass over every connection; returns the deliveries stored.
pub async fn check(notifier: &Notifier, credentials: Channel) -> Result<usize, ExpiryError> {
    let mut client = TenantConnectionServiceClient::new(credentials);
    let mut stored = 0;
    let mut page_token = String::new();
    loop {
        let page = client
            .list_connections(ListConnectionsRequest {
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|status| ExpiryError(format!("listing connections: {}", status.message())))?
            .into_inner();
        for connection in &page.connections {
            stored += announce(notifier, connection).await?;
        }
        if page.next_page_token.is_empty() {
            return Ok(stored);
        }
        page_token = page.next_page_token;
    }
}

async fn announce(notifier: &Notifier, connection: &Connection) -> Result<usize, ExpiryError> {
    let Ok(tenant) = connection.tenant_id.parse::<TenantId>() else {
        return Ok(0);
    };
    let Some(credential) = &connection.credential else {
        return Ok(0);
    };
    let Some(expires_at) = credential
        .expires_at
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
    else {
        return Ok(0);
    };
    let now = notifier.clock.now();
    let days_left = (expires_at - now).num_days();
    tracing::debug!(%tenant, %expires_at, days_left, "credential expiry checked");
    let notification = expiry_notification(connection, tenant, expires_at, days_left, now);
    let key = format!(
        "secret-expiring/{}/{}",
        credential.credential_version,
        expires_at.timestamp()
    );
    notifier
        .notify(&key, &notification, |subscription| {
            let window = match subscription.credential_expiry_days {
                0 => DEFAULT_CREDENTIAL_EXPIRY_DAYS,
                days => days,
            };
            expires_at - now <= chrono::Duration::days(i64::from(window))
        })
        .await
        .map_err(|e| ExpiryError(e.to_string()))
}

fn expiry_notification(
    connection: &Connection,
    tenant: TenantId,
    expires_at: DateTime<Utc>,
    days_left: i64,
    now: DateTime<Utc>,
) -> Notification {
    let name = if connection.display_name.is_empty() {
        tenant.to_string()
    } else {
        connection.display_name.clone()
    };
    let when = expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let (title, summary) = if expires_at <= now {
        (
            format!("{name}: the app's credential has expired"),
            format!(
                "The credential expired at {when}; save a new one with `posture tenants update-credentials`."
            ),
        )
    } else {
        (
            format!("{name}: the app's credential expires in {days_left} days"),
            format!(
                "The credential expires at {when}; save a new one with `posture tenants update-credentials` before then."
            ),
        )
    };
    let version = connection.credential.as_ref().map_or(0, |c| c.credential_version);
    Notification {
        event: NotificationEvent::SecretExpiring,
        tenant_id: Some(tenant),
        occurred_at: now,
        title,
        summary,
        facts: vec![
            ("Tenant".to_owned(), tenant.to_string()),
            ("Expires".to_owned(), when),
            ("Days left".to_owned(), days_left.max(0).to_string()),
        ],
        data: json!({
            "display_name": connection.display_name,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "days_left": days_left,
            "credential_version": version,
        }),
    }
}

/// Why a pass failed, in words: the connection listing's status or a store failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExpiryError(String);
