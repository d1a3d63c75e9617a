//! Runs several members of one durable consumer as tasks, each with the retry middleware: the usual
//! way a service consumes a subject with some parallelism and stops with the process.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::{Bus, ConsumerConfig};
use crate::error::BusError;
use crate::retry::{Handler, RetryPolicy, run_consumer};

/// Creates `workers` members of the consumer (at least one) and runs `handler` on each, as tasks on
/// `tracker`, until `cancel` fires. Fails without starting anything if a member cannot be created.
pub async fn spawn_workers(
    bus: &dyn Bus,
    config: ConsumerConfig,
    workers: usize,
    handler: Arc<dyn Handler>,
    policy: RetryPolicy,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<(), BusError> {
    let mut members = Vec::with_capacity(workers.max(1));
    for _ in 0..workers.max(1) {
        members.push(bus.consumer(config.clone()).await?);
    }
    for (worker, member) in members.into_iter().enumerate() {
        let (handler, policy, cancel) = (handler.clone(), policy.clone(), cancel.clone());
        let name = config.name().to_owned();
        tracker.spawn(async move {
            let report = run_consumer(member, handler.as_ref(), &policy, &cancel).await;
            tracing::info!(consumer = %name, worker, ?report, "consumer worker stopped");
        });
    }
    Ok(())
}
