//! TestConnection goes through the token broker (here a stand-in served over a real socket that
//! reads the secret from the vault and reports health back, as the real broker does); the health
//! it finds is stored, and a change of state is published once.

mod common;

use std::time::Duration;

use common::*;
use posture_bus::{Bus, ConsumerConfig};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1::ConnectionHealthChanged;
use posture_proto::v1::{
    ConnectionState, CredentialAccessPurpose, GetConnectionRequest, ListCredentialAccessesRequest,
    TestConnectionRequest, UpdateCredentialsRequest,
};
use tokio_util::sync::CancellationToken;
use tonic::Code;

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
        let filter = posture_credentials::events::connection_health_changed_filter().expect("filter");
        let mut health_events = h
            .bus
            .consumer(ConsumerConfig::new("test-health", filter).expect("config"))
            .await
            .expect("consumer");
        h.connections
            .create_connection(create_request(TENANT_A, SECRET))
            .await
            .expect("create");

        let tested = h
            .connections
            .test_connection(TestConnectionRequest {
                tenant_id: TENANT_A.into(),
            })
            .await
            .expect("test")
            .into_inner()
            .health
            .expect("health");
        assert_eq!(tested.state, ConnectionState::Connected as i32);
        let stored = h
            .connections
            .get_connection(GetConnectionRequest {
                tenant_id: TENANT_A.into(),
            })
            .await
            .expect("get")
            .into_inner()
            .connection
            .and_then(|c| c.health)
            .expect("health");
        assert_eq!(stored.state, ConnectionState::Connected as i32);
        assert_eq!(stored.checked_at, Some(timestamp(start_time())));

        // The broker read the secret through the vault, which logged it with its purpose.
        let log = h
            .connections
            .list_credential_accesses(ListCredentialAccessesRequest {
                tenant_id: TENANT_A.into(),
                ..Default::default()
            })
            .await
            .expect("log")
            .into_inner();
        assert_eq!(log.accesses.len(), 1);
        assert_eq!(
            log.accesses[0].purpose,
            CredentialAccessPurpose::ConnectionTest as i32
        );

        // A wrong secret turns the connection to Authentication Error with the AADSTS code.
        h.connections
            .update_credentials(UpdateCredentialsRequest {
                tenant_id: TENANT_A.into(),
                credential: Some(secret_credential(
                    OTHER_SECRET,
                    start_time() + chrono::Duration::days(90),
                )),
                client_id: String::new(),
            })
            .await
            .expect("rotate");
        let failed = h
            .connections
            .test_connection(TestConnectionRequest {
                tenant_id: TENANT_A.into(),
            })
            .await
            .expect("test")
            .into_inner()
            .health
            .expect("health");
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

        let missing = h
            .connections
            .test_connection(TestConnectionRequest {
                tenant_id: TENANT_B.into(),
            })
            .await
            .expect_err("unknown tenant");
        assert_eq!(missing.code(), Code::NotFound);
        h.stop().await;
    }
);

#[tokio::test]
async fn test_connection_without_a_broker_is_unavailable() {
    let mut h = Harness::start(TestDatabase::sqlite().expect("sqlite")).await;
    h.connections
        .create_connection(create_request(TENANT_A, SECRET))
        .await
        .expect("create");
    let status = h
        .connections
        .test_connection(TestConnectionRequest {
            tenant_id: TENANT_A.into(),
        })
        .await
        .expect_err("no broker");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("token broker"), "{}", status.message());
    h.stop().await;
}
