//! TestConnection goes through the token broker (here a stand-in served over a real socket that
//! reads the secret from the vault and reports health back, as the real broker does); the health
//! it finds is stored, and a change of state is published once.

mod common;

use std::time::Duration;

use common::*;
use posture_bus::ConsumerConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1::ConnectionHealthChanged;
use posture_proto::v1::{ConnectionHealth, ConnectionState, CredentialAccessPurpose, TestConnectionRequest};
use tokio_util::sync::CancellationToken;
use tonic::Code;

/// Asks the role to test the tenant's connection and returns the health it found.
async fn test_connection(h: &mut Harness, tenant: &str) -> Result<ConnectionHealth, tonic::Status> {
    let response = h
        .connections
        .test_connection(TestConnectionRequest {
            tenant_id: tenant.into(),
        })
        .await?;
    Ok(response.into_inner().health.expect("health"))
}

posture_kit::db_test!(
    test_connection_forwards_to_the_token_broker_and_stores_its_health,
    |db: TestDatabase| async move {
        let mut h = Harness::start_with(
            db,
            Options {
                broker: true,
                ..Default::default()
            },
        )
        .await;
        let filter = posture_bus::topics::CONNECTION_HEALTH_CHANGED.filter();
        let mut health_events = h
            .bus
            .consumer(ConsumerConfig::new("test-health", filter).expect("config"))
            .await
            .expect("consumer");
        h.create(TENANT_A, SECRET).await;

        let tested = test_connection(&mut h, TENANT_A).await.expect("test");
        assert_eq!(tested.state, ConnectionState::Connected as i32);
        let stored = h.connection(TENANT_A).await.expect("get").health.expect("health");
        assert_eq!(stored.state, ConnectionState::Connected as i32);
        assert_eq!(stored.checked_at, Some(timestamp(start_time())));

        // The broker read the secret through the vault, which logged it with its purpose.
        let log = h.access_log(TENANT_A).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].purpose, CredentialAccessPurpose::ConnectionTest as i32);

        // A wrong secret turns the connection to Authentication Error with the AADSTS code.
        h.rotate_secret(TENANT_A, OTHER_SECRET, start_time() + chrono::Duration::days(90))
            .await;
        let failed = test_connection(&mut h, TENANT_A).await.expect("test");
        assert_eq!(failed.state, ConnectionState::AuthenticationError as i32);
        assert_eq!(failed.reason.map(|r| r.code), Some("AADSTS7000215".to_owned()));

        let cancel = CancellationToken::new();
        let mut states = Vec::new();
        for _ in 0..2 {
            let delivery = tokio::time::timeout(Duration::from_secs(5), health_events.next(&cancel))
                .await
                .expect("a health event")
                .expect("bus")
                .expect("delivery");
            let event: ConnectionHealthChanged = delivery.decode().expect("decode");
            states.push((
                event.previous_state,
                event.health.map(|h| h.state).unwrap_or_default(),
                event.credential_version,
            ));
            delivery.ack().await.expect("ack");
        }
        assert_eq!(
            states,
            vec![
                (
                    ConnectionState::Pending as i32,
                    ConnectionState::Connected as i32,
                    1
                ),
                (
                    ConnectionState::Pending as i32,
                    ConnectionState::AuthenticationError as i32,
                    2
                ),
            ]
        );
        // The broker and this role both stored the same result; only one event per change.
        let quiet = tokio::time::timeout(Duration::from_millis(200), health_events.next(&cancel)).await;
        assert!(quiet.is_err(), "no further health event");

        let missing = test_connection(&mut h, TENANT_B)
            .await
            .expect_err("unknown tenant");
        assert_eq!(missing.code(), Code::NotFound);
        h.stop().await;
    }
);

#[tokio::test]
async fn test_connection_without_a_broker_is_unavailable() {
    let mut h = Harness::start(TestDatabase::sqlite().expect("sqlite")).await;
    h.create(TENANT_A, SECRET).await;
    let status = test_connection(&mut h, TENANT_A).await.expect_err("no broker");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("token broker"), "{}", status.message());
    h.stop().await;
}
