//! Bus events the credentials role publishes: `events.connection-changed.{tenant}` after every
//! committed change of a connection, `events.connection-health-changed.{tenant}` when a recorded
//! health changes state. Payloads never carry secret material.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posture_bus::topics::{self, Topic};
use posture_bus::{Bus, BusExt, MessageId};
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged, ConnectionHealthChanged};
use posture_proto::v1::ConnectionHealth;

use crate::domain::ConnectionState;
use posture_kit::ids::TenantId;
use uuid::Uuid;

use posture_kit::time::timestamp;

/// Publishes connection events. A failed publish is logged, not returned: the change is already
/// committed, and consumers re-read the credential version from the vault anyway.
#[derive(Clone)]
pub struct ConnectionEvents {
    bus: Arc<dyn Bus>,
}

impl ConnectionEvents {
    pub fn new(bus: Arc<dyn Bus>) -> Self {
        Self { bus }
    }

    pub async fn changed(
        &self,
        tenant_id: &TenantId,
        change: ConnectionChange,
        credential_version: i64,
        changed_by: &str,
        occurred_at: DateTime<Utc>,
    ) {
        let event_id = Uuid::new_v4().to_string();
        let event = ConnectionChanged {
            event_id: event_id.clone(),
            occurred_at: Some(timestamp(occurred_at)),
            tenant_id: tenant_id.to_string(),
            change: change as i32,
            credential_version: u64::try_from(credential_version).unwrap_or(0),
            changed_by: changed_by.to_owned(),
        };
        self.publish(&topics::CONNECTION_CHANGED, tenant_id, &event_id, &event)
            .await;
    }

    pub async fn health_changed(
        &self,
        tenant_id: &TenantId,
        previous: ConnectionState,
        health: ConnectionHealth,
        credential_version: i64,
        occurred_at: DateTime<Utc>,
    ) {
        let event_id = Uuid::new_v4().to_string();
        let event = ConnectionHealthChanged {
            event_id: event_id.clone(),
            occurred_at: Some(timestamp(occurred_at)),
            tenant_id: tenant_id.to_string(),
            previous_state: previous.proto() as i32,
            health: Some(health),
            credential_version: u64::try_from(credential_version).unwrap_or(0),
        };
        self.publish(&topics::CONNECTION_HEALTH_CHANGED, tenant_id, &event_id, &event)
            .await;
    }

    async fn publish<M: prost::Message + Sync>(
        &self,
        topic: &Topic<M>,
        tenant_id: &TenantId,
        event_id: &str,
        event: &M,
    ) {
        let result = async {
            let id = MessageId::new(event_id)?;
            self.bus
                .publish_message(topic.subject(tenant_id), id, event)
                .await
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, %tenant_id, event = topic.token(), "could not publish a connection event");
        }
    }
}
