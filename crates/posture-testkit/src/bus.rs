//! The bus a world runs on: an in-process bus, or NATS JetStream on the local server under a
//! random prefix so tests share one server without seeing each other's messages.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::{Bus, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};
use posture_kit::db::test_support::TestDatabase;

fn random_prefix() -> Prefix {
    // A prefix of letters and digits is always valid.
    Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).unwrap_or_default()
}

/// A fresh in-process bus.
pub fn memory_bus() -> Arc<dyn Bus> {
    Arc::new(MemoryBus::new(random_prefix(), StreamSettings::default()))
}

/// `POSTURE_TEST_NATS_URL`, default `nats://127.0.0.1:4222`.
pub fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A NATS bus with a prefix of its own; panics when NATS is not reachable (a test's setup).
pub async fn nats_bus() -> Arc<dyn Bus> {
    let config = NatsBusConfig {
        prefix: random_prefix(),
        // Short pulls keep a test's shutdown quick.
        pull_expiry: Duration::from_millis(500),
        ..NatsBusConfig::new(nats_url())
    };
    match NatsBus::connect(config).await {
        Ok(bus) => Arc::new(bus),
        Err(error) => panic!("NATS with JetStream must be reachable for this test: {error}"),
    }
}

/// The two shapes a test runs in: the in-process bus with SQLite (standalone) and NATS JetStream
/// with PostgreSQL (distributed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    Memory,
    Nats,
}

impl Backing {
    /// A fresh bus and database of this shape.
    pub async fn open(self) -> (Arc<dyn Bus>, TestDatabase) {
        match self {
            Backing::Memory => (
                memory_bus(),
                TestDatabase::sqlite().expect("sqlite test database"),
            ),
            Backing::Nats => (
                nats_bus().await,
                TestDatabase::postgres().await.expect("PostgreSQL test database"),
            ),
        }
    }
}

/// Runs each behaviour `async fn(TestDatabase, Arc<dyn Bus>)` once per [`Backing`]: expands to a
/// module per behaviour with the tests `memory_bus` and `nats_bus`. The NATS streams are removed
/// afterwards.
#[macro_export]
macro_rules! on_both_buses {
    ($($behaviour:ident),+ $(,)?) => {$(
        mod $behaviour {
            async fn run(backing: $crate::Backing) {
                let (bus, db) = backing.open().await;
                super::$behaviour(db, bus.clone()).await;
                let _ = bus.delete_streams().await;
            }

            #[tokio::test]
            async fn memory_bus() {
                run($crate::Backing::Memory).await;
            }

            #[tokio::test]
            async fn nats_bus() {
                run($crate::Backing::Nats).await;
            }
        }
    )+};
}
