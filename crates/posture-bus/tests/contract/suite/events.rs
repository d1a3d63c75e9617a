//! Events fan out to every durable group and are shared within one; durable consumers pick up where
//! they stopped after a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use posture_bus::{ConsumerConfig, StreamKind, Subject, SubjectFilter};

use crate::harness::{TestBus, close_all, drain, envelope, job_subject, jobs_of, next_within, text};

fn run_completed(tenant: &str) -> Subject {
    Subject::new(StreamKind::Events, ["run-completed", tenant]).unwrap()
}

fn run_completed_filter() -> SubjectFilter {
    SubjectFilter::new(StreamKind::Events, ["run-completed"])
        .and_then(|f| f.any())
        .unwrap()
}

pub async fn events_fan_out_to_each_group_and_are_shared_within_a_group(t: &TestBus) {
    let ack_wait = Duration::from_millis(500);
    let assessment = ConsumerConfig::new("assessment", run_completed_filter())
        .unwrap()
        .with_ack_wait(ack_wait);
    let audit = ConsumerConfig::new("audit", run_completed_filter())
        .unwrap()
        .with_ack_wait(ack_wait);
    let mut assessors = vec![t.consumer(&assessment).await, t.consumer(&assessment).await];
    let mut auditors = vec![t.consumer(&audit).await];

    let published: BTreeSet<String> = (0..6).map(|i| format!("run-{i}")).collect();
    for (i, id) in published.iter().enumerate() {
        let tenant = if i % 2 == 0 { "tenant-a" } else { "tenant-b" };
        t.bus
            .publish(envelope(run_completed(tenant), id, id))
            .await
            .unwrap();
    }
    // Events on other subjects are not for these groups.
    let drift = Subject::new(StreamKind::Events, ["drift-detected", "tenant-a"]).unwrap();
    t.bus.publish(envelope(drift, "drift-1", "drift")).await.unwrap();

    let mut by_assessors = drain(&mut assessors, published.len(), Duration::from_secs(4)).await;
    let mut by_auditors = drain(&mut auditors, published.len(), Duration::from_secs(4)).await;
    by_assessors.extend(drain(&mut assessors, usize::MAX, Duration::from_millis(300)).await);
    by_auditors.extend(drain(&mut auditors, usize::MAX, Duration::from_millis(300)).await);

    let assessed: Vec<String> = by_assessors.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(
        assessed.len(),
        published.len(),
        "each event once within the group: {assessed:?}"
    );
    assert_eq!(assessed.into_iter().collect::<BTreeSet<_>>(), published);
    let audited: BTreeSet<String> = by_auditors.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(
        (by_auditors.len(), audited),
        (published.len(), published.clone()),
        "every group sees every event"
    );

    close_all(&mut assessors).await;
    close_all(&mut auditors).await;
}

pub async fn durable_group_resumes_after_restart_without_losing_or_repeating_acked_events(t: &TestBus) {
    let config = ConsumerConfig::new("assessment", run_completed_filter())
        .unwrap()
        .with_ack_wait(Duration::from_millis(500));
    let mut member = t.consumer(&config).await;
    for i in 1..=3 {
        let id = format!("run-{i}");
        t.bus
            .publish(envelope(run_completed("tenant-a"), &id, &id))
            .await
            .unwrap();
    }
    for expected in ["run-1", "run-2"] {
        let delivery = next_within(&mut member, Duration::from_secs(3))
            .await
            .expect("delivery");
        assert_eq!(text(&delivery), expected);
        delivery.ack().await.unwrap();
    }
    // run-3 is in flight when the process stops.
    let in_flight = next_within(&mut member, Duration::from_secs(3))
        .await
        .expect("delivery");
    assert_eq!(text(&in_flight), "run-3");
    drop(in_flight);
    member.close().await.unwrap();
    drop(member);

    // While the group is down another event arrives.
    t.bus
        .publish(envelope(run_completed("tenant-b"), "run-4", "run-4"))
        .await
        .unwrap();

    let bus = t.reopen().await;
    let mut member = bus.consumer(config).await.unwrap();
    let mut got = drain(std::slice::from_mut(&mut member), 2, Duration::from_secs(4)).await;
    got.extend(
        drain(
            std::slice::from_mut(&mut member),
            usize::MAX,
            Duration::from_millis(700),
        )
        .await,
    );
    let payloads: BTreeSet<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(got.len(), 2, "acked events are not repeated: {got:?}");
    assert_eq!(payloads, BTreeSet::from(["run-3", "run-4"]), "nothing is lost");
    close_all(std::slice::from_mut(&mut member)).await;
}

pub async fn durable_job_consumer_resumes_after_restart(t: &TestBus) {
    let config = ConsumerConfig::new("sync-users", jobs_of("users"))
        .unwrap()
        .with_ack_wait(Duration::from_millis(500));
    let mut worker = t.consumer(&config).await;
    for i in 1..=2 {
        let id = format!("job-{i}");
        t.bus
            .publish(envelope(job_subject("users", "tenant-a"), &id, &id))
            .await
            .unwrap();
    }
    let done = next_within(&mut worker, Duration::from_secs(3))
        .await
        .expect("delivery");
    assert_eq!(text(&done), "job-1");
    done.ack().await.unwrap();
    worker.close().await.unwrap();
    drop(worker);

    t.bus
        .publish(envelope(job_subject("users", "tenant-a"), "job-3", "job-3"))
        .await
        .unwrap();
    let bus = t.reopen().await;
    let mut worker = bus.consumer(config).await.unwrap();
    let mut got = drain(std::slice::from_mut(&mut worker), 2, Duration::from_secs(3)).await;
    got.extend(
        drain(
            std::slice::from_mut(&mut worker),
            usize::MAX,
            Duration::from_millis(300),
        )
        .await,
    );
    let payloads: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(payloads, ["job-2", "job-3"]);
    close_all(std::slice::from_mut(&mut worker)).await;
}
