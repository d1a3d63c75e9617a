//! `BrokerTokenSource`: a Graph client whose tokens come from the token broker over gRPC, the way
//! the sync workers use it.

use std::sync::Arc;

use futures::StreamExt;
use posture_graph::models::User;
use posture_graph::{Endpoints, EntityKind, GraphClient, GraphError, Resource, TokenSource, entity_pages};
use posture_graph_sim::TenantSpec;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_sync::tokens::BrokerTokenSource;

use crate::world::{new_world, tenant_id};

#[tokio::test]
async fn graph_clients_read_the_tenant_with_broker_tokens_and_share_one_token() {
    let world = new_world(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            users: 30,
            ..TenantSpec::default()
        })
        .await;
    settled_health(&world, &tenant).await;
    let endpoints = Endpoints::path_routed(&world.sim.base_url()).expect("endpoints");
    let http = posture_graph::http_client().expect("http client");
    let token_requests = || {
        world
            .sim
            .request_log(&tenant.tenant_id.to_string())
            .iter()
            .filter(|r| r.api == "login token")
            .count()
    };
    // The connection test after the connection was created already holds a Graph token.
    let before = token_requests();

    let mut users = 0;
    for _ in 0..2 {
        // Two workers, each with its own source, as two sync jobs would have.
        let source = Arc::new(BrokerTokenSource::new(world.channel.clone(), tenant_id(&tenant)));
        let client = GraphClient::new(
            http.clone(),
            source,
            endpoints.clone(),
            tenant.tenant_id.to_string(),
            tenant.client_id.to_string(),
        );
        let mut pages =
            Box::pin(entity_pages::<User>(&client, &EntityKind::Users.spec()).expect("users request"));
        users = 0;
        while let Some(page) = pages.next().await {
            users += page.expect("a page of users").records.len();
        }
    }
    assert!(users >= 30, "read {users} users");
    assert!(
        token_requests() - before <= 1,
        "both workers share the broker's token: {} new token requests",
        token_requests() - before
    );
}

/// Waits until the connection test that follows a new connection has recorded its health.
async fn settled_health(world: &posture_testkit::World, tenant: &posture_graph_sim::TenantInfo) {
    let mut connections = TenantConnectionServiceClient::new(world.channel.clone());
    let deadline = tokio::time::Instant::now() + posture_testkit::PATIENCE;
    loop {
        let state = connections
            .get_connection(pb::GetConnectionRequest {
                tenant_id: tenant.tenant_id.to_string(),
            })
            .await
            .expect("connection is readable")
            .into_inner()
            .connection
            .and_then(|c| c.health)
            .map(|h| h.state)
            .unwrap_or_default();
        if state != pb::ConnectionState::Pending as i32 && state != pb::ConnectionState::Unspecified as i32 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the connection was never tested"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_refused_credential_reaches_the_graph_client_as_an_authentication_error() {
    let world = new_world(TestDatabase::sqlite().expect("sqlite")).await;
    let source = BrokerTokenSource::new(world.channel.clone(), TenantId::new_random());
    let error = source.token(Resource::Graph).await.expect_err("not connected");
    assert!(matches!(error, GraphError::Authentication { .. }), "{error:?}");
    assert_eq!(
        error.health(),
        Some(posture_graph::HealthClass::AuthenticationError)
    );
}
