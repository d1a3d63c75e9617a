//! Tokens are cached, refreshed ahead of expiry from `expires_in`, and requested once however many
//! callers ask at the same time.

use std::time::Duration;

use posture_graph::Resource;
use posture_graph_sim::TenantSpec;
use posture_proto::internal::v1::GetTokenRequest;
use posture_proto::v1::ApiResource;
use tonic::Code;

use posture_kit::clock::Clock;

use crate::common::{World, expires_at, jwt_lifetime};
use crate::vault_double::StoredConnection;

#[tokio::test]
async fn cached_token_is_served_without_a_new_token_request() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;

    let first = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("first token");
    let second = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("second token");

    assert_eq!(first.access_token, second.access_token);
    assert_eq!(world.token_requests(&tenant), 1);
    assert!(
        first.roles.iter().any(|r| r == "User.Read.All"),
        "{:?}",
        first.roles
    );
    assert_eq!(first.credential_version, 1);

    // Another API is another token.
    let defender = broker
        .get_token(&tenant, Resource::DefenderForEndpoint)
        .await
        .expect("defender token");
    assert_ne!(defender.access_token, first.access_token);
    assert_eq!(world.token_requests(&tenant), 2);
}

#[tokio::test]
async fn token_expiry_comes_from_expires_in_and_refresh_happens_ahead_of_it() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;

    let issued_at = world.clock.now();
    let first = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("first token");
    let lifetime = jwt_lifetime(&first.access_token);
    let expiry = expires_at(&first);
    // The simulator hands out lifetimes between 3599 and 5400 seconds; the broker must use the
    // one it was given, never an assumed hour.
    let measured = (expiry - issued_at).num_seconds();
    assert!(
        (measured - lifetime).abs() <= 2,
        "expires_at says {measured} s, the token says {lifetime} s"
    );

    // Six minutes before expiry (lead 5 min + at most 1 min jitter): still the cached token.
    let until_lead = expiry - world.clock.now() - chrono::Duration::minutes(6) - chrono::Duration::seconds(1);
    world.clock.advance(until_lead);
    world.sim.advance_clock(until_lead.to_std().expect("positive"));
    let still = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("cached token");
    assert_eq!(still.access_token, first.access_token);
    assert_eq!(world.token_requests(&tenant), 1);

    // Four minutes before expiry the token still works, but the broker has refreshed it.
    world.clock.advance(chrono::Duration::minutes(2));
    world.sim.advance_clock(Duration::from_secs(120));
    let refreshed = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("refreshed token");
    assert_ne!(refreshed.access_token, first.access_token);
    assert!(expires_at(&refreshed) > expiry);
    assert_eq!(world.token_requests(&tenant), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_cause_one_token_request() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;

    let calls = (0..50).map(|_| broker.get_token(&tenant, Resource::Graph));
    let tokens = futures::future::join_all(calls).await;

    let first = tokens[0].as_ref().expect("token").access_token.clone();
    for token in &tokens {
        assert_eq!(token.as_ref().expect("token").access_token, first);
    }
    assert_eq!(world.token_requests(&tenant), 1);
}

#[tokio::test]
async fn a_caller_needing_more_life_than_the_cached_token_has_gets_a_fresh_one() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let broker = world.standalone().await;
    let first = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect("first token");
    // Twenty minutes before expiry: enough for a default caller, not for one needing 25 minutes.
    world
        .clock
        .advance(expires_at(&first) - world.clock.now() - chrono::Duration::minutes(20));
    let default_caller = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_eq!(default_caller.access_token, first.access_token);
    let demanding = broker
        .client()
        .get_token(GetTokenRequest {
            tenant_id: tenant.tenant_id.to_string(),
            resource: ApiResource::Graph as i32,
            min_valid_seconds: 25 * 60,
        })
        .await
        .expect("token")
        .into_inner();
    assert_ne!(demanding.access_token, first.access_token);
    assert_eq!(world.token_requests(&tenant), 2);
    // The fresh token now serves everyone.
    let after = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_eq!(after.access_token, demanding.access_token);
    assert_eq!(world.token_requests(&tenant), 2);
}

#[tokio::test]
async fn bad_requests_are_rejected_with_the_field_named() {
    let world = World::new().await;
    let broker = world.standalone().await;
    let mut client = broker.client();
    let domain = client
        .get_token(GetTokenRequest {
            tenant_id: "contoso.onmicrosoft.com".into(),
            resource: ApiResource::Graph as i32,
            min_valid_seconds: 0,
        })
        .await
        .expect_err("a domain is not a tenant id");
    assert_eq!(domain.code(), Code::InvalidArgument);
    assert!(domain.message().contains("tenant_id"));
    let unspecified = client
        .get_token(GetTokenRequest {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            resource: ApiResource::Unspecified as i32,
            min_valid_seconds: 0,
        })
        .await
        .expect_err("the API must be named");
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    assert!(unspecified.message().contains("resource"));
}

#[tokio::test]
async fn unknown_tenants_and_refused_secrets_are_failed_preconditions() {
    let world = World::new().await;
    let broker = world.standalone().await;
    let unknown = broker
        .client()
        .get_token(GetTokenRequest {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            resource: ApiResource::Graph as i32,
            min_valid_seconds: 0,
        })
        .await
        .expect_err("not connected");
    assert_eq!(unknown.code(), Code::FailedPrecondition);
    assert!(unknown.message().contains("not connected"));

    let tenant = world.tenant(TenantSpec::default());
    world.vault.put(
        &tenant.tenant_id.to_string(),
        StoredConnection {
            client_id: tenant.client_id.to_string(),
            secret: "not-the-secret".into(),
            version: 1,
            base_url: world.sim.base_url(),
        },
    );
    let refused = broker
        .get_token(&tenant, Resource::Graph)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("AADSTS7000215"),
        "{}",
        refused.message()
    );
    assert!(!refused.message().contains("not-the-secret"));
}

#[tokio::test]
async fn a_refused_secret_is_held_briefly_reported_once_and_cleared_by_invalidation() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec::default());
    let tenant_id = tenant.tenant_id.to_string();
    let stored = |secret: &str, version| StoredConnection {
        client_id: tenant.client_id.to_string(),
        secret: secret.to_owned(),
        version,
        base_url: world.sim.base_url(),
    };
    world.vault.put(&tenant_id, stored("expired-or-wrong", 4));
    let broker = world.standalone().await;

    for _ in 0..3 {
        let refused = broker
            .get_token(&tenant, Resource::Graph)
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::FailedPrecondition);
    }
    // Retrying callers do not hammer the authority with a credential it just refused.
    assert_eq!(world.token_requests(&tenant), 1);

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while world.vault.recorded_health().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the refusal was not reported"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recorded = world.vault.recorded_health();
    assert_eq!(recorded.len(), 1, "reported once");
    assert_eq!(recorded[0].credential_version, 4);
    let health = recorded[0].health.clone().expect("health");
    assert_eq!(
        health.state,
        posture_proto::v1::ConnectionState::AuthenticationError as i32
    );
    assert_eq!(health.reason.map(|r| r.code).as_deref(), Some("AADSTS7000215"));

    // The operator fixes the credential; the change clears the held refusal at once.
    world
        .vault
        .put(&tenant_id, stored(tenant.client_secret.expose(), 5));
    broker
        .client()
        .invalidate_tokens(posture_proto::internal::v1::InvalidateTokensRequest {
            tenant_id: tenant_id.clone(),
        })
        .await
        .expect("invalidated");
    let token = broker.get_token(&tenant, Resource::Graph).await.expect("token");
    assert_eq!(token.credential_version, 5);
}
