//! Key rotation against PostgreSQL and SQLite: every secret is re-wrapped under the new active key
//! (by `rewrap_all` and by the role's background task), after which the old key can be retired and
//! every secret still opens.

mod common;

use std::time::Duration;

use common::*;
use posture_credentials::store::CredentialStore;
use posture_credentials::{CredentialsSettings, KeyId, KeyMaterial, Keyring, rewrap_all};
use posture_kit::db::test_support::TestDatabase;
use tokio_util::sync::CancellationToken;

const TENANTS: [&str; 3] = [TENANT_A, TENANT_B, TENANT_C];

fn id(value: &str) -> KeyId {
    KeyId::new(value).expect("key id")
}

async fn secret_of(h: &mut Harness, tenant: &str) -> Result<String, tonic::Status> {
    let response = h.vault.get_connection_secret(vault_request(tenant)).await?;
    Ok(secret_value(response.into_inner().credential))
}

fn with_keyring(keyring: Keyring) -> Options {
    Options {
        keyring,
        ..Default::default()
    }
}

/// Connects every tenant under `keyring`, then stops the role: the rows stay sealed with its keys.
async fn connect_every_tenant(db: TestDatabase, keyring: Keyring) -> (CredentialStore, TestDatabase) {
    let mut h = Harness::start_with(db, with_keyring(keyring)).await;
    for tenant in TENANTS {
        h.create(tenant, SECRET).await;
    }
    let store = h.role.store().clone();
    (store, h.stop_and_keep_database().await)
}

posture_kit::db_test!(
    key_rotation_rewraps_every_row_and_the_old_key_can_then_be_retired,
    |db: TestDatabase| async move {
        let old_key = KeyMaterial::generate();
        let ring = Keyring::new([(id("k1"), old_key.clone())], id("k1")).expect("keyring");
        let (store, db) = connect_every_tenant(db, ring.clone()).await;

        let mut rotated = ring.clone();
        rotated.rotate_to(id("k2"), KeyMaterial::generate());
        // Batches of two walk three rows in two batches.
        let report = rewrap_all(&store, &rotated, 2, &CancellationToken::new())
            .await
            .expect("rewrap");
        assert_eq!(report.rewrapped, 3);
        assert!(report.is_complete());
        assert_eq!(
            store.secrets_per_key().await.expect("count"),
            vec![("k2".to_owned(), 3)]
        );
        let again = rewrap_all(&store, &rotated, 2, &CancellationToken::new())
            .await
            .expect("second pass");
        assert_eq!(again.rewrapped, 0, "nothing left for a second pass");

        rotated.retire(&id("k1")).expect("old key retired");
        let mut h = Harness::start_with(db, with_keyring(rotated)).await;
        for tenant in TENANTS {
            assert_eq!(
                secret_of(&mut h, tenant)
                    .await
                    .expect("opens without the old key"),
                SECRET
            );
        }
        h.stop().await;
    }
);

posture_kit::db_test!(
    background_rotation_rewraps_rows_sealed_with_an_old_key,
    |db: TestDatabase| async move {
        let ring = keyring(&["k1"]);
        let (_, db) = connect_every_tenant(db, ring.clone()).await;

        let mut rotated = ring;
        rotated.rotate_to(id("k2"), KeyMaterial::generate());
        let settings = CredentialsSettings {
            rewrap_batch_size: 1,
            rewrap_interval: Duration::from_millis(50),
            ..Default::default()
        };
        let mut h = Harness::start_with(
            db,
            Options {
                settings,
                ..with_keyring(rotated)
            },
        )
        .await;
        let store = h.role.store().clone();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while store.secrets_per_key().await.expect("count") != vec![("k2".to_owned(), 3)] {
            assert!(tokio::time::Instant::now() < deadline, "rotation did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for tenant in TENANTS {
            assert_eq!(secret_of(&mut h, tenant).await.expect("open"), SECRET);
        }
        h.stop().await;
    }
);
