//! Webhook deliveries against a real HTTP receiver on PostgreSQL and SQLite: every attempt of a
//! delivery carries the same webhook-id with a fresh, valid signature; failures are retried only
//! once their backoff has passed and dead-lettered with the last error after the last attempt; a
//! 410 Gone ends the delivery at once; a receiver that comes back gets it exactly once; a repeated
//! event adds no delivery; sync failure streaks count each run once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use posture_kit::clock::{ManualClock, SharedClock};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1::{DeliveryState, NotificationEvent, WebhookFormat};
use posture_scheduler::notify::store::{DeliveryRecord, SubscriptionRecord};
use posture_scheduler::notify::{
    DeliverySettings, NotificationStore, SecretError, Sender, SigningSecret, WebhookSecrets,
};
use posture_scheduler::store::{SCHEMA, ScheduleStore};
use uuid::Uuid;

use crate::support::*;

/// Secrets held in this process (the vault's part is proven end to end in the tests crate).
#[derive(Default)]
struct ProcessSecrets(Mutex<HashMap<Uuid, String>>);

#[async_trait]
impl WebhookSecrets for ProcessSecrets {
    async fn put(&self, id: Uuid, secret: &str) -> Result<(), SecretError> {
        self.0.lock().expect("lock").insert(id, secret.to_owned());
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<SigningSecret, SecretError> {
        let text = self
            .0
            .lock()
            .expect("lock")
            .get(&id)
            .cloned()
            .ok_or(SecretError {
                subscription_id: id,
                reason: "none stored".into(),
                missing: true,
            })?;
        SigningSecret::parse(&text).map_err(|e| SecretError {
            subscription_id: id,
            reason: e.to_string(),
            missing: false,
        })
    }

    async fn delete(&self, id: Uuid) -> Result<(), SecretError> {
        self.0.lock().expect("lock").remove(&id);
        Ok(())
    }
}

/// One request as received: webhook-id, webhook-timestamp, webhook-signature, body.
type Seen = (String, String, String, String);

/// What the receiver saw per request, and the statuses it answers in turn (the last repeats).
#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

async fn take(State(receiver): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.seen.lock().expect("lock").push((
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        body,
    ));
    let mut statuses = receiver.statuses.lock().expect("lock");
    let status = if statuses.len() > 1 {
        statuses.remove(0)
    } else {
        statuses[0]
    };
    StatusCode::from_u16(status).expect("status")
}

async fn receiver(statuses: Vec<u16>) -> (String, Receiver) {
    let receiver = Receiver {
        seen: Arc::default(),
        statuses: Arc::new(Mutex::new(statuses)),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(take))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), receiver)
}

struct Setup {
    store: NotificationStore,
    sender: Sender,
    clock: ManualClock,
    secret: SigningSecret,
    subscription: SubscriptionRecord,
}

async fn setup(db: &TestDatabase, url: &str, max_attempts: u32) -> Setup {
    let connected = db.connect(SCHEMA).await.expect("connect");
    ScheduleStore::new(connected.clone())
        .migrate()
        .await
        .expect("migrate");
    let store = NotificationStore::new(connected);
    let clock = ManualClock::new(at(12, 0));
    let secrets = Arc::new(ProcessSecrets::default());
    let (secret, text) = SigningSecret::generate();
    let subscription = SubscriptionRecord {
        subscription_id: Uuid::new_v4(),
        display_name: "receiver".into(),
        url: url.to_owned(),
        format: WebhookFormat::Json,
        tenant_id: Some(tenant()),
        events: vec![NotificationEvent::ConnectionHealthChanged],
        sync_failure_threshold: 0,
        created_by: "test".into(),
        created_at: at(12, 0),
        credential_expiry_days: 0,
        min_severity: posture_proto::v1::Severity::Unspecified,
    };
    secrets
        .put(subscription.subscription_id, &text)
        .await
        .expect("put");
    store
        .insert_subscription(&subscription)
        .await
        .expect("subscription");
    let settings = DeliverySettings {
        max_attempts,
        backoff_base: Duration::from_secs(10),
        backoff_max: Duration::from_secs(60),
        allow_http_loopback: true,
        ..DeliverySettings::default()
    };
    let sender = Sender::new(
        store.clone(),
        secrets,
        Arc::new(clock.clone()) as SharedClock,
        settings,
    )
    .expect("sender");
    Setup {
        store,
        sender,
        clock,
        secret,
        subscription,
    }
}

fn delivery(setup: &Setup, key: &str) -> DeliveryRecord {
    DeliveryRecord::new(
        &setup.subscription,
        key,
        NotificationEvent::ConnectionHealthChanged,
        Some(tenant()),
        r#"{"type":"connection.health_changed"}"#.to_owned(),
        setup.clock.now(),
    )
}

use posture_kit::clock::Clock as _;

