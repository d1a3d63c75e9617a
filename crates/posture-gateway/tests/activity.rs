//! The activity log over real gRPC, in front of the real credentials role, on PostgreSQL and
//! SQLite: one record per mutating call (success or failure) with its principal, tenants, rpc,
//! status and trace id, none for reads; what admins and tenant-scoped keys see; secret reads
//! merged by time with calls and paged across both; retention pruning; and a record that cannot be
//! written not failing the call.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use posture_credentials::CredentialStore;
use posture_credentials::domain::AccessPurpose;
use posture_credentials::store::AccessRecord;
use posture_gateway::{AccessRole, ActivitySettings, TenantScope};
use posture_kit::ServiceRole;
use posture_kit::clock::{Clock, ManualClock};
use posture_kit::db::Db;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::ConnectionId;
use posture_proto::v1;
use posture_proto::v1::activity_service_client::ActivityServiceClient;
use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use support::{Served, TENANT_A, TENANT_B, TestGateway, credentials_role, grpc_config, only, with_key};
use tonic::Code;
use tonic::transport::Channel;

const CLIENT_ID: &str = "0b7e4f2a-1111-4222-8333-444455556666";

/// A gateway in front of the real credentials role, and the credentials role's own database.
struct World {
    gateway: TestGateway,
    credentials_db: TestDatabase,
    _credentials: Served,
}

impl World {
    async fn start(db: TestDatabase) -> Self {
        Self::start_with(
            db,
            Arc::new(posture_kit::clock::SystemClock),
            ActivitySettings::default(),
        )
        .await
    }

    async fn start_with(db: TestDatabase, clock: Arc<dyn Clock>, activity: ActivitySettings) -> Self {
        let credentials_db = TestDatabase::new(db.backend())
            .await
            .expect("credentials database");
        let credentials = credentials_role(&credentials_db).await;
        let upstreams = posture_gateway::Upstreams::none()
            .with_address(ServiceRole::Credentials, &credentials.address, &grpc_config())
            .expect("address");
        let gateway = TestGateway::start_full(
            db,
            upstreams,
            grpc_config(),
            Duration::from_secs(2),
            clock,
            activity,
        )
        .await;
        World {
            gateway,
            credentials_db,
            _credentials: credentials,
        }
    }

    async fn channel(&self) -> Channel {
        self.gateway.channel().await
    }

    async fn gateway_db(&self) -> Db {
        self.gateway
            .db
            .connect(posture_gateway::SCHEMA)
            .await
            .expect("gateway schema")
    }
}

fn create(tenant_id: &str) -> v1::CreateConnectionRequest {
    let expires = Utc::now() + chrono::Duration::days(180);
    v1::CreateConnectionRequest {
        tenant_id: tenant_id.into(),
        display_name: format!("tenant {}", &tenant_id[..8]),
        tags: Vec::new(),
        client_id: CLIENT_ID.into(),
        cloud: v1::Cloud::Global as i32,
        endpoints: None,
        credential: Some(v1::Credential {
            kind: Some(v1::credential::Kind::ClientSecret(v1::ClientSecretCredential {
                secret_value: "Qz7~activity-secret-0123456789".into(),
                expires_at: Some(prost_types::Timestamp {
                    seconds: expires.timestamp(),
                    nanos: 0,
                }),
            })),
        }),
    }
}

/// A request with `key` and a `traceparent` naming `trace_id`.
fn traced<T>(key: &str, trace_id: &str, message: T) -> tonic::Request<T> {
    let mut request = with_key(key, message);
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-00f067aa0ba902b7-01")
            .parse()
            .expect("ascii"),
    );
    request
}

/// Every entry `key` sees with `filter`, following pages of `page_size`.
async fn all_activity(
    channel: &Channel,
    key: &str,
    filter: v1::ListActivityRequest,
    page_size: i32,
) -> Result<Vec<v1::Activity>, tonic::Status> {
    let mut client = ActivityServiceClient::new(channel.clone());
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_activity(with_key(
                key,
                v1::ListActivityRequest {
                    page_size,
                    page_token,
                    ..filter.clone()
                },
            ))
            .await?
            .into_inner();
        assert!(page.activities.len() <= page_size as usize);
        all.extend(page.activities);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

fn calls(entries: &[v1::Activity]) -> Vec<&v1::Activity> {
    entries
        .iter()
        .filter(|a| a.kind == v1::ActivityKind::Call as i32)
        .collect()
}

fn with_trace<'a>(entries: &'a [v1::Activity], trace_id: &str) -> Vec<&'a v1::Activity> {
    entries.iter().filter(|a| a.trace_id == trace_id).collect()
}

