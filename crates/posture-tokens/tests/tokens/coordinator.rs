//! The two coordinators pass the same contract: an exclusive lease, a shared slot, wake-ups, and
//! dropped tenants announced to every replica. The NATS KV one runs against the real server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use posture_graph::Resource;
use posture_kit::ids::TenantId;
use posture_tokens::{CachedToken, InProcessCoordinator, RefreshCoordinator, TokenKey, TokenSealKey};
use secrecy::{ExposeSecret, SecretString};

use crate::replicas::{NATS_URL, drop_buckets, nats_coordinator, unique_prefix};

fn key(resource: Resource) -> TokenKey {
    TokenKey::new(TenantId::new_random(), resource)
}

fn token(value: &str) -> CachedToken {
    let now = chrono::Utc::now();
    CachedToken {
        value: SecretString::from(value.to_owned()),
        issued_at: now,
        expires_at: now + chrono::Duration::seconds(3600),
        refresh_at: now + chrono::Duration::seconds(3300),
        roles: vec!["User.Read.All".into()],
        credential_version: 7,
    }
}

async fn contract(coordinator: Arc<dyn RefreshCoordinator>) {
    let graph = key(Resource::Graph);

    // The lease is exclusive; only its holder gives it back.
    assert!(coordinator.try_lease(&graph, "a").await.expect("lease"));
    assert!(!coordinator.try_lease(&graph, "b").await.expect("lease"));
    coordinator.release(&graph, "b").await.expect("release");
    assert!(!coordinator.try_lease(&graph, "c").await.expect("lease"));
    coordinator.release(&graph, "a").await.expect("release");
    assert!(coordinator.try_lease(&graph, "b").await.expect("lease"));

    // A waiter created before the share wakes up for it.
    assert!(coordinator.shared(&graph).await.expect("shared").is_none());
    let mut waiter = coordinator.watch(&graph).await.expect("watch");
    let sharer = coordinator.clone();
    let shared_key = graph.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sharer
            .share(&shared_key, &token("eyJ.first.sig"))
            .await
            .expect("share");
    });
    let started = Instant::now();
    waiter.wait(Duration::from_secs(30)).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the waiter was not woken"
    );
    let got = coordinator
        .shared(&graph)
        .await
        .expect("shared")
        .expect("a token");
    assert_eq!(got.value.expose_secret(), "eyJ.first.sig");
    assert_eq!(got.credential_version, 7);
    assert_eq!(got.roles, vec!["User.Read.All".to_owned()]);

    // Dropping the tenant empties its slots and is announced.
    let mut forgotten = coordinator.forgotten().await.expect("forgotten stream");
    let defender = TokenKey::new(graph.tenant, Resource::DefenderForEndpoint);
    coordinator
        .share(&defender, &token("eyJ.second.sig"))
        .await
        .expect("share");
    assert_eq!(coordinator.forget_tenant(&graph.tenant).await.expect("forget"), 2);
    assert!(coordinator.shared(&graph).await.expect("shared").is_none());
    assert!(coordinator.shared(&defender).await.expect("shared").is_none());
    let mut announced = Vec::new();
    while announced.len() < 2 {
        let next = tokio::time::timeout(Duration::from_secs(10), forgotten.next())
            .await
            .expect("announced in time")
            .expect("stream open");
        if next.tenant == graph.tenant && !announced.contains(&next.resource) {
            announced.push(next.resource);
        }
    }
}

#[tokio::test]
async fn the_in_process_coordinator_keeps_the_contract() {
    contract(Arc::new(InProcessCoordinator::default())).await;
}

#[tokio::test]
async fn the_nats_kv_coordinator_keeps_the_contract() {
    let prefix = unique_prefix();
    contract(nats_coordinator(&prefix, &TokenSealKey::random()).await).await;
    drop_buckets(&prefix).await;
}

#[tokio::test]
async fn in_process_leases_expire_so_a_crashed_holder_does_not_block_refreshes() {
    let coordinator = InProcessCoordinator::new(Duration::from_millis(200));
    let graph = key(Resource::Graph);
    assert!(coordinator.try_lease(&graph, "crashed").await.expect("lease"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(coordinator.try_lease(&graph, "next").await.expect("lease"));
}

#[tokio::test]
async fn nats_kv_leases_expire_and_shared_tokens_are_stored_sealed() {
    let prefix = unique_prefix();
    let client = async_nats::connect(NATS_URL).await.expect("NATS is running");
    let coordinator = posture_tokens::NatsKvCoordinator::connect(
        client.clone(),
        &prefix,
        TokenSealKey::random(),
        Duration::from_secs(1),
    )
    .await
    .expect("buckets");
    let graph = key(Resource::Graph);
    assert!(coordinator.try_lease(&graph, "crashed").await.expect("lease"));
    let deadline = Instant::now() + Duration::from_secs(15);
    while !coordinator.try_lease(&graph, "next").await.expect("lease") {
        assert!(
            Instant::now() < deadline,
            "the crashed holder's lease never expired"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    coordinator
        .share(&graph, &token("eyJ.plain-token-text.sig"))
        .await
        .expect("share");
    let js = async_nats::jetstream::new(client);
    let raw = js
        .get_key_value(format!("{prefix}_tokens"))
        .await
        .expect("bucket")
        .get(graph.kv_key())
        .await
        .expect("read")
        .expect("an entry");
    assert!(
        !raw.windows(16).any(|w| w == b"plain-token-text"),
        "the token is stored in clear"
    );
    drop_buckets(&prefix).await;
}
