//! Exchange Online's admin API through the client: each Exchange kind pages to the simulator's
//! ground truth, and a missing role and a missing consent come back as different errors, in
//! the sync's reads and in the permission probe.

use posture_graph::{
    EntityKind, GraphError, HealthClass, PermissionState, Resource, entity_pages, probe_permissions,
};
use posture_graph_sim::{Mutation, Profile, TenantSpec, ThrottleMode};

use crate::common::{collect, rig};

const EXO_KINDS: &[EntityKind] = &[
    EntityKind::ExoTransportRules,
    EntityKind::ExoRemoteDomains,
    EntityKind::ExoAcceptedDomains,
    EntityKind::ExoOrganizationConfig,
    EntityKind::ExoTransportConfig,
    EntityKind::ExoDkimSigningConfig,
    EntityKind::ExoAntiPhishPolicies,
    EntityKind::ExoHostedContentFilterPolicies,
    EntityKind::ExoOutboundSpamPolicies,
    EntityKind::ExoMalwareFilterPolicies,
    EntityKind::ExoSafeLinksPolicies,
    EntityKind::ExoSafeAttachmentPolicies,
    EntityKind::ExoProtectionPolicyRules,
    EntityKind::ExoAdminAuditLogConfig,
    EntityKind::ExoExternalInOutlook,
    EntityKind::ExoSharedMailboxes,
    EntityKind::ExoSharingPolicies,
    EntityKind::ExoAtpPolicyForO365,
];

fn cmdlet(kind: EntityKind) -> String {
    let path = kind.spec().path;
    path.split('?').next().unwrap_or(path).to_owned()
}

#[tokio::test]
async fn every_exchange_kind_reads_the_cmdlet_output_in_every_profile() {
    for profile in Profile::ALL {
        let r = rig(TenantSpec {
            profile,
            users: 60,
            throttling: ThrottleMode::Off,
            ..Default::default()
        })
        .await;
        let client = r.client();
        for kind in EXO_KINDS {
            let pages = collect(entity_pages::<serde_json::Value>(&client, &kind.spec()).expect("stream"))
                .await
                .unwrap_or_else(|e| panic!("{} in {profile:?}: {e}", kind.name()));
            let got: Vec<serde_json::Value> = pages
                .into_iter()
                .flat_map(|p| p.records)
                .map(|rec| rec.value)
                .collect();
            let truth = r
                .sim
                .ground_truth(&r.tenant_id(), &format!("exo/{}", cmdlet(*kind)))
                .expect("truth");
            assert_eq!(got, truth.objects, "{} in {profile:?}", kind.name());
        }
    }
}

#[tokio::test]
async fn the_cmdlet_runs_as_a_post_with_the_anchor_mailbox_and_pages_with_the_same_body() {
    let r = rig(TenantSpec {
        users: 800,
        throttling: ThrottleMode::Off,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let spec = EntityKind::ExoSharedMailboxes.spec();
    let mut first = spec.request(&client).expect("request");
    // A small page so that the next link is followed; the body is resent as it was.
    first.headers.retain(|(name, _)| name.as_str() != "prefer");
    first = first.header(
        http::HeaderName::from_static("prefer"),
        http::HeaderValue::from_static("odata.maxpagesize=7"),
    );
    let pages = collect(posture_graph::pages::<serde_json::Value>(
        client,
        first,
        spec.paging,
        7,
    ))
    .await
    .expect("pages");
    let truth = r
        .sim
        .ground_truth(&r.tenant_id(), "exo/Get-Mailbox")
        .expect("truth");
    assert_eq!(pages.len(), truth.count.div_ceil(7));
    assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), truth.count);
    let log = r.api_log();
    assert_eq!(log.len(), pages.len());
    assert!(
        log.iter()
            .all(|l| l.method == "POST" && l.status == 200 && l.api == "exo Get-Mailbox")
    );
}

#[tokio::test]
async fn an_app_without_an_exchange_role_gets_a_role_error_naming_the_role() {
    let r = rig(TenantSpec {
        throttling: ThrottleMode::Off,
        ..Default::default()
    })
    .await;
    r.sim
        .mutate(&r.tenant_id(), Mutation::SetExchangeRole { assigned: false })
        .expect("remove the role");
    let client = r.client();
    let err = collect(
        entity_pages::<serde_json::Value>(&client, &EntityKind::ExoTransportConfig.spec()).expect("stream"),
    )
    .await
    .expect_err("refused");
    match &err {
        GraphError::RoleMissing { role, .. } => assert!(role.contains("Global Reader"), "{role}"),
        other => panic!("expected a missing role, got {other:?}"),
    }
    assert_eq!(err.health(), Some(HealthClass::PermissionError));
    // A fresh token would not bring a role: the refusal is not retried with one.
    assert_eq!(r.api_log().len(), 1);

    let report = probe_permissions(&client, &[EntityKind::ExoTransportConfig]).await;
    assert_eq!(report.checks.len(), 1);
    assert!(
        matches!(&report.checks[0].state, PermissionState::RoleMissing(role) if role.contains("Global Reader"))
    );
    assert_eq!(report.health(), Some(HealthClass::PermissionError));
}

#[tokio::test]
async fn a_token_without_manage_as_app_is_a_permission_error_on_the_exchange_api() {
    let r = rig(TenantSpec {
        permissions: Some(vec!["User.Read.All".into()]),
        throttling: ThrottleMode::Off,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let err = collect(
        entity_pages::<serde_json::Value>(&client, &EntityKind::ExoOrganizationConfig.spec())
            .expect("stream"),
    )
    .await
    .expect_err("refused");
    match &err {
        GraphError::Permission { needs, resource, .. } => {
            assert_eq!(needs, &["Exchange.ManageAsApp"]);
            assert_eq!(*resource, Resource::ExchangeOnline);
        }
        other => panic!("expected a missing permission, got {other:?}"),
    }
    assert!(err.to_string().contains("Office 365 Exchange Online"), "{err}");
    let report = probe_permissions(&client, &[EntityKind::ExoOrganizationConfig]).await;
    assert_eq!(report.missing(), vec!["Exchange.ManageAsApp"]);
}

#[tokio::test]
async fn throttled_cmdlets_are_retried_after_the_wait_the_service_names() {
    let r = rig(TenantSpec {
        throttling: ThrottleMode::Scaled { factor: 0.06 },
        ..Default::default()
    })
    .await;
    let client = r.client();
    for kind in &EXO_KINDS[..5] {
        collect(entity_pages::<serde_json::Value>(&client, &kind.spec()).expect("stream"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
    }
    let log = r.api_log();
    assert!(
        log.iter().any(|l| l.status == 429 && l.retry_after.is_some()),
        "no 429 in {log:?}"
    );
    assert!(log.last().is_some_and(|l| l.status == 200));
}
