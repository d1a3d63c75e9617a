//! The gateway in front of the real credentials role (not a double), on PostgreSQL and SQLite:
//! connections created through the gateway carry the API key's name as their creator, come back
//! without secret material, and stay within each key's tenant scope; the vault the role mounts on
//! the internal server is not reachable through the gateway.

mod support;

use posture_gateway::{AccessRole, TenantScope};
use posture_kit::ServiceRole;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::internal::v1 as internal;
use posture_proto::v1;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use prost::Message;
use support::{TENANT_A, TENANT_B, TestGateway, credentials_role, grpc_config, only, with_key};
use tonic::Code;

const SECRET: &str = "Qz7~gateway.Forwarded-Secret_Value-0123456789";
const CLIENT_ID: &str = "0b7e4f2a-1111-4222-8333-444455556666";

fn create(tenant_id: &str, name: &str) -> v1::CreateConnectionRequest {
    let expires = chrono::Utc::now() + chrono::Duration::days(180);
    v1::CreateConnectionRequest {
        tenant_id: tenant_id.into(),
        display_name: name.into(),
        client_id: CLIENT_ID.into(),
        cloud: v1::Cloud::Global as i32,
        endpoints: None,
        credential: Some(v1::Credential {
            kind: Some(v1::credential::Kind::ClientSecret(v1::ClientSecretCredential {
                secret_value: SECRET.into(),
                expires_at: Some(prost_types::Timestamp {
                    seconds: expires.timestamp(),
                    nanos: 0,
                }),
            })),
        }),
        tags: Vec::new(),
    }
}

posture_kit::db_test!(
    gateway_fronts_the_real_credentials_role,
    |db: TestDatabase| async move {
        let credentials_db = TestDatabase::new(db.backend())
            .await
            .expect("credentials database");
        let internal_server = credentials_role(&credentials_db).await;
        let upstreams = posture_gateway::Upstreams::none()
            .with_address(ServiceRole::Credentials, &internal_server.address, &grpc_config())
            .expect("address");
        let gateway = TestGateway::start(db, upstreams).await;
        let channel = gateway.channel().await;
        let mut connections = TenantConnectionServiceClient::new(channel.clone());

        for (tenant, name) in [(TENANT_A, "Contoso"), (TENANT_B, "Fabrikam")] {
            let created = connections
                .create_connection(with_key(&gateway.admin_key, create(tenant, name)))
                .await
                .expect("connection created through the gateway")
                .into_inner();
            let connection = created.connection.clone().expect("connection");
            assert_eq!(
                connection.created_by, "admin",
                "the key's name is the recorded principal"
            );
            assert_eq!(connection.tenant_id, tenant);
            let bytes = created.encode_to_vec();
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "secret came back"
            );
        }

        let key_a = gateway
            .key("contoso viewer", AccessRole::Viewer, only(TENANT_A))
            .await;
        let own = connections
            .get_connection(with_key(
                &key_a,
                v1::GetConnectionRequest {
                    tenant_id: TENANT_A.into(),
                },
            ))
            .await
            .expect("own tenant")
            .into_inner();
        assert_eq!(own.connection.map(|c| c.display_name).as_deref(), Some("Contoso"));
        let status = connections
            .get_connection(with_key(
                &key_a,
                v1::GetConnectionRequest {
                    tenant_id: TENANT_B.into(),
                },
            ))
            .await
            .expect_err("other tenant");
        assert_eq!(status.code(), Code::PermissionDenied);
        let listed = connections
            .list_connections(with_key(&key_a, v1::ListConnectionsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        let tenants: Vec<_> = listed.connections.iter().map(|c| c.tenant_id.as_str()).collect();
        assert_eq!(tenants, [TENANT_A]);
        let status = connections
            .create_connection(with_key(
                &key_a,
                create("11111111-2222-4333-8444-555555555555", "Northwind"),
            ))
            .await
            .expect_err("viewer cannot create");
        assert_eq!(status.code(), Code::PermissionDenied);

        let all = gateway
            .key("all viewer", AccessRole::Viewer, TenantScope::AllTenants)
            .await;
        let listed = connections
            .list_connections(with_key(&all, v1::ListConnectionsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(listed.connections.len(), 2);

        // The role's own validation answers through the gateway unchanged.
        let mut no_credential = create("11111111-2222-4333-8444-555555555555", "Northwind");
        no_credential.credential = None;
        let status = connections
            .create_connection(with_key(&gateway.admin_key, no_credential))
            .await
            .expect_err("credential required");
        assert_eq!(status.code(), Code::InvalidArgument);

        let mut vault = internal::vault_service_client::VaultServiceClient::new(channel);
        let status = vault
            .get_connection_secret(with_key(
                &gateway.admin_key,
                internal::GetConnectionSecretRequest::default(),
            ))
            .await
            .expect_err("vault not served by the gateway");
        assert_eq!(status.code(), Code::Unimplemented);
    }
);
