//! The mail records resolver against the simulator's DNS server: per profile what SPF, DMARC and
//! DKIM publish, names nobody publishes read as absent, and a failing server as an error.

use std::time::Duration;

use posture_graph::GraphError;
use posture_graph::mail_dns::{DnsSettings, MailDns};
use posture_graph_sim::{DnsFailure, Mutation, Profile, TenantSpec};
use serde_json::Value;

use crate::common::rig;

fn resolver(rig: &crate::common::Rig) -> MailDns {
    MailDns::new(&DnsSettings {
        server: Some(rig.sim.dns_addr()),
        timeout: Duration::from_millis(500),
        attempts: 1,
    })
    .expect("a resolver")
}

/// The custom domain the simulator gives every tenant beside its initial one.
fn custom(rig: &crate::common::Rig) -> String {
    rig.tenant
        .default_domain
        .replace(".onmicrosoft.com", ".example.com")
}

async fn records(profile: Profile) -> (Value, Value) {
    let rig = rig(TenantSpec {
        profile,
        users: 10,
        ..TenantSpec::default()
    })
    .await;
    let dns = resolver(&rig);
    let initial = dns
        .domain_records(&rig.tenant.default_domain)
        .await
        .expect("the initial domain resolves");
    let custom = dns
        .domain_records(&custom(&rig))
        .await
        .expect("the custom domain resolves");
    (initial, custom)
}

#[tokio::test]
async fn hardened_domains_publish_hard_fail_spf_reject_dmarc_and_dkim_keys() {
    let (initial, custom) = records(Profile::Hardened).await;
    for d in [&initial, &custom] {
        assert_eq!(d["spf"]["all"], "-all", "{d:#}");
        assert_eq!(d["dmarc"]["tags"]["p"], "reject", "{d:#}");
        assert_eq!(d["dmarc"]["records"].as_array().map(Vec::len), Some(1));
    }
    // The verification TXT record at the domain is not an SPF record.
    assert_eq!(custom["spf"]["records"].as_array().map(Vec::len), Some(1));
    for selector in ["selector1", "selector2"] {
        let s = &custom["dkim"][selector];
        let cname = s["cname"].as_str().expect("a CNAME");
        assert!(cname.starts_with(&format!("{selector}-")), "{s:#}");
        assert!(cname.ends_with(".onmicrosoft.com"), "{s:#}");
        let keys = s["records"].as_array().expect("records");
        assert!(
            keys.len() == 1 && keys[0].as_str().is_some_and(|k| k.starts_with("v=DKIM1")),
            "the TXT lookup follows the CNAME to the key: {s:#}"
        );
    }
}

#[tokio::test]
async fn typical_domains_soft_fail_and_quarantine() {
    let (_, custom) = records(Profile::Typical).await;
    assert_eq!(custom["spf"]["all"], "~all");
    assert_eq!(custom["dmarc"]["tags"]["p"], "quarantine");
    assert!(custom["dkim"]["selector1"]["cname"].is_string());
}

#[tokio::test]
async fn neglected_custom_domain_publishes_nothing_and_nxdomain_reads_as_absent() {
    let (initial, custom) = records(Profile::Neglected).await;
    assert_eq!(initial["spf"]["all"], "-all", "Microsoft's own record");
    assert_eq!(custom["spf"]["records"], serde_json::json!([]));
    assert_eq!(custom["spf"]["all"], Value::Null);
    assert_eq!(custom["dmarc"]["records"], serde_json::json!([]));
    for selector in ["selector1", "selector2"] {
        assert_eq!(custom["dkim"][selector]["cname"], Value::Null);
        assert_eq!(custom["dkim"][selector]["records"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn servfail_and_timeout_are_errors_naming_the_query() {
    let rig = rig(TenantSpec {
        users: 10,
        ..TenantSpec::default()
    })
    .await;
    let dns = resolver(&rig);
    let tid = rig.tenant_id();
    for (failure, said) in [
        (DnsFailure::Servfail, "SERVFAIL"),
        (DnsFailure::Timeout, "did not answer in time"),
    ] {
        rig.sim
            .mutate(
                &tid,
                Mutation::SetDnsFailure {
                    failure: Some(failure),
                },
            )
            .expect("the failure is set");
        let err = dns
            .domain_records(&custom(&rig))
            .await
            .expect_err("a failing server is not an absent record");
        let GraphError::Transient { endpoint, reason, .. } = &err else {
            panic!("{failure:?}: {err:?}");
        };
        assert!(endpoint.starts_with("DNS TXT "), "{endpoint}");
        assert!(reason.to_uppercase().contains(&said.to_uppercase()), "{reason}");
    }
    rig.sim
        .mutate(&tid, Mutation::SetDnsFailure { failure: None })
        .expect("the server answers again");
    dns.domain_records(&custom(&rig)).await.expect("answers again");
}
