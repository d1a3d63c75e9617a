//! The store on its own, against PostgreSQL and SQLite: the database's own unique constraint is
//! mapped to AlreadyExists (what a concurrent create that passed the existence check runs into),
//! a change that fails leaves no event staged, and migrations can run again on every start.

mod common;

use common::*;
use posture_credentials::domain::{AuthMethod, Cloud};
use posture_credentials::store::{CredentialStore, NewConnection, SecretMetadata, StoreError};
use posture_credentials::{SecretBinding, SecretKind, seal};
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::{ConnectionId, TenantId};

fn tenant_a() -> TenantId {
    tenant(TENANT_A)
}

fn new_connection(ring: &posture_credentials::Keyring, connection_id: &str) -> NewConnection {
    let connection_id: ConnectionId = connection_id.parse().expect("connection id");
    let binding = SecretBinding {
        tenant_id: tenant_a(),
        connection_id,
        kind: SecretKind::ClientSecret,
    };
    NewConnection {
        tenant_id: tenant_a(),
        connection_id,
        display_name: "Contoso".to_owned(),
        client_id: CLIENT_ID.to_owned(),
        cloud: Cloud::Global,
        endpoints: None,
        secret: SecretMetadata {
            auth_method: AuthMethod::ClientSecret,
            saved_by: ADMIN.to_owned(),
            saved_at: start_time(),
            expires_at: start_time() + chrono::Duration::days(30),
            certificate_thumbprint: None,
            certificate_subject: None,
            certificate_pem: None,
        },
        kind: SecretKind::ClientSecret,
        sealed: seal(ring, binding, SECRET.as_bytes()).expect("seal"),
        created_by: ADMIN.to_owned(),
        tags: Vec::new(),
        now: start_time(),
    }
}

/// Events staged in the outbox and not yet relayed (no relay runs in these tests).
async fn staged_events(store: &CredentialStore) -> i64 {
    posture_kit::on_backend!(store.db(), |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(pool)
            .await
            .expect("count staged events")
    })
}

posture_kit::db_test!(
    unique_violation_maps_to_already_exists_and_leaves_nothing_half_written,
    |db: TestDatabase| async move {
        let store = CredentialStore::new(db.connect("credentials").await.expect("connect"));
        store.migrate().await.expect("migrate");
        store.migrate().await.expect("migrations are idempotent");
        let ring = keyring(&["k1"]);
        let first = store
            .create_connection(&new_connection(&ring, "11111111-2222-4333-8444-555555555555"))
            .await
            .expect("first create");
        assert_eq!(staged_events(&store).await, 1, "the creation is staged with it");
        let second = store
            .create_connection(&new_connection(&ring, "99999999-2222-4333-8444-555555555555"))
            .await
            .expect_err("same tenant again");
        assert!(
            matches!(&second, StoreError::AlreadyExists { id, .. } if id == TENANT_A),
            "{second}"
        );
        assert_eq!(
            staged_events(&store).await,
            1,
            "the failed create staged no event"
        );
        // The first connection and its secret are intact.
        let stored = store
            .connection(&tenant_a())
            .await
            .expect("read")
            .expect("connection");
        assert_eq!(stored, first);
        let sealed = store
            .sealed_secret(&tenant_a())
            .await
            .expect("read")
            .expect("sealed");
        assert_eq!(
            sealed.connection_id.to_string(),
            "11111111-2222-4333-8444-555555555555"
        );
        assert_eq!(
            store.secrets_per_key().await.expect("count"),
            vec![("k1".to_owned(), 1)]
        );
    }
);
