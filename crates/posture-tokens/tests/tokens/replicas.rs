//! Several broker replicas make one token request per (tenant, API) per refresh: through a lease
//! and a shared, sealed token in NATS KV (real nats-server), or in memory within one process.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::Prefix;
use posture_graph::Resource;
use posture_graph_sim::{TenantInfo, TenantSpec};
use posture_kit::clock::Clock;
use posture_tokens::{InProcessCoordinator, NatsKvCoordinator, RefreshCoordinator, TokenSealKey};

use crate::common::{Replica, World, expires_at, memory_bus};

pub const NATS_URL: &str = "nats://127.0.0.1:4222";

pub fn unique_prefix() -> Prefix {
    Prefix::new(format!("tok{}", uuid::Uuid::new_v4().simple())).expect("valid prefix")
}

pub async fn nats_coordinator(prefix: &Prefix, seal: &TokenSealKey) -> Arc<dyn RefreshCoordinator> {
    let client = async_nats::connect(NATS_URL).await.expect("NATS is running");
    Arc::new(
        NatsKvCoordinator::connect(client, prefix, seal.clone(), Duration::from_secs(10))
            .await
            .expect("KV buckets"),
    )
}

pub async fn drop_buckets(prefix: &Prefix) {
    if let Ok(client) = async_nats::connect(NATS_URL).await {
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_key_value(format!("{prefix}_token_leases")).await;
        let _ = js.delete_key_value(format!("{prefix}_tokens")).await;
    }
}

/// Every replica asks `rounds` times at once; returns the distinct tokens handed out.
async fn storm(replicas: &[Replica], tenant: &TenantInfo, rounds: usize) -> Vec<String> {
    let calls = (0..rounds).flat_map(|_| replicas.iter().map(|r| r.get_token(tenant, Resource::Graph)));
    let mut tokens: Vec<String> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("token").access_token)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

async fn one_request_per_refresh(world: &World, replicas: &[Replica], tenant: &TenantInfo) {
    let tokens = storm(replicas, tenant, 10).await;
    assert_eq!(tokens.len(), 1, "every replica hands out the same token");
    assert_eq!(world.token_requests(tenant), 1);

    // Past the refresh time (expiry minus at most 6 minutes) every replica wants a new token.
    let first = replicas[0]
        .get_token(tenant, Resource::Graph)
        .await
        .expect("token");
    let to_refresh = expires_at(&first) - world.clock.now() - chrono::Duration::minutes(4);
    world.clock.advance(to_refresh);
    world.sim.advance_clock(to_refresh.to_std().expect("positive"));
    let refreshed = storm(replicas, tenant, 10).await;
    assert_eq!(refreshed.len(), 1, "one refreshed token for all");
    assert_ne!(refreshed[0], tokens[0]);
    assert_eq!(world.token_requests(tenant), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_sharing_a_nats_kv_lease_make_one_token_request_per_refresh() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let prefix = unique_prefix();
    let seal = TokenSealKey::random();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        // Each replica has its own NATS connection and coordinator, as separate pods would.
        replicas.push(
            world
                .replica(nats_coordinator(&prefix, &seal).await, memory_bus())
                .await,
        );
    }
    one_request_per_refresh(&world, &replicas, &tenant).await;
    drop_buckets(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn brokers_sharing_an_in_process_coordinator_make_one_token_request_per_refresh() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let coordinator: Arc<dyn RefreshCoordinator> = Arc::new(InProcessCoordinator::default());
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(world.replica(coordinator.clone(), memory_bus()).await);
    }
    one_request_per_refresh(&world, &replicas, &tenant).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_with_another_seal_key_cannot_read_shared_tokens_and_refreshes_itself() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let prefix = unique_prefix();
    let ours = world
        .replica(
            nats_coordinator(&prefix, &TokenSealKey::random()).await,
            memory_bus(),
        )
        .await;
    let theirs = world
        .replica(
            nats_coordinator(&prefix, &TokenSealKey::random()).await,
            memory_bus(),
        )
        .await;
    let a = ours.get_token(&tenant, Resource::Graph).await.expect("token");
    let b = theirs.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_ne!(a.access_token, b.access_token);
    assert_eq!(world.token_requests(&tenant), 2);
    drop_buckets(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_api_is_refreshed_once_per_round_across_replicas() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let coordinator: Arc<dyn RefreshCoordinator> = Arc::new(InProcessCoordinator::default());
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(world.replica(coordinator.clone(), memory_bus()).await);
    }
    for round in 0..5 {
        for resource in Resource::ALL {
            let before = world.token_requests(&tenant);
            let calls = (0..5).flat_map(|_| replicas.iter().map(|r| r.get_token(&tenant, resource)));
            for result in futures::future::join_all(calls).await {
                result.expect("token");
            }
            assert_eq!(
                world.token_requests(&tenant) - before,
                1,
                "round {round}, {}",
                resource.as_str()
            );
        }
        let mut latest = world.clock.now();
        for resource in Resource::ALL {
            let token = replicas[0].get_token(&tenant, resource).await.expect("token");
            latest = latest.max(expires_at(&token));
        }
        let step = latest - world.clock.now() - chrono::Duration::minutes(4);
        world.clock.advance(step);
        world.sim.advance_clock(step.to_std().expect("positive"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_api_is_refreshed_once_per_round_across_nats_replicas() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec {
        seed: 77,
        ..TenantSpec::default()
    });
    let prefix = unique_prefix();
    let seal = TokenSealKey::random();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            world
                .replica(nats_coordinator(&prefix, &seal).await, memory_bus())
                .await,
        );
    }
    for round in 0..5 {
        for resource in Resource::ALL {
            let before = world.token_requests(&tenant);
            let calls = (0..10).flat_map(|_| replicas.iter().map(|r| r.get_token(&tenant, resource)));
            for result in futures::future::join_all(calls).await {
                result.expect("token");
            }
            assert_eq!(
                world.token_requests(&tenant) - before,
                1,
                "round {round}, {}",
                resource.as_str()
            );
        }
        let mut latest = world.clock.now();
        for resource in Resource::ALL {
            let token = replicas[0].get_token(&tenant, resource).await.expect("token");
            latest = latest.max(expires_at(&token));
        }
        let step = latest - world.clock.now() - chrono::Duration::minutes(4);
        eprintln!(
            "round {round}: now {} latest {latest} step {step}",
            world.clock.now()
        );
        world.clock.advance(step);
        world.sim.advance_clock(step.to_std().expect("positive"));
    }
}
