//! Tags on connections over the real TenantConnectionService: validated (charset, length,
//! count), lowered, deduplicated and sorted; replaced through UpdateConnection's `tags` path;
//! ListConnections filters by one. PostgreSQL and SQLite.

mod common;

use common::*;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1::{CreateConnectionRequest, ListConnectionsRequest, UpdateConnectionRequest};
use prost_types::FieldMask;
use tonic::Code;

fn tagged(tenant: &str, tags: &[&str]) -> CreateConnectionRequest {
    CreateConnectionRequest {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        ..create_request(tenant, SECRET)
    }
}

async fn listed_with_tag(h: &mut Harness, tag: &str) -> Vec<String> {
    h.connections
        .list_connections(ListConnectionsRequest {
            tag: tag.to_owned(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .connections
        .into_iter()
        .map(|c| c.tenant_id)
        .collect()
}

posture_kit::db_test!(
    tags_are_lowered_deduplicated_sorted_and_kept,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let created = h
            .connections
            .create_connection(as_admin(tagged(TENANT_A, &["Gold", "eu-west", "gold"])))
            .await
            .expect("create")
            .into_inner()
            .connection
            .expect("connection");
        assert_eq!(created.tags, ["eu-west", "gold"]);
        assert_eq!(
            h.connection(TENANT_A).await.expect("get").tags,
            ["eu-west", "gold"]
        );
        h.stop().await;
    }
);

posture_kit::db_test!(
    a_bad_tag_or_too_many_is_invalid_argument,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        let too_many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
        let long = "a".repeat(41);
        for bad in [
            vec!["two words"],
            vec!["-lead"],
            vec!["a,b"],
            vec!["50%"],
            vec![""],
            vec![long.as_str()],
            too_many,
        ] {
            let refused = h
                .connections
                .create_connection(as_admin(tagged(TENANT_A, &bad)))
                .await
                .expect_err("refused");
            assert_eq!(refused.code(), Code::InvalidArgument, "{bad:?}");
            assert!(refused.message().contains("tags"), "{}", refused.message());
        }
        let refused = h
            .connections
            .list_connections(ListConnectionsRequest {
                tag: "not a tag".to_owned(),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument);
        h.stop().await;
    }
);

posture_kit::db_test!(
    listing_by_tag_returns_only_tenants_carrying_it,
    |db: TestDatabase| async move {
        let mut h = Harness::start(db).await;
        for (tenant, tags) in [
            (TENANT_A, vec!["gold"]),
            (TENANT_B, vec!["eu"]),
            (TENANT_C, vec![]),
        ] {
            h.connections
                .create_connection(as_admin(tagged(tenant, &tags)))
                .await
                .expect("create");
        }
        assert_eq!(listed_with_tag(&mut h, "gold").await, [TENANT_A]);
        assert_eq!(listed_with_tag(&mut h, "GOLD").await, [TENANT_A]);
        assert!(
            listed_with_tag(&mut h, "gol").await.is_empty(),
            "a prefix is not the tag"
        );
        assert_eq!(listed_with_tag(&mut h, "").await.len(), 3);

        let mut b = h.connection(TENANT_B).await.expect("get");
        b.tags = vec!["gold".to_owned(), "eu".to_owned()];
        let updated = h
            .connections
            .update_connection(as_admin(UpdateConnectionRequest {
                connection: Some(b),
                update_mask: Some(FieldMask {
                    paths: vec!["tags".to_owned()],
                }),
            }))
            .await
            .expect("retag")
            .into_inner()
            .connection
            .expect("connection");
        assert_eq!(updated.tags, ["eu", "gold"]);
        assert_eq!(listed_with_tag(&mut h, "gold").await, [TENANT_A, TENANT_B]);
        h.stop().await;
    }
);
