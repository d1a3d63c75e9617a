//! The distributed shape: PostgreSQL and NATS JetStream carry the same pipeline.

use std::sync::Arc;

use posture_bus::{Bus, NatsBus, NatsBusConfig, Prefix};
use posture_kit::db::test_support::TestDatabase;

use crate::pipeline::completed_run_is_assessed_and_announced;
use crate::world::World;

fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A NATS bus under a fresh prefix, so tests share the server without seeing each other.
pub async fn nats_bus() -> Arc<dyn Bus> {
    let prefix = Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("prefix");
    Arc::new(
        NatsBus::connect(NatsBusConfig {
            prefix,
            ..NatsBusConfig::new(nats_url())
        })
        .await
        .expect("NATS with JetStream must be reachable"),
    )
}

#[tokio::test]
async fn completed_sync_run_over_nats_is_assessed_and_announced() {
    let bus = nats_bus().await;
    let world = World::with_bus(TestDatabase::postgres().await.expect("postgres"), bus.clone()).await;
    completed_run_is_assessed_and_announced(world).await;
    bus.delete_streams().await.expect("streams removed");
}
