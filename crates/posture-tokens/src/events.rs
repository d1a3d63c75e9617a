//! The role on the bus: the consumer that drops a tenant's tokens when its connection changes
//! (and tests the connection again unless it was deleted). Replicas share the durable consumer,
//! and every replica still drops its copy because the drop goes through the coordinator's shared
//! slot, which all replicas watch.

use std::time::Duration;

use async_trait::async_trait;
use posture_bus::topics::{self, durable};
use posture_bus::{
    Bus, Consumer, ConsumerConfig, Delivery, Handler, HandlerError, RetryPolicy, run_consumer,
};
use posture_kit::ids::TenantId;
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged};
use tokio_util::sync::CancellationToken;

use crate::broker::TokenBroker;
use crate::connection_test::ConnectionTester;
use crate::error::TokensError;

pub(crate) struct ConnectionChangedHandler {
    pub broker: TokenBroker,
    pub tester: ConnectionTester,
}

#[async_trait]
impl Handler for ConnectionChangedHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ConnectionChanged = delivery.decode()?;
        let tenant: TenantId = event.tenant_id.parse().map_err(HandlerError::permanent)?;
        let change = ConnectionChange::try_from(event.change).unwrap_or(ConnectionChange::Unspecified);
        if change == ConnectionChange::Unspecified {
            return Err(HandlerError::permanent(format!(
                "connection change of tenant {tenant} names no change"
            )));
        }
        self.broker
            .invalidate(&tenant)
            .await
            .map_err(HandlerError::transient)?;
        if change == ConnectionChange::Deleted {
            return Ok(());
        }
        match self.tester.test_and_report(&tenant).await {
            Ok(_) => Ok(()),
            // Deleted again since the event: nothing left to test.
            Err(TokensError::NotConnected { .. }) => Ok(()),
            Err(e @ (TokensError::VaultUnavailable { .. } | TokensError::Coordination(_))) => {
                Err(HandlerError::transient(e))
            }
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "connection test after a change failed");
                Ok(())
            }
        }
    }
}

/// Creates (or joins) the role's durable consumer of connection changes.
pub(crate) async fn connection_changes(bus: &dyn Bus) -> Result<Box<dyn Consumer>, TokensError> {
    // A connection test takes a few seconds; give it room before a redelivery.
    let config = ConsumerConfig::new(
        durable::TOKENS_CONNECTION_CHANGES,
        topics::CONNECTION_CHANGED.filter(),
    )?
    .with_ack_wait(Duration::from_secs(120));
    Ok(bus.consumer(config).await?)
}

/// Handles connection changes until `shutdown`.
pub(crate) async fn consume(
    consumer: Box<dyn Consumer>,
    handler: ConnectionChangedHandler,
    shutdown: CancellationToken,
) {
    let report = run_consumer(consumer, &handler, &RetryPolicy::default(), &shutdown).await;
    tracing::info!(?report, "connection change consumer stopped");
}