posture_kit::db_test!(
    every_mutating_call_is_recorded_once_with_principal_tenant_rpc_result_and_trace_id,
    |db: TestDatabase| async move {
        let world = World::start(db).await;
        let channel = world.channel().await;
        let admin = world.gateway.admin_key.clone();
        let mut connections = TenantConnectionServiceClient::new(channel.clone());

        let created = "4bf92f3577b34da6a3ce929d0e0e4736";
        connections
            .create_connection(traced(&admin, created, create(TENANT_A)))
            .await
            .expect("created");
        // A read is not recorded.
        let read = "11111111111111111111111111111111";
        connections
            .get_connection(traced(
                &admin,
                read,
                v1::GetConnectionRequest {
                    tenant_id: TENANT_A.into(),
                },
            ))
            .await
            .expect("read");
        // Failures are recorded with their code: the backend's, the edge's and the scope's.
        let duplicate = "22222222222222222222222222222222";
        let status = connections
            .create_connection(traced(&admin, duplicate, create(TENANT_A)))
            .await
            .expect_err("already connected");
        assert_eq!(status.code(), Code::AlreadyExists);
        let malformed = "33333333333333333333333333333333";
        let status = connections
            .delete_connection(traced(
                &admin,
                malformed,
                v1::DeleteConnectionRequest {
                    tenant_id: "contoso.onmicrosoft.com".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("not a GUID");
        assert_eq!(status.code(), Code::InvalidArgument);
        let operator_a = world
            .gateway
            .key("operator a", AccessRole::Operator, only(TENANT_A))
            .await;
        let outside = "44444444444444444444444444444444";
        let status = connections
            .test_connection(traced(
                &operator_a,
                outside,
                v1::TestConnectionRequest {
                    tenant_id: TENANT_B.into(),
                },
            ))
            .await
            .expect_err("outside the scope");
        assert_eq!(status.code(), Code::PermissionDenied);

        let entries = all_activity(&channel, &admin, v1::ListActivityRequest::default(), 100)
            .await
            .expect("admin lists");
        assert!(with_trace(&entries, read).is_empty(), "reads are not recorded");
        let expect = |trace: &str, rpc: &str, code: Code, key: &str, tenants: &[&str]| {
            let found = with_trace(&entries, trace);
            assert_eq!(found.len(), 1, "{rpc}: one record, got {found:#?}");
            let entry = found[0];
            assert_eq!(entry.kind, v1::ActivityKind::Call as i32);
            assert_eq!(entry.rpc, format!("posture.v1.TenantConnectionService/{rpc}"));
            assert_eq!(entry.status_code, code as i32, "{rpc}");
            assert_eq!(entry.tenant_ids, tenants, "{rpc}");
            let principal = entry.principal.clone().expect("principal");
            assert_eq!(principal.api_key_name, key, "{rpc}");
            assert!(!principal.api_key_id.is_empty());
            assert!(entry.occurred_at.is_some());
            entry.clone()
        };
        let first = expect(created, "CreateConnection", Code::Ok, "admin", &[TENANT_A]);
        assert_eq!(
            first.principal.as_ref().map(|p| p.role),
            Some(v1::Role::Admin as i32)
        );
        expect(
            duplicate,
            "CreateConnection",
            Code::AlreadyExists,
            "admin",
            &[TENANT_A],
        );
        expect(malformed, "DeleteConnection", Code::InvalidArgument, "admin", &[]);
        let refused = expect(
            outside,
            "TestConnection",
            Code::PermissionDenied,
            "operator a",
            &[TENANT_B],
        );
        assert_eq!(refused.principal.map(|p| p.role), Some(v1::Role::Operator as i32));
        assert_eq!(calls(&entries).len(), 4, "{entries:#?}");

        // The filters: failed calls, by key, by rpc.
        let failed = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                result: v1::ActivityResult::Failed as i32,
                ..Default::default()
            },
            100,
        )
        .await
        .expect("failed calls");
        assert_eq!(failed.len(), 3);
        assert!(failed.iter().all(|a| a.status_code != 0));
        let by_key = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                api_key_id: refused_key_id(&entries, outside),
                ..Default::default()
            },
            100,
        )
        .await
        .expect("by key");
        assert_eq!(by_key.len(), 1);
        let by_rpc = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                rpc: "/posture.v1.TenantConnectionService/CreateConnection".into(),
                ..Default::default()
            },
            100,
        )
        .await
        .expect("by rpc");
        assert_eq!(by_rpc.len(), 2);
        let status = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                rpc: "CreateConnection".into(),
                ..Default::default()
            },
            100,
        )
        .await
        .expect_err("not a full rpc name");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(world.gateway.role.activity_recorder().failed_writes(), 0);
    }
);

fn refused_key_id(entries: &[v1::Activity], trace: &str) -> String {
    with_trace(entries, trace)
        .first()
        .and_then(|a| a.principal.as_ref())
        .map(|p| p.api_key_id.clone())
        .unwrap_or_default()
}

