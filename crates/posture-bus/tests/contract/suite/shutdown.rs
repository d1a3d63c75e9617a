//! Graceful shutdown of a consumer loop: intake stops at once; the in-flight job either finishes
//! within the grace period or is given back (NAK) for another worker to take immediately.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use posture_bus::{ConsumerConfig, Delivery, Handler, HandlerError, RetryPolicy, run_consumer};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::harness::{TestBus, envelope, job_subject, jobs_of, next_within, text};

/// Signals when the first job starts, then works on it for `work` (forever with `None`).
struct SlowFirstJob {
    started: Arc<Notify>,
    work: Option<Duration>,
}

#[async_trait]
impl Handler for SlowFirstJob {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        if text(delivery) == "job-1" {
            self.started.notify_one();
            match self.work {
                Some(work) => tokio::time::sleep(work).await,
                None => std::future::pending::<()>().await,
            }
        }
        Ok(())
    }
}

/// Publishes job-1 and job-2, starts a runner, cancels it once job-1 is in its handler, and returns
/// the runner's report with what another worker then receives: (payload, delivery count).
async fn shut_down_mid_job(
    t: &TestBus,
    handler: SlowFirstJob,
    grace: Duration,
) -> (posture_bus::RunReport, Vec<(String, u32)>) {
    // A long ack wait: whatever the other worker gets within a few seconds was given back or never taken.
    let config = ConsumerConfig::new("sync-users", jobs_of("users"))
        .unwrap()
        .with_ack_wait(Duration::from_secs(30));
    for id in ["job-1", "job-2"] {
        t.bus
            .publish(envelope(job_subject("users", "tenant-h"), id, id))
            .await
            .unwrap();
    }
    let started = handler.started.clone();
    let cancel = CancellationToken::new();
    let policy = RetryPolicy {
        shutdown_grace: grace,
        ..RetryPolicy::default()
    };
    let consumer = t.consumer(&config).await;
    let runner = {
        let cancel = cancel.clone();
        tokio::spawn(async move { run_consumer(consumer, &handler, &policy, &cancel).await })
    };
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("job-1 started");
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the runner stops")
        .unwrap();

    let mut other = t.consumer(&config).await;
    let mut received = Vec::new();
    while let Some(delivery) = next_within(&mut other, Duration::from_millis(1500)).await {
        received.push((text(&delivery), delivery.delivery_count()));
        delivery.ack().await.unwrap();
    }
    other.close().await.unwrap();
    received.sort();
    (report, received)
}

pub async fn shutdown_stops_intake_and_naks_the_in_flight_job(t: &TestBus) {
    let handler = SlowFirstJob {
        started: Arc::new(Notify::new()),
        work: None,
    };
    let (report, received) = shut_down_mid_job(t, handler, Duration::from_millis(200)).await;
    assert_eq!((report.interrupted, report.acked), (1, 0), "{report:?}");
    assert_eq!(
        received,
        [("job-1".to_owned(), 2), ("job-2".to_owned(), 1)],
        "job-1 given back at once, job-2 never taken"
    );
}

pub async fn shutdown_lets_a_handler_finish_within_the_grace_period(t: &TestBus) {
    let handler = SlowFirstJob {
        started: Arc::new(Notify::new()),
        work: Some(Duration::from_millis(300)),
    };
    let (report, received) = shut_down_mid_job(t, handler, Duration::from_secs(5)).await;
    assert_eq!((report.acked, report.interrupted), (1, 0), "{report:?}");
    assert_eq!(
        received,
        [("job-2".to_owned(), 1)],
        "job-1 finished and acked; job-2 never taken"
    );
}

/// Counts how often each job was handled.
struct Tally(std::sync::Mutex<Vec<String>>);

#[async_trait]
impl Handler for Tally {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        if let Ok(mut seen) = self.0.lock() {
            seen.push(text(delivery));
        }
        Ok(())
    }
}

pub async fn workers_share_a_consumer_and_all_stop_on_cancel(t: &TestBus) {
    let config = ConsumerConfig::new("sync-sites", jobs_of("sites"))
        .unwrap()
        .with_ack_wait(Duration::from_secs(5));
    let tally = Arc::new(Tally(std::sync::Mutex::new(Vec::new())));
    let (cancel, tracker) = (CancellationToken::new(), tokio_util::task::TaskTracker::new());
    posture_bus::spawn_workers(
        t.bus.as_ref(),
        config,
        3,
        tally.clone(),
        RetryPolicy::default(),
        &cancel,
        &tracker,
    )
    .await
    .unwrap();
    let expected: Vec<String> = (0..9).map(|i| format!("site-{i}")).collect();
    for id in &expected {
        t.bus
            .publish(envelope(job_subject("sites", "tenant-j"), id, id))
            .await
            .unwrap();
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while tally.0.lock().map(|s| s.len()).unwrap_or(0) < expected.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs were not all handled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    tracker.close();
    tokio::time::timeout(Duration::from_secs(5), tracker.wait())
        .await
        .expect("every worker stops");

    let mut seen = tally.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, expected, "each job handled exactly once");
}
