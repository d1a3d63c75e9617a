//! The public TenantConnectionService over a real socket, against PostgreSQL and SQLite.

mod common;

use chrono::Duration;
use common::*;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1::ConnectionChange;
use posture_proto::v1::{
    AuthMethod, Cloud, CloudEndpoints, Connection, ConnectionState, DeleteConnectionRequest,
    ListConnectionsRequest, UpdateConnectionRequest, UpdateCredentialsRequest,
};
use prost_types::FieldMask;
use tonic::Code;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn delete_request(tenant: &str) -> DeleteConnectionRequest {
    DeleteConnectionRequest {
        tenant_id: tenant.to_owned(),
        confirm_tenant_id: tenant.to_owned(),
        reason: "customer offboarded".to_owned(),
        ..Default::default()
    }
}

/// Connects `tenant` as the admin and returns the new connection.
async fn create_as_admin(h: &mut Harness, tenant: &str) -> Connection {
    h.connections
        .create_connection(as_admin(create_request(tenant, SECRET)))
        .await
        .expect("create")
        .into_inner()
        .connection
        .expect("connection")
}

posture_kit::db_test!(
    create_get_list_update_delete_round_trip,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let created = create_as_admin(&mut h, TENANT_A).await;
        assert_eq!(created.tenant_id, TENANT_A);
        assert_eq!(created.created_by, ADMIN);
        assert_eq!(
            created.health.as_ref().map(|h| h.state),
            Some(ConnectionState::Pending as i32)
        );
        let metadata = created.credential.clone().expect("metadata");
        assert_eq!(metadata.auth_method, AuthMethod::ClientSecret as i32);
        assert_eq!(metadata.saved_by, ADMIN);
        assert_eq!(metadata.credential_version, 1);
        assert_eq!(
            metadata.expires_at,
            Some(timestamp(start_time() + Duration::days(180)))
        );
        assert!(!metadata.expiring_soon);
        let endpoints = created.endpoints.clone().expect("endpoints");
        assert_eq!(endpoints.graph_url, "https://graph.microsoft.com");
        assert_eq!(endpoints.authority_url, "https://login.microsoftonline.com");

        assert_eq!(h.connection(TENANT_A).await.expect("get"), created);
        // Upper-case ids address the same connection.
        assert_eq!(
            h.connection(&TENANT_A.to_uppercase())
                .await
                .expect("get")
                .tenant_id,
            TENANT_A
        );

        let listed = h
            .connections
            .list_connections(ListConnectionsRequest::default())
            .await
            .expect("list")
            .into_inner();
        assert_eq!(listed.connections, vec![created.clone()]);
        assert!(listed.next_page_token.is_empty());

        let updated = h
            .connections
            .update_connection(as_admin(UpdateConnectionRequest {
                connection: Some(Connection {
                    tenant_id: TENANT_A.to_owned(),
                    display_name: "Contoso Ltd".to_owned(),
                    cloud: Cloud::UsGovGccHigh as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            }))
            .await
            .expect("update")
            .into_inner()
            .connection
            .expect("connection");
        assert_eq!(updated.display_name, "Contoso Ltd");
        assert_eq!(updated.cloud, Cloud::Global as i32, "cloud is not in the mask");
        assert_eq!(updated.credential, created.credential);

        let custom = CloudEndpoints {
            authority_url: "http://127.0.0.1:8400".to_owned(),
            graph_url: "http://127.0.0.1:8400/graph/".to_owned(),
            defender_url: "https://defender.sim.example".to_owned(),
            management_activity_url: "https://manage.sim.example".to_owned(),
            exchange_url: String::new(),
        };
        let moved = h
            .connections
            .update_connection(as_admin(UpdateConnectionRequest {
                connection: Some(Connection {
                    tenant_id: TENANT_A.to_owned(),
                    cloud: Cloud::Custom as i32,
                    endpoints: Some(custom.clone()),
                    ..Default::default()
                }),
                update_mask: mask(&["cloud", "endpoints"]),
            }))
            .await
            .expect("move to custom endpoints")
            .into_inner()
            .connection
            .expect("connection");
        assert_eq!(moved.cloud, Cloud::Custom as i32);
        assert_eq!(
            moved.endpoints.map(|e| e.graph_url),
            Some("http://127.0.0.1:8400/graph".to_owned())
        );

        let deleted = h
            .connections
            .delete_connection(as_admin(delete_request(TENANT_A)))
            .await
            .expect("delete")
            .into_inner();
        assert_eq!(deleted.deleted_at, Some(timestamp(start_time())));
        assert_eq!(
            h.connection(TENANT_A).await.expect_err("deleted").code(),
            Code::NotFound
        );
        let again = h.connections.delete_connection(delete_request(TENANT_A)).await;
        assert_eq!(again.expect_err("already deleted").code(), Code::NotFound);
        h.stop().await;
    }
);

posture_kit::db_test!(
    connection_changes_are_published_with_their_credential_version,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        create_as_admin(&mut h, TENANT_A).await;
        let created = h.next_change().await;
        assert_eq!(created.tenant_id, TENANT_A);
        assert_eq!(created.change, ConnectionChange::Created as i32);
        assert_eq!(created.credential_version, 1);
        assert_eq!(created.changed_by, ADMIN);
        assert!(uuid::Uuid::parse_str(&created.event_id).is_ok());

        h.connections
            .update_credentials(as_admin(update_credentials_request(
                TENANT_A,
                OTHER_SECRET,
                start_time() + Duration::days(365),
            )))
            .await
            .expect("rotate secret");
        let rotated = h.next_change().await;
        assert_eq!(rotated.change, ConnectionChange::CredentialsUpdated as i32);
        assert_eq!(rotated.credential_version, 2);

        h.connections
            .delete_connection(as_admin(delete_request(TENANT_A)))
            .await
            .expect("delete");
        let deleted = h.next_change().await;
        assert_eq!(deleted.change, ConnectionChange::Deleted as i32);
        assert_eq!(deleted.credential_version, 0);
        h.stop().await;
    }
);