posture_kit::db_test!(
    an_admin_sees_everything_and_a_scoped_key_only_its_tenants,
    |db: TestDatabase| async move {
        let world = World::start(db).await;
        let channel = world.channel().await;
        let admin = world.gateway.admin_key.clone();
        let mut connections = TenantConnectionServiceClient::new(channel.clone());
        for tenant in [TENANT_A, TENANT_B] {
            connections
                .create_connection(with_key(&admin, create(tenant)))
                .await
                .expect("created");
        }
        let mut keys = ApiKeyServiceClient::new(channel.clone());
        keys.create_api_key(with_key(
            &admin,
            v1::CreateApiKeyRequest {
                display_name: "everywhere".into(),
                role: v1::Role::Viewer as i32,
                scope: Some(TenantScope::AllTenants.to_proto()),
                expires_at: None,
            },
        ))
        .await
        .expect("key created");

        let everything = all_activity(&channel, &admin, v1::ListActivityRequest::default(), 100)
            .await
            .expect("admin");
        let rpcs: BTreeSet<&str> = everything.iter().map(|a| a.rpc.as_str()).collect();
        assert!(rpcs.contains("posture.v1.ApiKeyService/CreateApiKey"), "{rpcs:?}");
        assert_eq!(calls(&everything).len(), 3);

        let viewer_a = world
            .gateway
            .key("viewer a", AccessRole::Viewer, only(TENANT_A))
            .await;
        let seen = all_activity(&channel, &viewer_a, v1::ListActivityRequest::default(), 100)
            .await
            .expect("scoped viewer");
        assert_eq!(seen.len(), 1, "{seen:#?}");
        assert_eq!(seen[0].tenant_ids, [TENANT_A]);
        let status = all_activity(
            &channel,
            &viewer_a,
            v1::ListActivityRequest {
                tenant_id: TENANT_B.into(),
                ..Default::default()
            },
            100,
        )
        .await
        .expect_err("tenant outside the scope");
        assert_eq!(status.code(), Code::PermissionDenied);

        // An all-tenants viewer sees every tenant's entries, not API key administration.
        let viewer_all = world
            .gateway
            .key("viewer all", AccessRole::Viewer, TenantScope::AllTenants)
            .await;
        let seen = all_activity(&channel, &viewer_all, v1::ListActivityRequest::default(), 100)
            .await
            .expect("all-tenants viewer");
        let tenants: BTreeSet<String> = seen.iter().flat_map(|a| a.tenant_ids.clone()).collect();
        assert_eq!(tenants, [TENANT_A, TENANT_B].map(String::from).into());
        assert!(
            seen.iter()
                .all(|a| !a.rpc.starts_with("posture.v1.ApiKeyService"))
        );
        assert_eq!(seen.len(), 2);

        // Without a key, nothing.
        let mut anonymous = ActivityServiceClient::new(channel);
        let status = anonymous
            .list_activity(v1::ListActivityRequest::default())
            .await
            .expect_err("no key");
        assert_eq!(status.code(), Code::Unauthenticated);
    }
);

