//! Work-queue behaviour of the jobs stream: one delivery per job, redelivery after the ack wait or a
//! NAK delay, progress acks for long jobs, one consumer per job subject.

use std::collections::BTreeSet;
use std::time::Duration;

use posture_bus::{ConsumerConfig, StreamKind, SubjectFilter};
use tokio::time::Instant;

use crate::harness::{TestBus, close_all, drain, envelope, job_subject, jobs_of, next_within, text};

pub async fn job_is_delivered_once_to_one_of_two_members(t: &TestBus) {
    let config = ConsumerConfig::new("sync-users", jobs_of("users"))
        .unwrap()
        .with_ack_wait(Duration::from_millis(500));
    let mut members = vec![t.consumer(&config).await, t.consumer(&config).await];
    let published: BTreeSet<String> = (0..6).map(|i| format!("job-{i}")).collect();
    for id in &published {
        let receipt = t
            .bus
            .publish(envelope(job_subject("users", "tenant-a"), id, id))
            .await
            .unwrap();
        assert!(!receipt.duplicate);
    }

    let got = drain(&mut members, published.len(), Duration::from_secs(5)).await;
    let received: Vec<String> = got.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(received.len(), published.len(), "every job arrives: {received:?}");
    assert_eq!(
        received.iter().cloned().collect::<BTreeSet<_>>(),
        published,
        "each job exactly once"
    );

    // Acked jobs never come back, to either member, even after the ack wait has passed.
    let again = drain(&mut members, 1, Duration::from_millis(1200)).await;
    assert!(again.is_empty(), "acked jobs were delivered again: {again:?}");
    close_all(&mut members).await;
}

pub async fn unacked_job_is_redelivered_after_the_ack_wait(t: &TestBus) {
    let ack_wait = Duration::from_millis(500);
    let config = ConsumerConfig::new("sync-groups", jobs_of("groups"))
        .unwrap()
        .with_ack_wait(ack_wait);
    let mut worker = t.consumer(&config).await;
    t.bus
        .publish(envelope(
            job_subject("groups", "tenant-a"),
            "run-1.groups",
            "groups",
        ))
        .await
        .unwrap();

    let first = next_within(&mut worker, Duration::from_secs(3))
        .await
        .expect("first delivery");
    let received_at = Instant::now();
    assert_eq!(first.delivery_count(), 1);
    let sequence = first.stream_sequence();
    drop(first); // the worker "crashes" without settling

    let again = next_within(&mut worker, Duration::from_secs(10))
        .await
        .expect("redelivery");
    assert!(
        received_at.elapsed() >= ack_wait * 3 / 4,
        "redelivered before the ack wait ran out"
    );
    assert_eq!(again.stream_sequence(), sequence);
    assert_eq!(again.delivery_count(), 2);
    assert_eq!(again.message_id(), Some("run-1.groups"));
    again.ack().await.unwrap();
    close_all(std::slice::from_mut(&mut worker)).await;
}

pub async fn nak_with_delay_redelivers_later_not_sooner(t: &TestBus) {
    let delay = Duration::from_millis(800);
    // A long ack wait, so that only the NAK delay can bring the job back.
    let config = ConsumerConfig::new("sync-devices", jobs_of("devices"))
        .unwrap()
        .with_ack_wait(Duration::from_secs(20));
    let mut worker = t.consumer(&config).await;
    t.bus
        .publish(envelope(
            job_subject("devices", "tenant-b"),
            "run-2.devices",
            "devices",
        ))
        .await
        .unwrap();

    let first = next_within(&mut worker, Duration::from_secs(3))
        .await
        .expect("first delivery");
    let naked_at = Instant::now();
    first.nak(Some(delay)).await.unwrap();

    assert!(
        next_within(&mut worker, delay / 2).await.is_none(),
        "redelivered before the NAK delay"
    );
    let again = next_within(&mut worker, Duration::from_secs(10))
        .await
        .expect("redelivery after the delay");
    assert!(
        naked_at.elapsed() >= delay - Duration::from_millis(50),
        "redelivered before the NAK delay"
    );
    assert_eq!(again.delivery_count(), 2);
    assert_eq!(text(&again), "devices");
    again.ack().await.unwrap();
    close_all(std::slice::from_mut(&mut worker)).await;
}

