//! The distributed shape: PostgreSQL and NATS JetStream carry the same pipeline.

use posture_kit::db::test_support::TestDatabase;

use crate::pipeline::completed_run_is_assessed_and_announced;
use posture_testkit::nats_bus;

use crate::world::World;

#[tokio::test]
async fn completed_sync_run_over_nats_is_assessed_and_announced() {
    let bus = nats_bus().await;
    let world = World::with_bus(TestDatabase::postgres().await.expect("postgres"), bus.clone()).await;
    completed_run_is_assessed_and_announced(world).await;
    bus.delete_streams().await.expect("streams removed");
}
