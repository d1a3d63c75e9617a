//! The retry middleware: outcomes decide ack, NAK with backoff or dead letter; panics do not stop the
//! loop; trace context from the publisher parents the handler's span.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use posture_bus::{
    Consumer, ConsumerConfig, DeadLetter, Delivery, Handler, HandlerError, RetryPolicy, RunReport,
    StreamKind, SubjectFilter, run_consumer,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

use crate::harness::{TestBus, envelope, job_subject, jobs_of, next_within, text};

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Every call the handler saw: (payload, delivery count).
type CallLog = Arc<Mutex<Vec<(String, u32)>>>;

fn calls(log: &CallLog) -> Vec<(String, u32)> {
    log.lock().map(|calls| calls.clone()).unwrap_or_default()
}

fn spawn_runner(
    consumer: Box<dyn Consumer>,
    handler: impl Handler + 'static,
) -> (CancellationToken, JoinHandle<RunReport>) {
    let cancel = CancellationToken::new();
    let task = {
        let cancel = cancel.clone();
        tokio::spawn(async move { run_consumer(consumer, &handler, &quick_retries(), &cancel).await })
    };
    (cancel, task)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn dead_reader(t: &TestBus) -> Box<dyn Consumer> {
    let config = ConsumerConfig::new("dead-letter-reader", SubjectFilter::all(StreamKind::Dead)).unwrap();
    t.consumer(&config).await
}

/// Succeeds, fails for good, panics once or is throttled once, depending on the payload.
struct ScriptedHandler {
    log: CallLog,
}

#[async_trait]
impl Handler for ScriptedHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let payload = text(delivery);
        if let Ok(mut log) = self.log.lock() {
            log.push((payload.clone(), delivery.delivery_count()));
        }
        match (payload.as_str(), delivery.delivery_count()) {
            ("permanent", _) => Err(HandlerError::permanent("tenant tenant-a is not connected")),
            ("panic-once", 1) => panic!("bug in the handler"),
            ("transient-once", 1) => Err(HandlerError::transient("throttled")),
            _ => Ok(()),
        }
    }
}

pub async fn retry_middleware_acks_retries_and_dead_letters_by_error_kind(t: &TestBus) {
    let config = ConsumerConfig::new("sync-users", jobs_of("users"))
        .unwrap()
        .with_ack_wait(Duration::from_secs(5))
        .with_max_deliver(4);
    let mut dead = dead_reader(t).await;
    for payload in ["ok", "permanent", "panic-once", "transient-once"] {
        t.bus
            .publish(envelope(job_subject("users", "tenant-a"), payload, payload))
            .await
            .unwrap();
    }
    let log = CallLog::default();
    let (cancel, runner) = spawn_runner(t.consumer(&config).await, ScriptedHandler { log: log.clone() });

    wait_until("every job settled", || calls(&log).len() == 6).await;
    let letter = next_within(&mut dead, Duration::from_secs(3))
        .await
        .expect("a dead letter");
    cancel.cancel();
    let report = runner.await.unwrap();
    assert_eq!(
        (
            report.acked,
            report.retried,
            report.dead_lettered,
            report.interrupted
        ),
        (3, 2, 1, 0),
        "{report:?}"
    );
    // The panic on the third job did not stop the loop: the fourth was handled after it.
    let mut seen = calls(&log);
    seen.sort();
    let expected: Vec<(String, u32)> = [("ok", 1), ("panic-once", 1), ("panic-once", 2), ("permanent", 1)]
        .into_iter()
        .chain([("transient-once", 1), ("transient-once", 2)])
        .map(|(p, n)| (p.to_owned(), n))
        .collect();
    assert_eq!(seen, expected);

    let record = DeadLetter::from_delivery(&letter).unwrap();
    assert_eq!(
        record.subject,
        job_subject("users", "tenant-a").render(t.bus.prefix())
    );
    assert_eq!(record.payload.as_ref(), b"permanent");
    assert_eq!(record.deliveries, 1, "a permanent error is not retried");
    assert!(
        record.reason.contains("tenant tenant-a is not connected"),
        "{}",
        record.reason
    );
    assert_eq!(record.consumer, "sync-users");
    assert_eq!(record.headers.get(posture_bus::MESSAGE_ID), Some("permanent"));
    letter.ack().await.unwrap();
    assert!(
        next_within(&mut dead, Duration::from_millis(300)).await.is_none(),
        "only one dead letter"
    );
    dead.close().await.unwrap();
}

struct AlwaysThrottled {
    log: CallLog,
}

#[async_trait]
impl Handler for AlwaysThrottled {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        if let Ok(mut log) = self.log.lock() {
            log.push((text(delivery), delivery.delivery_count()));
        }
        Err(HandlerError::transient("graph throttled the request (429)"))
    }
}

