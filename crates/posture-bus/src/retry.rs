//! Retry as middleware: [`run_consumer`] feeds deliveries to a [`Handler`] and settles each one from
//! the outcome: ack on success, NAK with exponential backoff on a transient error, dead letter and
//! term on a permanent error or the last delivery. A failing or panicking handler never stops the loop.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::bus::Consumer;
use crate::error::BusError;
use crate::message::Delivery;
use crate::trace;

/// How a handler failed, which decides what happens to the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth trying again later (throttled, timeout, dependency down).
    #[error("transient: {0}")]
    Transient(String),
    /// Will never succeed (malformed payload, unknown tenant): dead-letter it now.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl HandlerError {
    pub fn transient(err: impl std::fmt::Display) -> Self {
        HandlerError::Transient(err.to_string())
    }

    pub fn permanent(err: impl std::fmt::Display) -> Self {
        HandlerError::Permanent(err.to_string())
    }
}

/// A malformed payload will not decode on a later try either.
impl From<BusError> for HandlerError {
    fn from(err: BusError) -> Self {
        match err {
            BusError::Decode { .. } | BusError::Subject(_) | BusError::MalformedDeadLetter { .. } => {
                HandlerError::permanent(err)
            }
            other => HandlerError::transient(other),
        }
    }
}

/// Does the work for one delivery. It may send progress acks (`delivery.in_progress()`) but must not
/// settle the delivery: the runner does that from the result.
#[async_trait]
pub trait Handler: Send + Sync {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError>;
}

/// Backoff and shutdown behaviour of [`run_consumer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// NAK delay after the first failed delivery; doubles with each further delivery.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// On shutdown, how long an in-flight handler may run on before its message is NAKed.
    pub shutdown_grace: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5 * 60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The NAK delay after delivery number `delivery_count` (1-based) failed.
    pub fn backoff(&self, delivery_count: u32) -> Duration {
        let doublings = delivery_count.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What a runner did before it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub acked: u64,
    /// NAKed with backoff after a transient error.
    pub retried: u64,
    /// Terminated with a dead letter.
    pub dead_lettered: u64,
    /// Given back at shutdown because the handler did not finish within the grace period.
    pub interrupted: u64,
    /// Settling a delivery failed (it will be delivered again after the ack wait).
    pub settle_failures: u64,
}

enum Outcome {
    Done(Result<(), HandlerError>),
    Interrupted,
}

/// Runs `handler` over `consumer` until `cancel` fires, then stops intake, lets the in-flight handler
/// finish within the grace period (or NAKs its message), gives back anything pulled, and returns.
pub async fn run_consumer(
    mut consumer: Box<dyn Consumer>,
    handler: &dyn Handler,
    policy: &RetryPolicy,
    cancel: &CancellationToken,
) -> RunReport {
    let mut report = RunReport::default();
    let mut pull_failures: u32 = 0;
    loop {
        let delivery = match consumer.next(cancel).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) | Err(BusError::Closed) => break,
            Err(err) => {
                pull_failures = pull_failures.saturating_add(1);
                let pause = policy.backoff(pull_failures).min(Duration::from_secs(5));
                tracing::warn!(consumer = consumer.name(), error = %err, ?pause, "pull failed; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(pause) => continue,
                }
            }
        };
        pull_failures = 0;
        let interrupted = handle_one(delivery, handler, policy, cancel, &mut report).await;
        if interrupted {
            break;
        }
    }
    if let Err(err) = consumer.close().await {
        tracing::warn!(consumer = consumer.name(), error = %err, "could not give back pulled messages");
    }
    report
}

/// Handles and settles one delivery; returns whether shutdown interrupted it.
async fn handle_one(
    delivery: Delivery,
    handler: &dyn Handler,
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    report: &mut RunReport,
) -> bool {
    let span = tracing::info_span!(
        "bus.handle",
        subject = delivery.wire_subject(),
        consumer = delivery.consumer(),
        delivery = delivery.delivery_count(),
        sequence = delivery.stream_sequence(),
    );
    trace::set_parent_from(&span, delivery.headers());

    let work = AssertUnwindSafe(handler.handle(&delivery))
        .catch_unwind()
        .instrument(span.clone());
    let outcome = {
        tokio::pin!(work);
        let finished = tokio::select! {
            result = &mut work => Some(result),
            _ = cancel.cancelled() => None,
        };
        match finished {
            Some(result) => Outcome::Done(result.unwrap_or_else(|panic| Err(panic_error(panic)))),
            None => match tokio::time::timeout(policy.shutdown_grace, &mut work).await {
                Ok(result) => Outcome::Done(result.unwrap_or_else(|panic| Err(panic_error(panic)))),
                Err(_) => Outcome::Interrupted,
            },
        }
    };
    let settle = async {
        let (settled, interrupted) = match outcome {
            Outcome::Done(Ok(())) => {
                report.acked += 1;
                (delivery.ack().await, false)
            }
            Outcome::Done(Err(HandlerError::Transient(reason))) if !delivery.is_last_delivery() => {
                let delay = policy.backoff(delivery.delivery_count());
                tracing::info!(%reason, ?delay, "transient failure; delivering again later");
                report.retried += 1;
                (delivery.nak(Some(delay)).await, false)
            }
            Outcome::Done(Err(err)) => {
                let reason = match &err {
                    HandlerError::Transient(r) => {
                        format!("gave up after {} deliveries: {r}", delivery.delivery_count())
                    }
                    HandlerError::Permanent(r) => r.clone(),
                };
                tracing::warn!(%reason, "terminating; writing a dead letter");
                report.dead_lettered += 1;
                (delivery.term(&reason).await, false)
            }
            Outcome::Interrupted => {
                tracing::info!("shutting down mid-handler; giving the message back");
                report.interrupted += 1;
                (delivery.nak(None).await, true)
            }
        };
        if let Err(err) = settled {
            report.settle_failures += 1;
            tracing::error!(error = %err, "could not settle the delivery; it will be delivered again");
        }
        interrupted
    };
    settle.instrument(span).await
}

fn panic_error(panic: Box<dyn std::any::Any + Send>) -> HandlerError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    HandlerError::Transient(format!("handler panicked: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_per_delivery_and_stops_at_the_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            shutdown_grace: Duration::ZERO,
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(4), Duration::from_millis(800));
        assert_eq!(policy.backoff(5), Duration::from_secs(1));
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn undecodable_payloads_are_permanent_failures() {
        let truncated = <String as prost::Message>::decode(&b"\x0a\x05ab"[..]).expect_err("truncated input");
        let decode = BusError::Decode {
            subject: "posture.jobs.x".into(),
            source: truncated,
        };
        assert!(matches!(HandlerError::from(decode), HandlerError::Permanent(_)));
        let publish = BusError::Publish {
            subject: "posture.jobs.x".into(),
            message: "timeout".into(),
        };
        assert!(matches!(HandlerError::from(publish), HandlerError::Transient(_)));
    }
}
