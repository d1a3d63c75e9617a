//! The Exchange Online and Defender for Office kinds, read through Exchange's admin API with their
//! own token: each stored as the simulator's cmdlet output for every profile; an app without an
//! Exchange role and an app without Exchange.ManageAsApp each fail naming what is missing.

use posture_graph_sim::{DnsFailure, Mutation, Profile, TenantSpec};
use posture_proto::v1 as pb;

use crate::failures::all_permissions;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{entity, sqlite_world, sync_and_wait};

const EXCHANGE_KINDS: &[&str] = &[
    "exo_accepted_domains",
    "exo_admin_audit_log_config",
    "exo_anti_phish_policies",
    "exo_atp_policy_for_o365",
    "exo_dkim_signing_config",
    "exo_external_in_outlook",
    "exo_hosted_content_filter_policies",
    "exo_malware_filter_policies",
    "exo_organization_config",
    "exo_outbound_spam_policies",
    "exo_protection_policy_rules",
    "exo_remote_domains",
    "exo_safe_attachment_policies",
    "exo_safe_links_policies",
    "exo_shared_mailboxes",
    "exo_sharing_policies",
    "exo_transport_config",
    "exo_transport_rules",
];

#[tokio::test]
async fn exchange_kinds_match_the_simulator_for_every_profile() {
    let mut forwarding = Vec::new();
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, EXCHANGE_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, EXCHANGE_KINDS).await;
        let outbound = stored_objects(&process, &tid, "exo_outbound_spam_policies").await;
        let modes: Vec<_> = outbound
            .values()
            .map(|p| p["AutoForwardingMode"].clone())
            .collect();
        forwarding.push(modes);
        let mailboxes = stored_objects(&process, &tid, "exo_shared_mailboxes").await;
        assert!(!mailboxes.is_empty(), "{profile:?} has shared mailboxes");
    }
    assert_eq!(
        forwarding,
        vec![vec!["Off"], vec!["Automatic"], vec!["On"]],
        "hardened, typical, neglected"
    );
}

#[tokio::test]
async fn removing_the_apps_exchange_role_fails_the_exchange_kinds_naming_the_role() {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        users: 20,
        ..TenantSpec::default()
    })
    .await;
    let tid = tenant.tenant_id.to_string();
    world
        .sim
        .mutate(&tid, Mutation::SetExchangeRole { assigned: false })
        .expect("the role is removed");
    let kinds = ["exo_transport_config", "exo_remote_domains", "organization"];
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
    for kind in &kinds[..2] {
        let e = entity(&run, kind);
        assert_eq!(e.state, pb::EntitySyncState::Failed as i32, "{kind}");
        let reason = e.error.clone().expect("a reason");
        assert_eq!(
            reason.error_class,
            pb::ErrorClass::Permission as i32,
            "{kind}: {reason:?}"
        );
        assert_eq!(reason.missing_permissions.len(), 1, "{kind}: {reason:?}");
        assert!(
            reason.missing_permissions[0].contains("Global Reader"),
            "{kind}: the role is named: {reason:?}"
        );
        assert!(reason.message.contains("no Exchange role"), "{kind}: {reason:?}");
        assert!(reason.endpoint.contains("InvokeCommand"), "{kind}: {reason:?}");
    }
    assert_eq!(
        entity(&run, "organization").state,
        pb::EntitySyncState::Succeeded as i32
    );

    world
        .sim
        .mutate(&tid, Mutation::SetExchangeRole { assigned: true })
        .expect("the role is assigned again");
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
}

#[tokio::test]
async fn exchange_kinds_without_manage_as_app_fail_naming_the_permission() {
    let without: Vec<String> = all_permissions()
        .into_iter()
        .filter(|p| p != "Exchange.ManageAsApp")
        .collect();
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        users: 20,
        permissions: Some(without),
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(&process, &tenant, &["exo_transport_config", "organization"]).await;
    assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
    let reason = entity(&run, "exo_transport_config")
        .error
        .clone()
        .expect("a reason");
    assert_eq!(
        reason.error_class,
        pb::ErrorClass::Permission as i32,
        "{reason:?}"
    );
    assert_eq!(
        reason.missing_permissions,
        vec!["Exchange.ManageAsApp".to_owned()]
    );
    assert!(
        reason.message.contains("Office 365 Exchange Online"),
        "{reason:?}"
    );
}

