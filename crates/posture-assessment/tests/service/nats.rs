//! The distributed shape: PostgreSQL and NATS JetStream carry the same pipeline.

use std::sync::Arc;

use posture_bus::{Bus, NatsBus, NatsBusConfig, Prefix};
use posture_kit::db::test_support::TestDatabase;

use crate::pipeline::completed_run_is_assessed_and_announced;
use crate::world::World;

fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

#[tokio::test]
async fn completed_sync_run_over_nats_is_assessed_and_announced() {
    let prefix = Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("prefix");
    let bus: Arc<dyn Bus> = Arc::new(
        NatsBus::connect(NatsBusConfig {
            prefix,
            ..NatsBusConfig::new(nats_url())
        })
        .await
        .expect("NATS with JetStream must be reachable"),
    );
    let world = World::with_bus(TestDatabase::postgres().await.expect("postgres"), bus.clone()).await;
    completed_run_is_assessed_and_announced(world).await;
    bus.delete_streams().await.expect("streams removed");
}
