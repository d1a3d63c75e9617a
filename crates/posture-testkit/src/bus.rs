//! The bus a world runs on: an in-process bus, or NATS JetStream on the local server under a
//! random prefix so tests share one server without seeing each other's messages.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::{Bus, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};

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
