//! `BrokerTokenSource`: a posture-graph client whose tokens come from the broker over gRPC, the
//! way the sync workers use it.

use std::sync::Arc;

use futures::StreamExt;
use posture_graph::models::User;
use posture_graph::{Endpoints, EntityKind, GraphClient, GraphError, Resource, TokenSource, entity_pages};
use posture_graph_sim::TenantSpec;
use posture_tokens::BrokerTokenSource;

use crate::common::World;

#[tokio::test]
async fn graph_clients_read_the_tenant_with_broker_tokens_and_share_one_token() {
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec {
        users: 30,
        ..TenantSpec::default()
    });
    let broker = world.standalone().await;
    let tenant_id = tenant.tenant_id.to_string();
    let endpoints = Endpoints::path_routed(&world.sim.base_url()).expect("endpoints");
    let http = posture_graph::http_client().expect("http client");

    let mut users = 0;
    for _ in 0..2 {
        // Two workers, each with its own source, as two sync jobs would have.
        let source = Arc::new(BrokerTokenSource::new(broker.channel.clone(), tenant_id.clone()));
        let client = GraphClient::new(
            http.clone(),
            source,
            endpoints.clone(),
            tenant_id.clone(),
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
    assert_eq!(world.token_requests(&tenant), 1);
}

#[tokio::test]
async fn a_refused_credential_reaches_the_graph_client_as_an_authentication_error() {
    let world = World::new().await;
    let broker = world.standalone().await;
    let source = BrokerTokenSource::new(broker.channel.clone(), uuid::Uuid::new_v4().to_string());
    let error = source.token(Resource::Graph).await.expect_err("not connected");
    assert!(matches!(error, GraphError::Authentication { .. }), "{error:?}");
    assert_eq!(
        error.health(),
        Some(posture_graph::HealthClass::AuthenticationError)
    );
}
