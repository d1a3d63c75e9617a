//! Publishing: idempotence by message id, typed protobuf payloads, and validation of everything that
//! ends up in a subject or header.

use std::time::Duration;

use posture_bus::{
    BusError, BusExt, ConsumerConfig, Envelope, Headers, MessageId, Prefix, StreamKind, StreamSettings,
    Subject, SubjectError, SubjectFilter,
};

use crate::harness::{TestBus, close_all, drain, envelope, job_subject, jobs_of, next_within};

/// Stands in for a job message from the contracts crate.
#[derive(Clone, PartialEq, prost::Message)]
struct SyncJob {
    #[prost(string, tag = "1")]
    run_id: String,
    #[prost(string, tag = "2")]
    tenant_id: String,
    #[prost(string, tag = "3")]
    entity: String,
}

pub async fn duplicate_message_id_is_dropped_and_reported(t: &TestBus) {
    let config = ConsumerConfig::new("sync-users", jobs_of("users")).unwrap();
    let mut worker = t.consumer(&config).await;
    let subject = job_subject("users", "tenant-a");

    let first = t
        .bus
        .publish(envelope(subject.clone(), "run-7.users", "first"))
        .await
        .unwrap();
    let second = t
        .bus
        .publish(envelope(subject.clone(), "run-7.users", "second"))
        .await
        .unwrap();
    let other = t
        .bus
        .publish(envelope(subject, "run-8.users", "other"))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(second.duplicate, "same id within the window is a duplicate");
    assert_eq!(
        second.sequence, first.sequence,
        "the duplicate points at the stored message"
    );
    assert!(!other.duplicate);

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
    assert_eq!(payloads, ["first", "other"]);
    close_all(std::slice::from_mut(&mut worker)).await;
}

pub async fn typed_messages_round_trip_as_protobuf(t: &TestBus) {
    let config = ConsumerConfig::new("sync-users", jobs_of("users")).unwrap();
    let mut worker = t.consumer(&config).await;
    let job = SyncJob {
        run_id: "run-9".into(),
        tenant_id: "tenant-e".into(),
        entity: "users".into(),
    };
    let id = MessageId::new("run-9.users").unwrap();
    t.bus
        .publish_message(job_subject("users", "tenant-e"), id, &job)
        .await
        .unwrap();

    let delivery = next_within(&mut worker, Duration::from_secs(3))
        .await
        .expect("delivery");
    assert_eq!(delivery.decode::<SyncJob>().unwrap(), job);
    assert_eq!(delivery.subject().tokens(), ["sync", "users", "tenant-e"]);
    assert_eq!(
        delivery.wire_subject(),
        format!("{}.jobs.sync.users.tenant-e", t.bus.prefix())
    );
    delivery.ack().await.unwrap();

    // Bytes that are not a SyncJob are an error, not a panic.
    t.bus
        .publish(envelope(
            job_subject("users", "tenant-e"),
            "garbage",
            "\u{7}\u{ff}",
        ))
        .await
        .unwrap();
    let garbage = next_within(&mut worker, Duration::from_secs(3))
        .await
        .expect("delivery");
    assert!(matches!(
        garbage.decode::<SyncJob>(),
        Err(BusError::Decode { .. })
    ));
    garbage.ack().await.unwrap();
    close_all(std::slice::from_mut(&mut worker)).await;
}

pub async fn invalid_subject_tokens_ids_and_headers_are_rejected(t: &TestBus) {
    for bad in ["a.b", "*", ">", "tenant a", "tab\t", "", "new\nline"] {
        let err = Subject::jobs().token(bad).err();
        assert!(err.is_some(), "token {bad:?} accepted");
    }
    assert_eq!(
        Subject::jobs().token("x".repeat(129)).err(),
        Some(SubjectError::TokenTooLong { len: 129, max: 128 })
    );
    assert_eq!(Subject::jobs().build().err(), Some(SubjectError::Empty));
    assert!(Prefix::new("posture.prod").is_err());
    assert!(Prefix::new("posture/prod").is_err());
    assert_eq!(
        SubjectFilter::all(StreamKind::Jobs).token("users").err(),
        Some(SubjectError::TokenAfterRest)
    );
    assert!(Subject::new(StreamKind::Events, ["run-completed", "tenant.with.dots"]).is_err());

    for bad in ["", "has space", "line\nbreak"] {
        assert!(MessageId::new(bad).is_err(), "message id {bad:?} accepted");
    }
    let subject = job_subject("users", "tenant-a");
    let id = MessageId::new("ok").unwrap();
    let envelope = Envelope::new(subject, id, Vec::new());
    assert!(
        envelope
            .clone()
            .with_header("X-Evil", "a\r\nNats-Msg-Id: forged")
            .is_err()
    );
    assert!(envelope.clone().with_header("Bad Name", "v").is_err());
    assert!(
        envelope.with_header("Nats-Msg-Id", "forged").is_err(),
        "the id comes from the envelope only"
    );
    assert!(Headers::new().with("X:Y", "v").is_err());
    assert!(ConsumerConfig::new("has.dot", jobs_of("users")).is_err());
    assert!(ConsumerConfig::new("", jobs_of("users")).is_err());
    let no_filter = SubjectFilter::new(StreamKind::Jobs, Vec::<String>::new()).unwrap();
    let config = ConsumerConfig::new("sync-nothing", no_filter).unwrap();
    assert!(matches!(
        t.bus.consumer(config).await.err(),
        Some(BusError::Subject(SubjectError::Empty))
    ));
    let config = ConsumerConfig::new("sync-never", jobs_of("users"))
        .unwrap()
        .with_max_deliver(0);
    assert!(
        t.bus.consumer(config).await.is_err(),
        "a consumer that may deliver nothing"
    );

    // Valid parts still work end to end on this bus.
    let receipt = t
        .bus
        .publish(crate::harness::envelope(
            job_subject("users", "tenant-a"),
            "still-fine",
            "ok",
        ))
        .await
        .unwrap();
    assert!(!receipt.duplicate);
    assert_eq!(receipt.stream, t.bus.prefix().stream_name(StreamKind::Jobs));
}

pub async fn message_id_is_accepted_again_after_the_duplicate_window(t: &TestBus) {
    let window = Duration::from_secs(1);
    let short = t
        .with_settings(StreamSettings {
            duplicate_window: window,
            ..StreamSettings::default()
        })
        .await;
    let job = || {
        envelope(
            job_subject("users", "tenant-k"),
            "nightly.tenant-k.users",
            "users",
        )
    };
    let first = short.bus.publish(job()).await.unwrap();
    let published_at = tokio::time::Instant::now();
    assert!(!first.duplicate);
    assert!(
        short.bus.publish(job()).await.unwrap().duplicate,
        "inside the window"
    );

    let deadline = published_at + Duration::from_secs(8);
    let accepted = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let receipt = short.bus.publish(job()).await.unwrap();
        if !receipt.duplicate {
            break receipt;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the id was never accepted again"
        );
    };
    assert!(
        published_at.elapsed() >= window,
        "accepted again inside the duplicate window"
    );
    assert!(accepted.sequence > first.sequence, "stored as a new message");
}
