//! Schedules follow connections: every ConnectionChanged from the credentials role either gives
//! the tenant its default schedule (connected; kept if it has one) or removes it (deleted).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use posture_bus::topics::{CONNECTION_CHANGED, durable};
use posture_bus::{Bus, ConsumerConfig, Delivery, Handler, HandlerError, RetryPolicy};
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::validate;
use crate::error::SchedulerError;
use crate::scheduler::Scheduler;
use crate::store::StoreError;

struct ConnectionChangedHandler {
    scheduler: Scheduler,
}

fn settle(error: SchedulerError) -> HandlerError {
    match error {
        SchedulerError::Store(StoreError::Unavailable { .. }) => HandlerError::transient(error),
        SchedulerError::InvalidArgument { .. } => HandlerError::permanent(error),
        other => HandlerError::transient(other),
    }
}

#[async_trait]
impl Handler for ConnectionChangedHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ConnectionChanged = delivery.decode()?;
        let tenant_id = validate::tenant("tenant_id", &event.tenant_id).map_err(HandlerError::permanent)?;
        match ConnectionChange::try_from(event.change).unwrap_or(ConnectionChange::Unspecified) {
            ConnectionChange::Unspecified => Err(HandlerError::permanent(format!(
                "connection change of tenant {tenant_id} names no change"
            ))),
            ConnectionChange::Deleted => self
                .scheduler
                .remove_schedule(&tenant_id)
                .await
                .map(drop)
                .map_err(settle),
            // Any other change means the tenant is connected: a schedule whose creation event
            // aged out of the stream is made up for here.
            ConnectionChange::Created | ConnectionChange::Updated | ConnectionChange::CredentialsUpdated => {
                self.scheduler
                    .ensure_schedule(&tenant_id)
                    .await
                    .map(drop)
                    .map_err(settle)
            }
        }
    }
}

/// Creates (or joins) the durable consumer and handles connection changes on `tasks` until
/// `shutdown`.
pub async fn spawn_consumer(
    bus: &dyn Bus,
    scheduler: Scheduler,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), SchedulerError> {
    let bus_error = |source| SchedulerError::Bus {
        context: "creating the connection change consumer",
        source,
    };
    let config = ConsumerConfig::new(durable::SCHEDULER_CONNECTION_CHANGES, CONNECTION_CHANGED.filter())
        .map_err(bus_error)?
        .with_ack_wait(Duration::from_secs(30));
    let handler = Arc::new(ConnectionChangedHandler { scheduler });
    posture_bus::spawn_workers(bus, config, 1, handler, RetryPolicy::default(), shutdown, tasks)
        .await
        .map_err(bus_error)
}