/// The mail records of every accepted domain, as the simulator's DNS server publishes them.
#[tokio::test]
async fn dns_mail_records_are_read_per_accepted_domain_for_every_profile() {
    let mut verdicts = Vec::new();
    for profile in Profile::ALL {
        let (_world, process, tid) =
            synced_profile(profile, &["exo_accepted_domains", "dns_mail_records"]).await;
        let domains = stored_objects(&process, &tid, "exo_accepted_domains").await;
        let records = stored_objects(&process, &tid, "dns_mail_records").await;
        let names: std::collections::BTreeSet<String> = domains
            .values()
            .filter_map(|d| d["DomainName"].as_str().map(str::to_ascii_lowercase))
            .collect();
        assert_eq!(
            records.keys().cloned().collect::<std::collections::BTreeSet<_>>(),
            names,
            "{profile:?}: one object per accepted domain, named by the domain"
        );
        let custom = records
            .values()
            .find(|r| r["initialDomain"] == false)
            .expect("a custom domain");
        verdicts.push((
            custom["spf"]["all"].clone(),
            custom["dmarc"]["tags"]["p"].clone(),
            custom["dkim"]["selector1"]["cname"].is_string(),
        ));
    }
    assert_eq!(
        verdicts,
        vec![
            (serde_json::json!("-all"), serde_json::json!("reject"), true),
            (serde_json::json!("~all"), serde_json::json!("quarantine"), true),
            (serde_json::Value::Null, serde_json::Value::Null, false),
        ],
        "hardened, typical, neglected"
    );
}

/// A failing DNS server fails the kind with the query and the server's answer as its reason; the
/// other kinds of the run are untouched, and the stored records stay.
#[tokio::test]
async fn dns_servfail_and_timeout_fail_the_kind_with_the_reason() {
    let mut settings = crate::world::settings();
    settings.max_deliver = 2;
    settings.dns.timeout = std::time::Duration::from_millis(300);
    settings.dns.attempts = 1;
    for db in [
        posture_kit::db::test_support::TestDatabase::sqlite().expect("sqlite"),
        posture_kit::db::test_support::TestDatabase::postgres()
            .await
            .expect("postgres"),
    ] {
        let world = crate::world::new_world(db).await;
        let tenant = world
            .tenant(TenantSpec {
                users: 20,
                ..TenantSpec::default()
            })
            .await;
        let process = world.start_sync(settings.clone()).await;
        let tid = tenant.tenant_id.to_string();
        let kinds = ["dns_mail_records", "exo_accepted_domains"];
        let run = sync_and_wait(&process, &tenant, &kinds).await;
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
        let before = stored_objects(&process, &tid, "dns_mail_records").await;
        assert_eq!(before.len(), 2);
        for (failure, said) in [
            (DnsFailure::Servfail, "SERVFAIL"),
            (DnsFailure::Timeout, "did not answer in time"),
        ] {
            world
                .sim
                .mutate(
                    &tid,
                    Mutation::SetDnsFailure {
                        failure: Some(failure),
                    },
                )
                .expect("DNS fails");
            let run = sync_and_wait(&process, &tenant, &kinds).await;
            assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
            let e = entity(&run, "dns_mail_records");
            assert_eq!(e.state, pb::EntitySyncState::Failed as i32, "{failure:?}");
            let reason = e.error.clone().expect("a reason");
            assert_eq!(reason.error_class, pb::ErrorClass::Transient as i32, "{reason:?}");
            assert!(reason.message.contains(said), "{failure:?}: {reason:?}");
            assert!(reason.endpoint.starts_with("DNS TXT "), "{reason:?}");
            assert_eq!(
                entity(&run, "exo_accepted_domains").state,
                pb::EntitySyncState::Succeeded as i32
            );
            assert_eq!(stored_objects(&process, &tid, "dns_mail_records").await, before);
        }
    }
}