posture_kit::db_test!(
    failed_attempts_keep_their_id_wait_for_the_backoff_and_end_as_dead_letters,
    |db: TestDatabase| async move {
        let (url, receiver) = receiver(vec![500]).await;
        let setup = setup(&db, &url, 3).await;
        let record = delivery(&setup, "event-1");
        assert!(setup.store.insert_delivery(&record).await.expect("insert"));
        // The same event again (a bus redelivery) adds nothing.
        assert!(
            !setup
                .store
                .insert_delivery(&delivery(&setup, "event-1"))
                .await
                .expect("insert")
        );

        assert_eq!(setup.sender.send_due().await.expect("pass"), 1);
        let after_one = setup
            .store
            .delivery(&record.delivery_id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(after_one.state, DeliveryState::Pending);
        assert_eq!((after_one.attempts, after_one.last_status), (1, 500));
        assert!(after_one.next_attempt_at >= setup.clock.now() + chrono::Duration::seconds(10));
        // Not before the backoff has passed.
        assert_eq!(setup.sender.send_due().await.expect("pass"), 0);

        for _ in 0..2 {
            setup.clock.advance(chrono::Duration::seconds(120));
            assert_eq!(setup.sender.send_due().await.expect("pass"), 1);
        }
        let dead = setup
            .store
            .delivery(&record.delivery_id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(dead.state, DeliveryState::Dead);
        assert_eq!(dead.attempts, 3);
        assert_eq!(dead.last_error, "the receiver answered HTTP 500");
        setup.clock.advance(chrono::Duration::hours(2));
        assert_eq!(
            setup.sender.send_due().await.expect("pass"),
            0,
            "a dead letter is not retried"
        );
        let listed = setup
            .store
            .deliveries(
                setup.subscription.subscription_id,
                Some(DeliveryState::Dead),
                None,
                10,
            )
            .await
            .expect("list");
        assert_eq!(listed, vec![dead]);

        let seen = receiver.seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 3);
        for (id, timestamp, signature, body) in &seen {
            assert_eq!(id, &record.delivery_id, "one webhook-id on every attempt");
            setup
                .secret
                .verify(
                    id,
                    timestamp,
                    signature,
                    body.as_bytes(),
                    setup.clock.now().timestamp(),
                    3 * 3600,
                )
                .expect("every attempt is signed");
        }
        // Each attempt is signed anew at its own time.
        assert_ne!(seen[0].1, seen[1].1);
    }
);

posture_kit::db_test!(
    a_receiver_back_after_a_failure_gets_the_delivery_once_and_410_ends_one_at_once,
    |db: TestDatabase| async move {
        let (url, receiver) = receiver(vec![503, 204, 410]).await;
        let setup = setup(&db, &url, 5).await;
        let record = delivery(&setup, "event-2");
        setup.store.insert_delivery(&record).await.expect("insert");
        assert_eq!(setup.sender.send_due().await.expect("pass"), 1);
        setup.clock.advance(chrono::Duration::seconds(120));
        assert_eq!(setup.sender.send_due().await.expect("pass"), 1);
        let delivered = setup
            .store
            .delivery(&record.delivery_id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(delivered.state, DeliveryState::Delivered);
        assert_eq!((delivered.attempts, delivered.last_status), (2, 204));
        assert_eq!(delivered.last_error, "");
        setup.clock.advance(chrono::Duration::hours(1));
        assert_eq!(setup.sender.send_due().await.expect("pass"), 0, "delivered once");

        let gone = delivery(&setup, "event-3");
        setup.store.insert_delivery(&gone).await.expect("insert");
        assert_eq!(setup.sender.send_due().await.expect("pass"), 1);
        let gone = setup
            .store
            .delivery(&gone.delivery_id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(
            (gone.state, gone.attempts, gone.last_status),
            (DeliveryState::Dead, 1, 410)
        );
        assert_eq!(receiver.seen.lock().expect("lock").len(), 3);
    }
);

posture_kit::db_test!(
    an_unreachable_receiver_is_retried_with_the_transport_error_and_no_url,
    |db: TestDatabase| async move {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let setup = setup(&db, &format!("http://127.0.0.1:{port}/hook"), 2).await;
        let record = delivery(&setup, "event-4");
        setup.store.insert_delivery(&record).await.expect("insert");
        setup.sender.send_due().await.expect("pass");
        let failed = setup
            .store
            .delivery(&record.delivery_id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!((failed.state, failed.last_status), (DeliveryState::Pending, 0));
        assert!(
            failed.last_error.starts_with("the receiver could not be reached"),
            "{}",
            failed.last_error
        );
        assert!(
            !failed.last_error.contains(&port.to_string()),
            "{}",
            failed.last_error
        );
    }
);

posture_kit::db_test!(
    sync_failure_streaks_count_each_run_once_and_reset_on_success,
    |db: TestDatabase| async move {
        let (url, _receiver) = receiver(vec![204]).await;
        let setup = setup(&db, &url, 1).await;
        let store = &setup.store;
        assert_eq!(
            store
                .count_sync_run(&tenant(), "run-1", true)
                .await
                .expect("count"),
            Some(1)
        );
        assert_eq!(
            store
                .count_sync_run(&tenant(), "run-1", true)
                .await
                .expect("count"),
            None
        );
        assert_eq!(
            store
                .count_sync_run(&tenant(), "run-2", true)
                .await
                .expect("count"),
            Some(2)
        );
        assert_eq!(
            store
                .count_sync_run(&other_tenant(), "run-9", true)
                .await
                .expect("count"),
            Some(1)
        );
        assert_eq!(
            store
                .count_sync_run(&tenant(), "run-3", false)
                .await
                .expect("count"),
            Some(0)
        );
        assert_eq!(
            store
                .count_sync_run(&tenant(), "run-4", true)
                .await
                .expect("count"),
            Some(1)
        );
    }
);
