//! Opens the bus under test: a fresh MemoryBus, or a NatsBus on the shared NATS server with a random
//! prefix of its own, whose streams are deleted when the test ends (even when it fails).

use std::sync::Arc;
use std::time::Duration;

use posture_bus::{
    Bus, Consumer, ConsumerConfig, Delivery, Envelope, MemoryBus, MessageId, NatsBus, NatsBusConfig, Prefix,
    StreamSettings, Subject, SubjectFilter,
};
use tokio_util::sync::CancellationToken;

pub fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

fn settings() -> StreamSettings {
    StreamSettings {
        duplicate_window: Duration::from_secs(60),
        events_max_age: Duration::from_secs(3600),
        dead_letter_max_age: Duration::from_secs(3600),
    }
}

fn nats_config(prefix: &Prefix) -> NatsBusConfig {
    NatsBusConfig {
        url: nats_url(),
        prefix: prefix.clone(),
        streams: settings(),
        // Short pulls keep shutdown and the end of each test quick.
        pull_expiry: Duration::from_millis(500),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Nats,
}

/// The bus a contract test runs against.
pub struct TestBus {
    pub bus: Arc<dyn Bus>,
    pub backend: Backend,
    prefix: Prefix,
}

impl TestBus {
    pub async fn memory() -> Self {
        let prefix = random_prefix();
        let bus = MemoryBus::new(prefix.clone(), settings());
        Self {
            bus: Arc::new(bus),
            backend: Backend::Memory,
            prefix,
        }
    }

    pub async fn nats() -> Self {
        let prefix = random_prefix();
        let bus = NatsBus::connect(nats_config(&prefix))
            .await
            .expect("NATS with JetStream must be reachable");
        Self {
            bus: Arc::new(bus),
            backend: Backend::Nats,
            prefix,
        }
    }

    /// A bus of the same kind with its own prefix and the given stream settings.
    pub async fn with_settings(&self, streams: StreamSettings) -> TestBus {
        let prefix = random_prefix();
        let bus: Arc<dyn Bus> = match self.backend {
            Backend::Memory => Arc::new(MemoryBus::new(prefix.clone(), streams)),
            Backend::Nats => Arc::new(
                NatsBus::connect(NatsBusConfig {
                    streams,
                    ..nats_config(&prefix)
                })
                .await
                .expect("NATS with JetStream must be reachable"),
            ),
        };
        TestBus {
            bus,
            backend: self.backend,
            prefix,
        }
    }

    /// The same bus as another process (or the same one after a restart) would see it: a new NATS
    /// connection with the same prefix, or the same in-process bus.
    pub async fn reopen(&self) -> Arc<dyn Bus> {
        match self.backend {
            Backend::Memory => self.bus.clone(),
            Backend::Nats => Arc::new(
                NatsBus::connect(nats_config(&self.prefix))
                    .await
                    .expect("reconnect"),
            ),
        }
    }

    pub async fn consumer(&self, config: &ConsumerConfig) -> Box<dyn Consumer> {
        self.bus.consumer(config.clone()).await.expect("create consumer")
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        if self.backend != Backend::Nats {
            return;
        }
        // Drop cannot await; delete this test's streams from a thread with its own runtime.
        let prefix = self.prefix.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(client) = async_nats::connect(nats_url()).await {
                        let js = async_nats::jetstream::new(client);
                        for kind in posture_bus::StreamKind::ALL {
                            let _ = js.delete_stream(prefix.stream_name(kind)).await;
                        }
                    }
                });
            }
        });
        let _ = cleanup.join();
    }
}

pub fn random_prefix() -> Prefix {
    Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("valid prefix")
}

pub fn job_subject(kind: &str, tenant: &str) -> Subject {
    Subject::jobs()
        .token("sync")
        .and_then(|b| b.token(kind))
        .and_then(|b| b.token(tenant))
        .and_then(|b| b.build())
        .expect("valid subject")
}

pub fn jobs_of(kind: &str) -> SubjectFilter {
    SubjectFilter::new(posture_bus::StreamKind::Jobs, ["sync", kind])
        .and_then(|f| f.any())
        .expect("valid filter")
}

pub fn envelope(subject: Subject, id: &str, payload: &str) -> Envelope {
    Envelope::new(
        subject,
        MessageId::new(id).expect("valid id"),
        payload.as_bytes().to_vec(),
    )
}

pub fn text(delivery: &Delivery) -> String {
    String::from_utf8_lossy(delivery.payload()).into_owned()
}

/// The next delivery, or `None` when none arrives within `wait`.
pub async fn next_within(consumer: &mut Box<dyn Consumer>, wait: Duration) -> Option<Delivery> {
    let cancel = CancellationToken::new();
    let timer = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            cancel.cancel();
        })
    };
    let delivery = consumer.next(&cancel).await.expect("pull");
    timer.abort();
    delivery
}

/// Receives and acks from any of `members` until `count` deliveries arrived or `wait` passed.
/// Returns (member index, payload) per delivery.
pub async fn drain(members: &mut [Box<dyn Consumer>], count: usize, wait: Duration) -> Vec<(usize, String)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got = Vec::new();
    while got.len() < count && tokio::time::Instant::now() < deadline {
        let mut progressed = false;
        for (i, member) in members.iter_mut().enumerate() {
            if let Some(delivery) = next_within(member, Duration::from_millis(100)).await {
                got.push((i, text(&delivery)));
                delivery.ack().await.expect("ack");
                progressed = true;
            }
        }
        if !progressed {
            tokio::task::yield_now().await;
        }
    }
    got
}

/// Gives back anything the members pulled, so nothing waits out an ack wait after the test.
pub async fn close_all(members: &mut [Box<dyn Consumer>]) {
    for member in members {
        member.close().await.expect("close");
    }
}
