//! Cached tokens go when a connection changes: on the ConnectionChanged event, on the
//! InvalidateTokens call, and on every replica, not only the one that was told.

use std::time::{Duration, Instant};

use posture_bus::topics;
use posture_bus::{BusExt, MessageId};
use posture_graph::Resource;
use posture_graph_sim::TenantSpec;
use posture_kit::ids::TenantId;
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged};
use posture_proto::internal::v1::InvalidateTokensRequest;
use posture_tokens::TokenSealKey;

use crate::common::{World, memory_bus};
use crate::replicas::{drop_buckets, nats_coordinator, unique_prefix};
use crate::vault_double::StoredConnection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_change_drops_cached_tokens_of_the_tenant() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;
    let first = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_eq!(first.credential_version, 1);

    // The credential is replaced: a new secret, version 2.
    let tenant_id = tenant.tenant_id.to_string();
    let new_secret = world.sim.add_secret(&tenant_id, 365).expect("secret added");
    world.vault.put(
        &tenant_id,
        StoredConnection {
            client_id: tenant.client_id.to_string(),
            secret: new_secret.value.expose().to_owned(),
            version: 2,
            base_url: world.sim.base_url(),
        },
    );
    let event = ConnectionChanged {
        event_id: uuid::Uuid::new_v4().to_string(),
        occurred_at: None,
        tenant_id: tenant_id.clone(),
        change: ConnectionChange::CredentialsUpdated as i32,
        credential_version: 2,
        changed_by: "admin".into(),
    };
    let subject =
        topics::CONNECTION_CHANGED.subject(&TenantId::from_uuid(tenant.tenant_id).expect("tenant id"));
    broker
        .bus
        .publish_message(
            subject,
            MessageId::new(event.event_id.clone()).expect("id"),
            &event,
        )
        .await
        .expect("published");

    // Without the event the version-1 token would be served for the rest of its hour.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let token = broker.get_token(&tenant, Resource::Graph).await.expect("token");
        if token.credential_version == 2 {
            assert_ne!(token.access_token, first.access_token);
            break;
        }
        assert!(Instant::now() < deadline, "the version-1 token is still served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(world.token_requests(&tenant) >= 2);
    // The change also triggered a connection test, reported with the new version.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !world
        .vault
        .recorded_health()
        .iter()
        .any(|h| h.credential_version == 2)
    {
        assert!(Instant::now() < deadline, "no health was recorded for version 2");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn invalidate_tokens_drops_every_api_of_the_tenant_and_nothing_else() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let other = world.tenant(TenantSpec {
        seed: 2,
        ..TenantSpec::default()
    });
    let broker = world.standalone().await;
    let graph = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    broker
        .get_token(&tenant, Resource::ManagementActivity)
        .await
        .expect("token");
    let others = broker.get_token(&other, Resource::Graph).await.expect("token");

    let dropped = broker
        .client()
        .invalidate_tokens(InvalidateTokensRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect("invalidated")
        .into_inner();
    assert_eq!(dropped.invalidated, 2);

    let again = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_ne!(again.access_token, graph.access_token);
    assert_eq!(world.token_requests(&tenant), 3);
    let others_again = broker.get_token(&other, Resource::Graph).await.expect("token");
    assert_eq!(others_again.access_token, others.access_token);
    assert_eq!(world.token_requests(&other), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidation_on_one_replica_reaches_every_replica() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let prefix = unique_prefix();
    let seal = TokenSealKey::random();
    let told = world
        .replica(nats_coordinator(&prefix, &seal).await, memory_bus())
        .await;
    let other = world
        .replica(nats_coordinator(&prefix, &seal).await, memory_bus())
        .await;
    let first = told.get_token(&tenant, Resource::Graph).await.expect("token");
    let shared = other.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_eq!(first.access_token, shared.access_token);
    assert_eq!(world.token_requests(&tenant), 1);

    told.client()
        .invalidate_tokens(InvalidateTokensRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect("invalidated");

    // The other replica hears of it through the token bucket's watch.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let token = other.get_token(&tenant, Resource::Graph).await.expect("token");
        if token.access_token != first.access_token {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other replica still serves the dropped token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(world.token_requests(&tenant), 2);
    drop_buckets(&prefix).await;
}