pub async fn progress_ack_prevents_redelivery_of_a_long_job(t: &TestBus) {
    let ack_wait = Duration::from_millis(600);
    let config = ConsumerConfig::new("sync-audit", jobs_of("audit"))
        .unwrap()
        .with_ack_wait(ack_wait);
    let mut busy = t.consumer(&config).await;
    let mut idle = t.consumer(&config).await;
    t.bus
        .publish(envelope(job_subject("audit", "tenant-c"), "run-3.audit", "audit"))
        .await
        .unwrap();

    let job = next_within(&mut busy, Duration::from_secs(3))
        .await
        .expect("delivery");
    // The job runs for more than three ack waits, reporting progress every 250 ms.
    for _ in 0..8 {
        assert!(
            next_within(&mut idle, Duration::from_millis(250)).await.is_none(),
            "long job handed out twice"
        );
        job.in_progress().await.unwrap();
    }
    assert_eq!(job.delivery_count(), 1);
    job.ack().await.unwrap();

    assert!(
        next_within(&mut idle, ack_wait * 2).await.is_none(),
        "acked long job came back"
    );
    assert!(next_within(&mut busy, Duration::from_millis(100)).await.is_none());
    close_all(&mut [busy, idle]).await;
}

pub async fn work_queue_rejects_a_second_consumer_with_an_overlapping_filter(t: &TestBus) {
    let users = ConsumerConfig::new("sync-users", jobs_of("users")).unwrap();
    let all_sync = ConsumerConfig::new(
        "sync-everything",
        SubjectFilter::new(StreamKind::Jobs, ["sync"])
            .and_then(|f| f.rest())
            .unwrap(),
    )
    .unwrap();
    t.bus.consumer(users.clone()).await.expect("first consumer");
    assert!(
        t.bus.consumer(all_sync).await.is_err(),
        "a job would have two consumers"
    );
    // Another process starting the same consumer is fine, and so is a disjoint one.
    t.bus.consumer(users).await.expect("same consumer again");
    t.bus
        .consumer(ConsumerConfig::new("sync-groups", jobs_of("groups")).unwrap())
        .await
        .expect("disjoint");
}

pub async fn consumers_created_concurrently_with_the_same_name_share_one_durable(t: &TestBus) {
    let config = ConsumerConfig::new("sync-policies", jobs_of("policies"))
        .unwrap()
        .with_ack_wait(Duration::from_millis(500));
    let starts = (0..4).map(|_| {
        let bus = t.bus.clone();
        let config = config.clone();
        tokio::spawn(async move { bus.consumer(config).await })
    });
    let mut members = Vec::new();
    for start in starts {
        members.push(start.await.unwrap().expect("concurrent start succeeds"));
    }
    for i in 0..4 {
        let id = format!("policy-{i}");
        t.bus
            .publish(envelope(job_subject("policies", "tenant-d"), &id, &id))
            .await
            .unwrap();
    }
    let got = drain(&mut members, 4, Duration::from_secs(5)).await;
    let distinct: BTreeSet<_> = got.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(
        (got.len(), distinct.len()),
        (4, 4),
        "one durable, each job once: {got:?}"
    );
    close_all(&mut members).await;
}

pub async fn many_processes_starting_at_once_share_one_set_of_streams(t: &TestBus) {
    let starts = (0..4).map(|_| t.reopen());
    let buses = futures::future::join_all(starts).await;
    let config = ConsumerConfig::new("sync-mail", jobs_of("mail")).unwrap();
    let mut worker = buses[3].consumer(config).await.unwrap();
    for (i, bus) in buses.iter().enumerate() {
        let id = format!("mail-{i}");
        let receipt = bus
            .publish(envelope(job_subject("mail", "tenant-l"), &id, &id))
            .await
            .unwrap();
        assert_eq!(receipt.stream, t.bus.prefix().stream_name(StreamKind::Jobs));
    }
    let got = drain(std::slice::from_mut(&mut worker), 4, Duration::from_secs(5)).await;
    let distinct: BTreeSet<_> = got.into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        distinct.len(),
        4,
        "one queue whichever process published: {distinct:?}"
    );
    close_all(std::slice::from_mut(&mut worker)).await;
}
