//! Malformed requests are refused at the edge with INVALID_ARGUMENT and a message that names the
//! field and says what to fix; nothing is stored.

mod common;

use chrono::Duration;
use common::*;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1::credential::Kind;
use posture_proto::v1::{
    CertificateCredential, Cloud, CloudEndpoints, Connection, CreateConnectionRequest,
    DeleteConnectionRequest, ListConnectionsRequest, ListCredentialAccessesRequest, UpdateConnectionRequest,
};
use prost_types::FieldMask;
use tonic::Code;

fn assert_invalid(result: Result<impl std::fmt::Debug, tonic::Status>, expected: &[&str]) {
    let status = result.expect_err("request must be refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    for part in expected {
        assert!(
            status.message().contains(part),
            "`{}` should mention `{part}`",
            status.message()
        );
    }
    assert!(!status.message().contains(SECRET));
}

#[tokio::test]
async fn malformed_requests_are_invalid_argument_with_a_message_saying_what_to_fix() {
    let mut h = Harness::start(TestDatabase::sqlite().expect("sqlite")).await;
    let c = &mut h.connections;
    let create = |f: fn(&mut CreateConnectionRequest)| {
        let mut request = create_request(TENANT_A, SECRET);
        f(&mut request);
        request
    };

    assert_invalid(
        c.create_connection(create(|r| r.tenant_id = "contoso.onmicrosoft.com".into()))
            .await,
        &["tenant_id", "GUID", "domain names"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.client_id = "app-1".into()))
            .await,
        &["client_id", "GUID"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.display_name = "x".repeat(201)))
            .await,
        &["display_name", "200"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.display_name = "  ".into()))
            .await,
        &["display_name", "empty"],
    );
    assert_invalid(
        c.create_connection(create(|r| {
            r.credential = Some(secret_credential("", start_time() + Duration::days(9)))
        }))
        .await,
        &["secret_value", "empty"],
    );
    assert_invalid(
        c.create_connection(create(|r| {
            r.credential = Some(secret_credential(
                &"s".repeat(1025),
                start_time() + Duration::days(9),
            ))
        }))
        .await,
        &["secret_value", "1024 bytes"],
    );
    assert_invalid(
        c.create_connection(create(|r| {
            r.credential = Some(secret_credential(SECRET, start_time() - Duration::days(1)))
        }))
        .await,
        &["expires_at", "past"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.credential = None)).await,
        &["credential"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.cloud = Cloud::Unspecified as i32))
            .await,
        &["cloud"],
    );
    assert_invalid(
        c.create_connection(create(|r| r.cloud = Cloud::Custom as i32))
            .await,
        &["endpoints", "CLOUD_CUSTOM"],
    );
    assert_invalid(
        c.create_connection(create(|r| {
            r.endpoints = Some(CloudEndpoints {
                graph_url: "https://graph.example".into(),
                ..Default::default()
            })
        }))
        .await,
        &["endpoints", "unset"],
    );
    assert_invalid(
        c.create_connection(create(|r| {
            r.credential = Some(posture_proto::v1::Credential {
                kind: Some(Kind::Certificate(CertificateCredential {
                    certificate_pem: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----"
                        .into(),
                    private_key_pem: SECRET.into(),
                })),
            })
        }))
        .await,
        &["certificate_pem"],
    );

    assert_invalid(
        c.list_connections(ListConnectionsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    assert_invalid(
        c.list_connections(ListConnectionsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await,
        &["page_size"],
    );
    assert_invalid(
        c.list_credential_accesses(ListCredentialAccessesRequest {
            tenant_id: TENANT_A.into(),
            page_token: "eyJ4IjoxfQ".into(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );

    let connection = Connection {
        tenant_id: TENANT_A.into(),
        display_name: "New name".into(),
        ..Default::default()
    };
    assert_invalid(
        c.update_connection(UpdateConnectionRequest {
            connection: Some(connection.clone()),
            update_mask: None,
        })
        .await,
        &["update_mask.paths", "display_name, cloud, endpoints"],
    );
    assert_invalid(
        c.update_connection(UpdateConnectionRequest {
            connection: Some(connection.clone()),
            update_mask: Some(FieldMask {
                paths: vec!["client_id".into()],
            }),
        })
        .await,
        &["client_id", "UpdateCredentials"],
    );
    assert_invalid(
        c.delete_connection(DeleteConnectionRequest {
            tenant_id: TENANT_A.into(),
            confirm_tenant_id: TENANT_B.into(),
            reason: String::new(),
            ..Default::default()
        })
        .await,
        &["confirm_tenant_id", "does not match"],
    );

    // Nothing was stored by any of the refused requests.
    let listed = c
        .list_connections(ListConnectionsRequest::default())
        .await
        .expect("list");
    assert!(listed.into_inner().connections.is_empty());
    h.stop().await;
}