pub async fn job_is_terminated_with_a_dead_letter_after_max_deliveries(t: &TestBus) {
    let config = ConsumerConfig::new("sync-groups", jobs_of("groups"))
        .unwrap()
        .with_ack_wait(Duration::from_secs(5))
        .with_max_deliver(3);
    let mut dead = dead_reader(t).await;
    let job = envelope(job_subject("groups", "tenant-f"), "run-11.groups", "groups")
        .with_header("X-Run", "run-11")
        .unwrap();
    t.bus.publish(job).await.unwrap();
    let log = CallLog::default();
    let (cancel, runner) = spawn_runner(t.consumer(&config).await, AlwaysThrottled { log: log.clone() });

    let letter = next_within(&mut dead, Duration::from_secs(5))
        .await
        .expect("a dead letter");
    cancel.cancel();
    let report = runner.await.unwrap();
    assert_eq!(
        (report.retried, report.dead_lettered, report.acked),
        (2, 1, 0),
        "{report:?}"
    );
    let counts: Vec<u32> = calls(&log).into_iter().map(|(_, n)| n).collect();
    assert_eq!(counts, [1, 2, 3], "delivered exactly max-deliveries times");

    let record = DeadLetter::from_delivery(&letter).unwrap();
    assert_eq!(record.deliveries, 3);
    assert!(
        record.reason.contains("gave up after 3 deliveries"),
        "{}",
        record.reason
    );
    assert!(
        record.reason.contains("graph throttled the request (429)"),
        "{}",
        record.reason
    );
    assert_eq!(
        record.headers.get("X-Run"),
        Some("run-11"),
        "original headers are kept"
    );
    assert_eq!(record.payload.as_ref(), b"groups");
    assert_eq!(
        letter.subject().tokens()[..2],
        ["jobs".to_owned(), "sync".to_owned()]
    );
    letter.ack().await.unwrap();
    dead.close().await.unwrap();
}

/// What the handler saw: its span's trace id and the message's `traceparent` header.
type SeenTrace = Arc<Mutex<Option<(String, Option<String>)>>>;

struct TraceProbe {
    seen: SeenTrace,
}

#[async_trait]
impl Handler for TraceProbe {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let trace_id = tracing::Span::current()
            .context()
            .span()
            .span_context()
            .trace_id()
            .to_string();
        let traceparent = delivery.headers().get("traceparent").map(str::to_owned);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((trace_id, traceparent));
        }
        Ok(())
    }
}

pub async fn trace_context_survives_publish_to_receive(t: &TestBus) {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("contract")));
    // Thread-local: the test runtime runs every task on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let trigger = tracing::info_span!("manual sync requested");
    let publisher_trace = trigger.context().span().span_context().trace_id().to_string();
    assert_ne!(
        publisher_trace,
        opentelemetry::trace::TraceId::INVALID.to_string()
    );
    t.bus
        .publish(envelope(
            job_subject("users", "tenant-g"),
            "run-12.users",
            "users",
        ))
        .instrument(trigger)
        .await
        .unwrap();

    let seen = SeenTrace::default();
    let config = ConsumerConfig::new("sync-users", jobs_of("users")).unwrap();
    let (cancel, runner) = spawn_runner(t.consumer(&config).await, TraceProbe { seen: seen.clone() });
    wait_until("the job was handled", || {
        seen.lock().map(|s| s.is_some()).unwrap_or(false)
    })
    .await;
    cancel.cancel();
    runner.await.unwrap();

    let (handler_trace, traceparent) = seen.lock().unwrap().clone().unwrap();
    let traceparent = traceparent.expect("traceparent header on the message");
    assert!(
        traceparent.starts_with("00-") && traceparent.contains(&publisher_trace),
        "{traceparent}"
    );
    assert_eq!(
        handler_trace, publisher_trace,
        "the handler span continues the publisher's trace"
    );
}

pub async fn job_that_runs_out_of_deliveries_unsettled_is_dead_lettered(t: &TestBus) {
    let config = ConsumerConfig::new("sync-roles", jobs_of("roles"))
        .unwrap()
        .with_ack_wait(Duration::from_millis(300))
        .with_max_deliver(2);
    let mut dead = dead_reader(t).await;
    let mut worker = t.consumer(&config).await;
    t.bus
        .publish(envelope(
            job_subject("roles", "tenant-i"),
            "run-13.roles",
            "roles",
        ))
        .await
        .unwrap();

    // The worker crashes on both tries without settling.
    for expected in 1..=2 {
        let delivery = next_within(&mut worker, Duration::from_secs(3))
            .await
            .expect("delivery");
        assert_eq!(delivery.delivery_count(), expected);
    }
    assert!(
        next_within(&mut worker, Duration::from_secs(1)).await.is_none(),
        "delivered beyond max deliveries"
    );

    let letter = next_within(&mut dead, Duration::from_secs(3))
        .await
        .expect("a dead letter");
    let record = DeadLetter::from_delivery(&letter).unwrap();
    assert_eq!(record.deliveries, 2);
    assert!(record.reason.contains("max deliveries"), "{}", record.reason);
    assert_eq!(record.headers.get(posture_bus::MESSAGE_ID), Some("run-13.roles"));
    assert_eq!(record.payload.as_ref(), b"roles");
    letter.ack().await.unwrap();
    assert!(
        next_within(&mut dead, Duration::from_millis(300)).await.is_none(),
        "one dead letter per message"
    );
    worker.close().await.unwrap();
    dead.close().await.unwrap();
}
