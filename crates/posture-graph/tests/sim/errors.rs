//! Permission and licence errors: classified, named, never retried.

use posture_graph::{EntityKind, GraphError, HealthClass, Licence, entity_pages, models};
use posture_graph_sim::{Licences, TenantSpec};

use crate::common::{collect, rig};

#[tokio::test]
async fn missing_permission_names_it_and_is_not_retried() {
    let spec = TenantSpec {
        permissions: Some(vec!["Policy.Read.All".into()]),
        ..Default::default()
    };
    let r = rig(spec).await;
    let client = r.client();
    let err = collect(entity_pages::<models::User>(&client, &EntityKind::Users.spec()).expect("stream"))
        .await
        .expect_err("no User.Read.All");
    match &err {
        GraphError::Permission { needs, ids, .. } => {
            assert_eq!(needs, &vec!["User.Read.All".to_owned()]);
            assert!(ids.request_id.is_some());
        }
        other => panic!("expected a permission error, got {other}"),
    }
    assert_eq!(err.health(), Some(HealthClass::PermissionError));
    assert!(err.to_string().contains("User.Read.All"));
    assert_eq!(r.api_log().len(), 1, "permission errors are never retried");
}

#[tokio::test]
async fn intune_permission_errors_name_the_scope_from_the_service() {
    let spec = TenantSpec {
        permissions: Some(vec!["User.Read.All".into()]),
        ..Default::default()
    };
    let r = rig(spec).await;
    let client = r.client();
    let mut req = EntityKind::DeviceCompliancePolicies
        .spec()
        .request(&client)
        .expect("request");
    req.needs = &[]; // as a caller without the catalog would send it
    let err = client.execute(&req).await.expect_err("no Intune permission");
    match err {
        GraphError::Permission { needs, .. } => {
            assert!(
                needs
                    .iter()
                    .any(|n| n == "DeviceManagementConfiguration.Read.All"),
                "{needs:?}"
            )
        }
        other => panic!("expected a permission error, got {other}"),
    }
}

#[tokio::test]
async fn missing_licences_are_named() {
    let spec = TenantSpec {
        licences: Licences::none(),
        ..Default::default()
    };
    let r = rig(spec).await;
    let client = r.client();
    let cases = [
        (EntityKind::UserRegistrationDetails, Licence::EntraIdP1),
        (EntityKind::UserSignInActivity, Licence::EntraIdP1),
        (EntityKind::RoleEligibilityInstances, Licence::EntraIdP2),
        (EntityKind::ManagedDevices, Licence::Intune),
    ];
    for (kind, want) in cases {
        let err = collect(entity_pages::<serde_json::Value>(&client, &kind.spec()).expect("stream"))
            .await
            .expect_err("unlicensed");
        match &err {
            GraphError::LicenceMissing { licence, .. } => assert_eq!(*licence, want, "{}", kind.name()),
            other => panic!("{}: expected a licence error, got {other}", kind.name()),
        }
        assert_eq!(err.health(), Some(HealthClass::PermissionError));
    }
    // Without Defender the tenant has no Defender resource to issue tokens for.
    let err = client
        .tokens()
        .token(posture_graph::Resource::DefenderForEndpoint)
        .await
        .expect_err("no MDE");
    assert!(
        matches!(
            err,
            GraphError::Authentication {
                aadsts: Some(500011),
                ..
            }
        ),
        "{err}"
    );
}