posture_kit::db_test!(
    secret_reads_merge_with_calls_by_time_and_page_across_both,
    |db: TestDatabase| async move {
        let world = World::start(db).await;
        let channel = world.channel().await;
        let admin = world.gateway.admin_key.clone();
        let mut connections = TenantConnectionServiceClient::new(channel.clone());
        let vault_log = CredentialStore::new(
            world
                .credentials_db
                .connect("credentials")
                .await
                .expect("credentials schema"),
        );
        // Calls and secret reads interleaved in time, some reads at one instant.
        let mut reads = 0;
        for round in 0..3 {
            for tenant in [TENANT_A, TENANT_B] {
                let _ = connections
                    .test_connection(with_key(
                        &admin,
                        v1::TestConnectionRequest {
                            tenant_id: tenant.into(),
                        },
                    ))
                    .await;
                let at = posture_kit::time::from_micros(posture_kit::time::micros(Utc::now()));
                for _ in 0..=round {
                    vault_log
                        .append_access(&AccessRecord {
                            tenant_id: tenant.parse().expect("guid"),
                            connection_id: ConnectionId::new_random(),
                            caller: "tokens".into(),
                            purpose: AccessPurpose::TokenRequest,
                            credential_version: 1,
                            trace_id: String::new(),
                            accessed_at: at,
                        })
                        .await
                        .expect("access recorded");
                    reads += 1;
                }
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }

        let whole = all_activity(&channel, &admin, v1::ListActivityRequest::default(), 1000)
            .await
            .expect("one page");
        assert_eq!(whole.len(), 6 + reads, "{whole:#?}");
        for page_size in [1, 2, 3, 5] {
            let paged = all_activity(&channel, &admin, v1::ListActivityRequest::default(), page_size)
                .await
                .expect("paged");
            let ids =
                |entries: &[v1::Activity]| entries.iter().map(|a| a.activity_id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&paged), ids(&whole), "pages of {page_size}");
        }
        let times: Vec<_> = whole
            .iter()
            .map(|a| {
                let at = a.occurred_at.expect("time");
                (at.seconds, at.nanos)
            })
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
        let read = whole
            .iter()
            .find(|a| a.kind == v1::ActivityKind::SecretRead as i32)
            .expect("a secret read");
        assert_eq!(
            read.principal.as_ref().map(|p| p.service_role.as_str()),
            Some("tokens")
        );
        assert_eq!(
            read.read_purpose,
            v1::CredentialAccessPurpose::TokenRequest as i32
        );

        // A tenant-scoped key sees its tenant's secret reads only; kind filters split the sources.
        let viewer_b = world
            .gateway
            .key("viewer b", AccessRole::Viewer, only(TENANT_B))
            .await;
        let seen = all_activity(&channel, &viewer_b, v1::ListActivityRequest::default(), 2)
            .await
            .expect("scoped");
        assert_eq!(seen.len(), 3 + reads / 2);
        assert!(seen.iter().all(|a| a.tenant_ids == [TENANT_B]));
        let only_reads = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                kind: v1::ActivityKind::SecretRead as i32,
                ..Default::default()
            },
            4,
        )
        .await
        .expect("reads");
        assert_eq!(only_reads.len(), reads);
        let failed = all_activity(
            &channel,
            &admin,
            v1::ListActivityRequest {
                result: v1::ActivityResult::Failed as i32,
                ..Default::default()
            },
            4,
        )
        .await
        .expect("failed");
        assert!(failed.iter().all(|a| a.kind == v1::ActivityKind::Call as i32));

        // A token only resumes the listing it was issued for.
        let mut client = ActivityServiceClient::new(channel);
        let first = client
            .list_activity(with_key(
                &admin,
                v1::ListActivityRequest {
                    page_size: 1,
                    ..Default::default()
                },
            ))
            .await
            .expect("first page")
            .into_inner();
        let status = client
            .list_activity(with_key(
                &admin,
                v1::ListActivityRequest {
                    page_size: 1,
                    page_token: first.next_page_token,
                    kind: v1::ActivityKind::Call as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("other filters");
        assert_eq!(status.code(), Code::InvalidArgument);
    }
);

async fn stored_calls(db: &Db) -> i64 {
    posture_kit::on_backend!(db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM activity_log")
            .fetch_one(pool)
            .await
            .expect("count")
    })
}

posture_kit::db_test!(
    entries_older_than_the_retention_are_pruned,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(Utc::now());
        let settings = ActivitySettings {
            retention: chrono::Duration::days(30),
            prune_every: Duration::from_millis(50),
        };
        let world = World::start_with(db, Arc::new(clock.clone()), settings).await;
        let channel = world.channel().await;
        let admin = world.gateway.admin_key.clone();
        let mut connections = TenantConnectionServiceClient::new(channel.clone());
        connections
            .create_connection(with_key(&admin, create(TENANT_A)))
            .await
            .expect("created");
        let gateway_db = world.gateway_db().await;
        assert_eq!(stored_calls(&gateway_db).await, 1);

        clock.advance(chrono::Duration::days(29));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(stored_calls(&gateway_db).await, 1, "still within the retention");

        clock.advance(chrono::Duration::days(2));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while stored_calls(&gateway_db).await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "not pruned");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        connections
            .create_connection(with_key(&admin, create(TENANT_B)))
            .await
            .expect("created");
        let seen = all_activity(&channel, &admin, v1::ListActivityRequest::default(), 10)
            .await
            .expect("list");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].tenant_ids, [TENANT_B]);
    }
);

posture_kit::db_test!(
    a_record_that_cannot_be_written_is_counted_and_does_not_fail_the_call,
    |db: TestDatabase| async move {
        let world = World::start(db).await;
        let channel = world.channel().await;
        let admin = world.gateway.admin_key.clone();
        let gateway_db = world.gateway_db().await;
        posture_kit::on_backend!(&gateway_db, |pool| {
            sqlx::query("ALTER TABLE activity_log_tenants RENAME TO activity_log_tenants_gone")
                .execute(pool)
                .await
                .expect("table renamed");
        });
        let mut connections = TenantConnectionServiceClient::new(channel);
        connections
            .create_connection(with_key(&admin, create(TENANT_A)))
            .await
            .expect("the call succeeds without its record");
        assert_eq!(world.gateway.role.activity_recorder().failed_writes(), 1);
        assert_eq!(stored_calls(&gateway_db).await, 0, "nothing half-written");
    }
);