posture_kit::db_test!(
    update_credentials_keeps_the_connection_and_bumps_credential_version,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let created = create_as_admin(&mut h, TENANT_A).await;
        h.clock.advance(Duration::days(10));
        let new_client = "9a9a9a9a-1111-4222-8333-444455556666";
        let rotated = h
            .connections
            .update_credentials(as_admin(UpdateCredentialsRequest {
                client_id: new_client.to_uppercase(),
                ..update_credentials_request(TENANT_A, OTHER_SECRET, start_time() + Duration::days(20))
            }))
            .await
            .expect("update credentials")
            .into_inner()
            .connection
            .expect("connection");
        assert_eq!(rotated.tenant_id, created.tenant_id);
        assert_eq!(rotated.display_name, created.display_name);
        assert_eq!(rotated.created_at, created.created_at);
        assert_eq!(rotated.created_by, created.created_by);
        assert_eq!(rotated.client_id, new_client);
        let metadata = rotated.credential.expect("metadata");
        assert_eq!(metadata.credential_version, 2);
        assert_eq!(
            metadata.saved_at,
            Some(timestamp(start_time() + Duration::days(10)))
        );
        // 10 days left, inside the default 30-day warning window.
        assert!(metadata.expiring_soon);
        assert_eq!(
            rotated.health.map(|h| h.state),
            Some(ConnectionState::Pending as i32)
        );

        let unknown = h
            .connections
            .update_credentials(update_credentials_request(
                TENANT_B,
                OTHER_SECRET,
                start_time() + Duration::days(20),
            ))
            .await
            .expect_err("unknown tenant");
        assert_eq!(unknown.code(), Code::NotFound);
        h.stop().await;
    }
);

posture_kit::db_test!(
    unknown_tenant_is_not_found_and_duplicate_create_already_exists,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let missing = h.connection(TENANT_B).await.expect_err("never created");
        assert_eq!(missing.code(), Code::NotFound);
        assert!(missing.message().contains(TENANT_B), "{}", missing.message());

        create_as_admin(&mut h, TENANT_A).await;
        let duplicate = h
            .connections
            .create_connection(as_admin(create_request(&TENANT_A.to_uppercase(), OTHER_SECRET)))
            .await
            .expect_err("tenant already connected");
        assert_eq!(duplicate.code(), Code::AlreadyExists);
        assert!(
            duplicate.message().contains("UpdateCredentials"),
            "{}",
            duplicate.message()
        );
        h.stop().await;
    }
);

posture_kit::db_test!(
    list_pages_by_tenant_id_and_filters_by_expiry_and_state,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        for (tenant, days) in [(TENANT_C, 400), (TENANT_A, 10), (TENANT_B, 200)] {
            let mut request = create_request(tenant, SECRET);
            request.credential = Some(secret_credential(SECRET, start_time() + Duration::days(days)));
            h.connections.create_connection(request).await.expect("create");
        }
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = h
                .connections
                .list_connections(ListConnectionsRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            assert!(page.connections.len() <= 2);
            seen.extend(page.connections.into_iter().map(|c| c.tenant_id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, vec![TENANT_A, TENANT_B, TENANT_C]);

        let expiring = h
            .connections
            .list_connections(ListConnectionsRequest {
                expiring_soon_only: true,
                ..Default::default()
            })
            .await
            .expect("expiring")
            .into_inner();
        let tenants: Vec<_> = expiring
            .connections
            .iter()
            .map(|c| c.tenant_id.as_str())
            .collect();
        assert_eq!(tenants, vec![TENANT_A]);

        let connected = h
            .connections
            .list_connections(ListConnectionsRequest {
                state: ConnectionState::Connected as i32,
                ..Default::default()
            })
            .await
            .expect("by state")
            .into_inner();
        assert!(connected.connections.is_empty());

        // A token only works with the filters it was issued for.
        let first = h
            .connections
            .list_connections(ListConnectionsRequest {
                page_size: 1,
                ..Default::default()
            })
            .await
            .expect("first page")
            .into_inner();
        let mismatch = h
            .connections
            .list_connections(ListConnectionsRequest {
                page_size: 1,
                page_token: first.next_page_token,
                expiring_soon_only: true,
                ..Default::default()
            })
            .await
            .expect_err("other filters");
        assert_eq!(mismatch.code(), Code::InvalidArgument);
        assert!(
            mismatch.message().contains("other filters"),
            "{}",
            mismatch.message()
        );
        h.stop().await;
    }
);
