//! API key administration through the gateway, on PostgreSQL and SQLite: create returns the key
//! once and it works, list shows metadata only and pages, revoke stops the key; only a hash is
//! stored; the bootstrap creates the first admin key once.

mod support;

use posture_gateway::{AccessRole, TenantScope, bootstrap_admin_key};
use posture_kit::db::Db;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1;
use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::Row;
use support::{Backend, TENANT_A, TENANT_B, TestGateway, only, serve_backend, with_key};
use tonic::Code;

fn create(name: &str, role: v1::Role, scope: v1::TenantScope) -> v1::CreateApiKeyRequest {
    v1::CreateApiKeyRequest {
        display_name: name.into(),
        role: role as i32,
        scope: Some(scope),
        expires_at: None,
    }
}

fn scope_of(tenants: &[&str]) -> v1::TenantScope {
    v1::TenantScope {
        all_tenants: false,
        tenant_ids: tenants.iter().map(|t| t.to_string()).collect(),
    }
}

/// Everything the gateway's tables hold, as text and bytes, to search for leaked keys.
async fn dump_gateway_storage(db: &TestDatabase, pool: &Db) -> Vec<u8> {
    match pool {
        Db::Postgres(pool) => {
            let rows = sqlx::query("SELECT t::text FROM api_keys t")
                .fetch_all(pool)
                .await
                .expect("dump api_keys");
            rows.iter()
                .flat_map(|row| row.get::<String, _>(0).into_bytes())
                .collect()
        }
        Db::Sqlite(_) => {
            // The whole database directory: main file, WAL and anything else SQLite wrote.
            let dir = db
                .url()
                .trim_start_matches("sqlite://")
                .rsplit_once('/')
                .map(|(dir, _)| dir.to_owned())
                .expect("sqlite url has a directory");
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(dir).expect("read db dir").flatten() {
                bytes.extend(std::fs::read(entry.path()).unwrap_or_default());
            }
            bytes
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

posture_kit::db_test!(
    api_keys_round_trip_create_list_revoke,
    |db: TestDatabase| async move {
        let backend = Backend::default();
        backend.add_connection(TENANT_A, "Contoso");
        let served = serve_backend(&backend).await;
        let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
        let channel = gateway.channel().await;
        let mut keys = ApiKeyServiceClient::new(channel.clone());
        let admin = gateway.admin_key.clone();

        let created = keys
            .create_api_key(with_key(
                &admin,
                create("ci pipeline", v1::Role::Viewer, scope_of(&[TENANT_A])),
            ))
            .await
            .expect("create")
            .into_inner();
        let metadata = created.api_key.clone().expect("metadata");
        assert!(created.key.starts_with(&metadata.key_prefix));
        assert_eq!(metadata.created_by, "admin");
        assert_eq!(metadata.role, v1::Role::Viewer as i32);
        assert!(
            !format!("{created:?}").contains(&created.key),
            "Debug redacts the key"
        );

        // The new key works, within its role and scope.
        let mut connections = TenantConnectionServiceClient::new(channel);
        connections
            .get_connection(with_key(
                &created.key,
                v1::GetConnectionRequest {
                    tenant_id: TENANT_A.into(),
                },
            ))
            .await
            .expect("new key works");

        let duplicate = keys
            .create_api_key(with_key(
                &admin,
                create("ci pipeline", v1::Role::Viewer, scope_of(&[TENANT_A])),
            ))
            .await
            .expect_err("same name");
        assert_eq!(duplicate.code(), Code::AlreadyExists);

        let listed = keys
            .list_api_keys(with_key(&admin, v1::ListApiKeysRequest::default()))
            .await
            .expect("list")
            .into_inner();
        let names: Vec<_> = listed.api_keys.iter().map(|k| k.display_name.as_str()).collect();
        assert_eq!(names, ["ci pipeline", "admin"], "newest first");
        let listed_key = listed.api_keys[0].clone();
        assert_eq!(listed_key.scope, metadata.scope);
        assert_eq!(listed_key.created_at, metadata.created_at);
        assert!(listed_key.last_used_at.is_some(), "use was recorded");

        let revoked = keys
            .revoke_api_key(with_key(
                &admin,
                v1::RevokeApiKeyRequest {
                    api_key_id: metadata.api_key_id.clone(),
                },
            ))
            .await
            .expect("revoke")
            .into_inner();
        assert!(revoked.api_key.and_then(|k| k.revoked_at).is_some());
        let status = connections
            .get_connection(with_key(
                &created.key,
                v1::GetConnectionRequest {
                    tenant_id: TENANT_A.into(),
                },
            ))
            .await
            .expect_err("revoked");
        assert_eq!(status.code(), Code::Unauthenticated);

        let active = keys
            .list_api_keys(with_key(&admin, v1::ListApiKeysRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(active.api_keys.len(), 1, "revoked keys are hidden by default");
        let all = keys
            .list_api_keys(with_key(
                &admin,
                v1::ListApiKeysRequest {
                    include_revoked: true,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(all.api_keys.len(), 2);

        // A revoked key's name is free again.
        keys.create_api_key(with_key(
            &admin,
            create("ci pipeline", v1::Role::Viewer, scope_of(&[TENANT_A])),
        ))
        .await
        .expect("name reusable after revocation");
    }
);

posture_kit::db_test!(
    api_keys_are_stored_only_as_hashes,
    |db: TestDatabase| async move {
        let gateway = TestGateway::start(db, posture_gateway::Upstreams::none()).await;
        let mut keys = ApiKeyServiceClient::new(gateway.channel().await);
        let created = keys
            .create_api_key(with_key(
                &gateway.admin_key,
                create(
                    "reporting",
                    v1::Role::Operator,
                    v1::TenantScope {
                        all_tenants: true,
                        tenant_ids: vec![],
                    },
                ),
            ))
            .await
            .expect("create")
            .into_inner();
        let pool = gateway
            .db
            .connect(posture_gateway::SCHEMA)
            .await
            .expect("connect");
        let storage = dump_gateway_storage(&gateway.db, &pool).await;
        assert!(!storage.is_empty());
        for key in [&created.key, &gateway.admin_key] {
            // `pst_<id>_<secret>`: the secret is base64url and may itself hold '_', so it is
            // everything after the second separator (a split at the last '_' could leave a
            // one-letter "secret" that any dump contains).
            let secret = key.splitn(3, '_').nth(2).expect("key has a secret part");
            assert_eq!(secret.len(), 43, "{key}");
            assert!(!contains(&storage, key), "plaintext key stored");
            assert!(!contains(&storage, secret), "secret part stored");
        }
        let id: uuid::Uuid = created
            .api_key
            .map(|k| k.api_key_id)
            .expect("metadata")
            .parse()
            .expect("uuid");
        let stored_hash: Vec<u8> = match &pool {
            Db::Postgres(pool) => sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE api_key_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .expect("hash"),
            Db::Sqlite(pool) => sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE api_key_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .expect("hash"),
        };
        assert_eq!(stored_hash, Sha256::digest(created.key.as_bytes()).to_vec());
    }
);

posture_kit::db_test!(
    bootstrap_creates_the_first_admin_key_once,
    |db: TestDatabase| async move {
        let pool = db.connect(posture_gateway::SCHEMA).await.expect("connect");
        let first = bootstrap_admin_key(&pool, false).await.expect("first bootstrap");
        assert_eq!(first.record.role, AccessRole::Admin);
        assert_eq!(first.record.scope, TenantScope::AllTenants);
        assert!(!format!("{first:?}").contains(first.key.expose_secret()));
        let refused = bootstrap_admin_key(&pool, false).await.expect_err("admin exists");
        assert!(refused.to_string().contains("--force"), "{refused}");
        let forced = bootstrap_admin_key(&pool, true).await.expect("forced bootstrap");
        assert_ne!(forced.record.display_name, first.record.display_name);

        // The bootstrapped key administers keys through the gateway.
        let gateway = TestGateway::start(db, posture_gateway::Upstreams::none()).await;
        let mut keys = ApiKeyServiceClient::new(gateway.channel().await);
        let listed = keys
            .list_api_keys(with_key(
                first.key.expose_secret(),
                v1::ListApiKeysRequest::default(),
            ))
            .await
            .expect("bootstrap key is an admin")
            .into_inner();
        assert_eq!(listed.api_keys.len(), 3);
    }
);

#[tokio::test]
async fn a_scoped_admin_hands_out_and_sees_only_keys_within_its_scope() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, posture_gateway::Upstreams::none()).await;
    let scoped_admin = gateway
        .key("tenant a admin", AccessRole::Admin, only(TENANT_A))
        .await;
    let mut keys = ApiKeyServiceClient::new(gateway.channel().await);

    let everything = v1::TenantScope {
        all_tenants: true,
        tenant_ids: vec![],
    };
    for scope in [everything, scope_of(&[TENANT_A, TENANT_B])] {
        let status = keys
            .create_api_key(with_key(&scoped_admin, create("wider", v1::Role::Viewer, scope)))
            .await
            .expect_err("wider scope");
        assert_eq!(status.code(), Code::PermissionDenied);
    }
    keys.create_api_key(with_key(
        &scoped_admin,
        create("narrow", v1::Role::Viewer, scope_of(&[TENANT_A])),
    ))
    .await
    .expect("same scope");
    let seen = keys
        .list_api_keys(with_key(&scoped_admin, v1::ListApiKeysRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let mut names: Vec<_> = seen.api_keys.iter().map(|k| k.display_name.clone()).collect();
    names.sort();
    assert_eq!(names, ["narrow", "tenant a admin"]);

    let admin_id = gateway
        .role
        .store()
        .list(false, chrono::Utc::now(), None, 10)
        .await
        .expect("list")
        .into_iter()
        .find(|record| record.display_name == "admin")
        .map(|record| record.id.to_string())
        .expect("admin key");
    let status = keys
        .revoke_api_key(with_key(
            &scoped_admin,
            v1::RevokeApiKeyRequest { api_key_id: admin_id },
        ))
        .await
        .expect_err("outside scope");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn api_key_lists_page_newest_first_and_refuse_foreign_tokens() {
    let db = TestDatabase::sqlite().expect("sqlite");
    let gateway = TestGateway::start(db, posture_gateway::Upstreams::none()).await;
    for n in 0..5 {
        gateway
            .key(&format!("key {n}"), AccessRole::Viewer, TenantScope::AllTenants)
            .await;
    }
    let mut keys = ApiKeyServiceClient::new(gateway.channel().await);
    let mut names = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = keys
            .list_api_keys(with_key(
                &gateway.admin_key,
                v1::ListApiKeysRequest {
                    page_size: 2,
                    page_token,
                    include_revoked: false,
                },
            ))
            .await
            .expect("page")
            .into_inner();
        assert!(page.api_keys.len() <= 2);
        names.extend(page.api_keys.into_iter().map(|k| k.display_name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(names, ["key 4", "key 3", "key 2", "key 1", "key 0", "admin"]);

    let status = keys
        .list_api_keys(with_key(
            &gateway.admin_key,
            v1::ListApiKeysRequest {
                page_token: "garbage".into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("foreign token");
    assert_eq!(status.code(), Code::InvalidArgument);
}

posture_kit::db_test!(
    an_expiry_outside_the_protobuf_range_is_refused_not_stored,
    |db: TestDatabase| async move {
        let gateway = TestGateway::start(db, posture_gateway::Upstreams::none()).await;
        let mut keys = ApiKeyServiceClient::new(gateway.channel().await);
        // 10000-01-01T00:00:00Z: past google.protobuf.Timestamp's range, and on SQLite a date
        // that would sort before every four-digit year as text.
        let mut request = create(
            "far future",
            v1::Role::Admin,
            v1::TenantScope {
                all_tenants: true,
                tenant_ids: vec![],
            },
        );
        request.expires_at = Some(prost_types::Timestamp {
            seconds: 253_402_300_800,
            nanos: 0,
        });
        let status = keys
            .create_api_key(with_key(&gateway.admin_key, request))
            .await
            .expect_err("year 10000");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains("expires_at"), "{}", status.message());
        let listed = keys
            .list_api_keys(with_key(&gateway.admin_key, v1::ListApiKeysRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(
            listed.api_keys.iter().all(|k| k.display_name != "far future"),
            "nothing was stored"
        );
    }
);
