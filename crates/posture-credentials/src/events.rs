//! Bus events the credentials role announces: `topics::CONNECTION_CHANGED` for every committed
//! change of a connection, `topics::CONNECTION_HEALTH_CHANGED` when a recorded health changes
//! state. The store stages each event in its outbox inside the transaction that makes the change,
//! and the outbox relay publishes it, so a committed change is announced at least once even when
//! the bus is down at that moment. Payloads never carry secret material.

use chrono::{DateTime, Utc};
use posture_bus::outbox::OutboxMessage;
use posture_bus::topics::{self, Topic};
use posture_bus::{BusError, MessageId};
use posture_kit::ids::TenantId;
use posture_kit::time::timestamp;
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged, ConnectionHealthChanged, TenantPurged};
use uuid::Uuid;

use crate::domain::ConnectionState;
use crate::health::connection_health;
use crate::store::HealthRecord;

/// A fresh event id: the event's `event_id` and its bus message id. It is staged with the event,
/// so every publish of that event (a retry after a failure, a repeat after a crash) carries the
/// same id and the bus drops the duplicates.
fn event_id() -> String {
    Uuid::new_v4().to_string()
}

fn message<M: prost::Message>(
    topic: &Topic<M>,
    tenant_id: &TenantId,
    event_id: String,
    event: &M,
) -> Result<OutboxMessage, BusError> {
    Ok(OutboxMessage::new(
        topic.subject(tenant_id),
        MessageId::new(event_id)?,
        event,
    ))
}

/// The `ConnectionChanged` event of a change to the tenant's connection.
pub(crate) fn connection_changed(
    tenant_id: &TenantId,
    change: ConnectionChange,
    credential_version: i64,
    changed_by: &str,
    occurred_at: DateTime<Utc>,
) -> Result<OutboxMessage, BusError> {
    let event = ConnectionChanged {
        event_id: event_id(),
        occurred_at: Some(timestamp(occurred_at)),
        tenant_id: tenant_id.to_string(),
        change: change as i32,
        credential_version: u64::try_from(credential_version).unwrap_or(0),
        changed_by: changed_by.to_owned(),
    };
    message(
        &topics::CONNECTION_CHANGED,
        tenant_id,
        event.event_id.clone(),
        &event,
    )
}

/// The `ConnectionHealthChanged` event of a health result that moved the connection from
/// `previous` to `health.state`.
pub(crate) fn health_changed(
    tenant_id: &TenantId,
    previous: ConnectionState,
    health: &HealthRecord,
    occurred_at: DateTime<Utc>,
) -> Result<OutboxMessage, BusError> {
    let event = ConnectionHealthChanged {
        event_id: event_id(),
        occurred_at: Some(timestamp(occurred_at)),
        tenant_id: tenant_id.to_string(),
        previous_state: previous.proto() as i32,
        health: Some(connection_health(health)),
        credential_version: u64::try_from(health.credential_version).unwrap_or(0),
    };
    message(
        &topics::CONNECTION_HEALTH_CHANGED,
        tenant_id,
        event.event_id.clone(),
        &event,
    )
}

/// The `TenantPurged` event of a purge that ran: every role deletes its rows for the tenant.
pub(crate) fn tenant_purged(
    tenant_id: &TenantId,
    requested_by: &str,
    occurred_at: DateTime<Utc>,
) -> Result<OutboxMessage, BusError> {
    let event = TenantPurged {
        event_id: event_id(),
        occurred_at: Some(timestamp(occurred_at)),
        tenant_id: tenant_id.to_string(),
        requested_by: requested_by.to_owned(),
    };
    message(&topics::TENANT_PURGED, tenant_id, event.event_id.clone(), &event)
}
