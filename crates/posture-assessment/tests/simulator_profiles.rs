//! The built-in pack judged against the simulator's profiles: each tenant is read through the real
//! Graph client over HTTP, turned into a tenant document, evaluated, and compared with the outcomes
//! the simulator publishes for its hardened, typical and neglected tenants.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use posture_assessment::{
    Assessment, Collection, CollectionKind, Engine, PolicyPack, Status, TenantDocumentBuilder,
};
use posture_graph::{
    ApiRequest, AppConnection, ClientCredential, DirectTokenSource, EntityKind, GraphClient, GraphError,
    Resource, ServiceFamily, TokenAcquirer, entity_pages,
};
use posture_graph_sim::{
    Outcome, Profile, SimConfig, Simulator, TenantExpectation, TenantInfo, TenantSpec, ThrottleMode,
};
use secrecy::SecretString;
use serde_json::Value;

/// Catalog kinds that fill a document collection directly.
const CATALOG: &[(EntityKind, CollectionKind)] = &[
    // Sign-in activity is its own read (P1 and AuditLog.Read.All), as the sync does it; the
    // document builder merges it onto users.
    (EntityKind::UserSignInActivity, CollectionKind::UserSignInActivity),
    (
        EntityKind::UserRegistrationDetails,
        CollectionKind::UserRegistrationDetails,
    ),
    (
        EntityKind::ConditionalAccessPolicies,
        CollectionKind::ConditionalAccessPolicies,
    ),
    (EntityKind::NamedLocations, CollectionKind::NamedLocations),
    (EntityKind::RoleAssignments, CollectionKind::RoleAssignments),
    (EntityKind::RoleDefinitions, CollectionKind::RoleDefinitions),
    (
        EntityKind::RoleEligibilityInstances,
        CollectionKind::RoleEligibilityInstances,
    ),
    (
        EntityKind::RoleAssignmentInstances,
        CollectionKind::RoleAssignmentInstances,
    ),
    (
        EntityKind::AuthorizationPolicy,
        CollectionKind::AuthorizationPolicy,
    ),
    (EntityKind::Organization, CollectionKind::Organization),
    (EntityKind::SubscribedSkus, CollectionKind::SubscribedSkus),
    (EntityKind::SharepointSettings, CollectionKind::SharepointSettings),
    (
        EntityKind::AuthenticationMethodsPolicy,
        CollectionKind::AuthenticationMethodsPolicy,
    ),
    (EntityKind::Domains, CollectionKind::Domains),
    (EntityKind::DirectorySettings, CollectionKind::DirectorySettings),
    (
        EntityKind::AdminConsentRequestPolicy,
        CollectionKind::AdminConsentRequestPolicy,
    ),
    (
        EntityKind::ActivityBasedTimeoutPolicies,
        CollectionKind::ActivityBasedTimeoutPolicies,
    ),
    (
        EntityKind::DefaultAppManagementPolicy,
        CollectionKind::DefaultAppManagementPolicy,
    ),
    (
        EntityKind::AppManagementPolicies,
        CollectionKind::AppManagementPolicies,
    ),
    (
        EntityKind::DeviceRegistrationPolicy,
        CollectionKind::DeviceRegistrationPolicy,
    ),
    (
        EntityKind::CrossTenantAccessDefault,
        CollectionKind::CrossTenantAccessDefault,
    ),
    (
        EntityKind::OnPremisesSynchronization,
        CollectionKind::OnPremisesSynchronization,
    ),
    (
        EntityKind::DelegatedPermissionClassifications,
        CollectionKind::DelegatedPermissionClassifications,
    ),
    (EntityKind::ServicePrincipals, CollectionKind::ServicePrincipals),
    (
        EntityKind::GraphAppRoleAssignments,
        CollectionKind::GraphAppRoleAssignments,
    ),
    (
        EntityKind::RoleAssignmentSchedules,
        CollectionKind::RoleAssignmentSchedules,
    ),
    (
        EntityKind::RoleEligibilitySchedules,
        CollectionKind::RoleEligibilitySchedules,
    ),
    (
        EntityKind::AccessReviewDefinitions,
        CollectionKind::AccessReviewDefinitions,
    ),
    (EntityKind::ManagedDevices, CollectionKind::ManagedDevices),
    (EntityKind::AlertsV2, CollectionKind::SecurityAlerts),
    (EntityKind::SecureScores, CollectionKind::SecureScores),
    // Defender for Endpoint, read with its own token.
    (EntityKind::DefenderMachines, CollectionKind::DefenderMachines),
    (
        EntityKind::DefenderVulnerabilities,
        CollectionKind::DefenderVulnerabilities,
    ),
    // Exchange Online, through its admin API with its own token.
    (EntityKind::ExoRemoteDomains, CollectionKind::ExoRemoteDomains),
    (EntityKind::ExoAcceptedDomains, CollectionKind::ExoAcceptedDomains),
    (
        EntityKind::ExoOrganizationConfig,
        CollectionKind::ExoOrganizationConfig,
    ),
    (EntityKind::ExoTransportConfig, CollectionKind::ExoTransportConfig),
    (EntityKind::ExoTransportRules, CollectionKind::ExoTransportRules),
    (
        EntityKind::ExoDkimSigningConfig,
        CollectionKind::ExoDkimSigningConfig,
    ),
    (
        EntityKind::ExoOutboundSpamPolicies,
        CollectionKind::ExoOutboundSpamPolicies,
    ),
    (
        EntityKind::ExoAdminAuditLogConfig,
        CollectionKind::ExoAdminAuditLogConfig,
    ),
    (
        EntityKind::ExoExternalInOutlook,
        CollectionKind::ExoExternalInOutlook,
    ),
    (
        EntityKind::ExoAntiPhishPolicies,
        CollectionKind::ExoAntiPhishPolicies,
    ),
    (
        EntityKind::ExoMalwareFilterPolicies,
        CollectionKind::ExoMalwareFilterPolicies,
    ),
    (
        EntityKind::ExoSafeLinksPolicies,
        CollectionKind::ExoSafeLinksPolicies,
    ),
    (
        EntityKind::ExoSafeAttachmentPolicies,
        CollectionKind::ExoSafeAttachmentPolicies,
    ),
    (
        EntityKind::ExoProtectionPolicyRules,
        CollectionKind::ExoProtectionPolicyRules,
    ),
    (EntityKind::ExoSharedMailboxes, CollectionKind::ExoSharedMailboxes),
    (EntityKind::ExoSharingPolicies, CollectionKind::ExoSharingPolicies),
    (
        EntityKind::ExoAtpPolicyForO365,
        CollectionKind::ExoAtpPolicyForO365,
    ),
];

/// PIM settings as the sync reads them: directory-role policy assignments with each policy and
/// its rules expanded.
const ROLE_POLICIES_PATH: &str = "policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'/'%20and%20scopeType%20eq%20'DirectoryRole'&$expand=policy($expand=rules)";

async fn start() -> Simulator {
    posture_graph::install_crypto_provider();
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

fn spec(profile: Profile) -> TenantSpec {
    TenantSpec {
        profile,
        users: 60,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

fn client(sim: &Simulator, tenant: &TenantInfo) -> GraphClient {
    let http = posture_graph::http_client().expect("http client");
    let endpoints = posture_graph::Endpoints::path_routed(&sim.base_url()).expect("path-routed endpoints");
    let secret = SecretString::from(tenant.client_secret.expose().to_owned());
    let acquirer = TokenAcquirer::new(
        http.clone(),
        AppConnection {
            tenant_id: tenant.tenant_id.to_string(),
            client_id: tenant.client_id.to_string(),
            credential: ClientCredential::Secret(secret),
            endpoints: endpoints.clone(),
        },
    );
    GraphClient::new(
        http,
        Arc::new(DirectTokenSource(acquirer)),
        endpoints,
        tenant.tenant_id.to_string(),
        tenant.client_id.to_string(),
    )
}

async fn read_kind(client: &GraphClient, kind: EntityKind) -> Result<Vec<Value>, GraphError> {
    let mut pages = std::pin::pin!(entity_pages::<Value>(client, &kind.spec())?);
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        items.extend(page?.records.into_iter().map(|r| r.value));
    }
    Ok(items)
}

/// The accepted domains' mail records as the sync reads them: the domains through Exchange, the
/// records from the simulator's DNS server.
async fn read_mail_dns(sim: &Simulator, client: &GraphClient) -> Result<Vec<Value>, GraphError> {
    let dns = posture_graph::mail_dns::MailDns::new(&posture_graph::mail_dns::DnsSettings {
        server: Some(sim.dns_addr()),
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for domain in read_kind(client, EntityKind::ExoAcceptedDomains).await? {
        if let Some(name) = domain["DomainName"].as_str() {
            out.push(dns.domain_records(name).await?);
        }
    }
    Ok(out)
}

fn collection(read: Result<Vec<Value>, GraphError>) -> Collection {
    match read {
        Ok(items) => Collection::ok(items),
        Err(e) => Collection::missing(e.to_string()),
    }
}

async fn read_direct(client: &GraphClient, path: &str, list: bool) -> Result<Vec<Value>, GraphError> {
    let url = client
        .endpoints()
        .base(Resource::Graph)
        .join(path)
        .map_err(|e| GraphError::Config {
            reason: e.to_string(),
        })?;
    let body: Value = client
        .json(&ApiRequest::get(Resource::Graph, url, ServiceFamily::Identity))
        .await?;
    Ok(match (list, body) {
        (true, Value::Object(mut o)) => match o.remove("value") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        (_, other) => vec![other],
    })
}

/// The transitive members of the groups that grant or scope privilege, as the sync reads them:
/// role-assignable groups and the groups Conditional Access policies include or exclude, each
/// `groups/{id}/transitiveMembers` with the members' own properties.
async fn read_group_members(client: &GraphClient, groups: &Collection, policies: &Collection) -> Collection {
    if !groups.is_ok() {
        return Collection::missing(groups.reason.clone().unwrap_or_default());
    }
    let mut targets: std::collections::BTreeMap<String, bool> = groups
        .items
        .iter()
        .filter(|g| g.get("isAssignableToRole") == Some(&Value::Bool(true)))
        .filter_map(|g| {
            g.get("id")
                .and_then(Value::as_str)
                .map(|id| (id.to_ascii_lowercase(), true))
        })
        .collect();
    for policy in &policies.items {
        for field in ["includeGroups", "excludeGroups"] {
            let ids = policy
                .pointer(&format!("/conditions/users/{field}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str);
            for id in ids {
                targets.entry(id.to_ascii_lowercase()).or_insert(false);
            }
        }
    }
    let mut out = Vec::new();
    for (id, role_assignable) in targets {
        let path = format!(
            "groups/{id}/transitiveMembers?$select=id,displayName,userPrincipalName,userType,onPremisesSyncEnabled&$top=999"
        );
        match read_direct(client, &path, true).await {
            Ok(members) => out.push(serde_json::json!({
                "id": id,
                "isAssignableToRole": role_assignable,
                "members": members,
            })),
            Err(e) => return Collection::missing(e.to_string()),
        }
    }
    Collection::ok(out)
}

/// App registrations with their owners expanded, as the sync reads them (the simulator's tenants
/// have a handful, one page).
async fn read_applications(client: &GraphClient) -> Collection {
    collection(
        read_direct(
            client,
            "applications?$expand=owners($select=id,displayName,userPrincipalName)",
            true,
        )
        .await,
    )
}

/// Reads every collection the pack needs and evaluates the built-in pack.
async fn assess(sim: &Simulator, tenant: &TenantInfo, now: DateTime<Utc>) -> Assessment {
    let client = client(sim, tenant);
    let users = collection(read_kind(&client, EntityKind::Users).await);
    // The operator declares the break-glass accounts in Posture; the simulator names them so.
    let emergency: Vec<String> = users
        .items
        .iter()
        .filter(|u| {
            u.get("userPrincipalName")
                .and_then(Value::as_str)
                .is_some_and(|upn| upn.starts_with("breakglass"))
        })
        .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut builder = TenantDocumentBuilder::new(tenant.tenant_id.to_string(), tenant.display_name.clone())
        .emergency_access_accounts(emergency)
        .now(now)
        .connection_credential(
            "client_secret",
            tenant.secret_id.to_string(),
            Some(tenant.secret_expires_at),
        )
        .collection(CollectionKind::Users, users);
    for (kind, target) in CATALOG {
        builder = builder.collection(*target, collection(read_kind(&client, *kind).await));
    }
    let groups = collection(read_kind(&client, EntityKind::Groups).await);
    let policies = collection(read_kind(&client, EntityKind::ConditionalAccessPolicies).await);
    let members = read_group_members(&client, &groups, &policies).await;
    builder = builder
        .collection(CollectionKind::Groups, groups)
        .collection(CollectionKind::GroupTransitiveMembers, members);
    builder = builder.collection(CollectionKind::Applications, read_applications(&client).await);
    builder = builder.collection(
        CollectionKind::DnsMailRecords,
        collection(read_mail_dns(sim, &client).await),
    );
    builder = builder.collection(
        CollectionKind::RoleManagementPolicyAssignments,
        collection(read_direct(&client, ROLE_POLICIES_PATH, true).await),
    );
    Engine::evaluate(&PolicyPack::builtin(), &builder.build())
}

fn expected_status(outcome: Outcome) -> Status {
    match outcome {
        Outcome::Pass => Status::Pass,
        Outcome::Fail => Status::Fail,
        Outcome::NotApplicable => Status::NotApplicable,
    }
}

/// Pack controls that implement a simulator control id, each with the framework that references
/// it: the id itself (no framework) or a framework reference (the simulator writes CIS ids as
/// `CIS.<number>`, the pack as framework `cis-m365-*`, `<number>`).
fn implementing<'a>(
    assessment: &'a Assessment,
    control: &str,
) -> Vec<(&'a posture_assessment::ControlResult, Option<&'a str>)> {
    let cis = control.strip_prefix("CIS.");
    assessment
        .results
        .iter()
        .filter_map(|r| {
            if r.control_id == control {
                return Some((r, None));
            }
            let m = r.metadata.as_ref()?;
            m.frameworks
                .iter()
                .find(|f| match cis {
                    Some(number) => f.framework.starts_with("cis-") && f.reference == number,
                    None => f.reference == control,
                })
                .map(|f| (r, Some(f.framework.as_str())))
        })
        .collect()
}

/// The verdict the framework behind a simulator id gives: its own where it judges differently.
fn verdict<'a>(
    r: &'a posture_assessment::ControlResult,
    framework: Option<&str>,
) -> (Status, &'a str, &'a [posture_assessment::Evidence]) {
    match framework.and_then(|f| r.framework_result(f)) {
        Some(f) => (f.status, f.reason.as_str(), f.evidence.as_slice()),
        None => (r.status, r.reason.as_str(), r.evidence.as_slice()),
    }
}

/// Every disagreement between the pack and the simulator's expectations, as readable lines.
fn disagreements(assessment: &Assessment, expectations: &[TenantExpectation]) -> (usize, Vec<String>) {
    let mut compared = 0;
    let mut wrong = Vec::new();
    for e in expectations {
        for (r, framework) in implementing(assessment, e.control) {
            compared += 1;
            let want = expected_status(e.outcome);
            let (status, reason, evidence) = verdict(r, framework);
            if status != want {
                wrong.push(format!(
                    "{} ({}): pack {:?} \"{}\", simulator {:?} ({})",
                    e.control, r.control_id, status, reason, want, e.why
                ));
                continue;
            }
            if want == Status::Fail {
                let missing: Vec<&String> = e
                    .evidence
                    .iter()
                    .filter(|id| !evidence.iter().any(|ev| &ev.id == *id))
                    .collect();
                if !missing.is_empty() {
                    wrong.push(format!(
                        "{} ({}): evidence lacks {:?}; pack gave {:?}",
                        e.control,
                        r.control_id,
                        missing,
                        evidence.iter().map(|ev| &ev.id).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    (compared, wrong)
}

async fn pack_matches_profile(profile: Profile) {
    let sim = start().await;
    let tenant = sim.create_tenant(spec(profile)).expect("tenant is created");
    let assessment = assess(&sim, &tenant, sim.now()).await;
    let expectations = sim
        .expectations(&tenant.tenant_id.to_string())
        .expect("expectations");
    let (compared, wrong) = disagreements(&assessment, &expectations);
    assert!(
        compared >= 26,
        "only {compared} controls compared for {profile:?}"
    );
    assert!(
        wrong.is_empty(),
        "{profile:?} disagreements:\n{}",
        wrong.join("\n")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn builtin_pack_matches_simulator_on_hardened_tenant() {
    pack_matches_profile(Profile::Hardened).await;
}

#[tokio::test]
async fn builtin_pack_matches_simulator_on_typical_tenant() {
    pack_matches_profile(Profile::Typical).await;
}

#[tokio::test]
async fn builtin_pack_matches_simulator_on_neglected_tenant() {
    pack_matches_profile(Profile::Neglected).await;
}

#[tokio::test]
async fn conditional_access_controls_name_the_missing_policy_permission() {
    let sim = start().await;
    let granted: Vec<String> = posture_graph_sim::permissions::GRAPH_NEEDED
        .iter()
        .filter(|p| **p != "Policy.Read.All")
        .map(|p| (*p).to_owned())
        .collect();
    let tenant = sim
        .create_tenant(TenantSpec {
            permissions: Some(granted),
            ..spec(Profile::Typical)
        })
        .expect("tenant is created");
    let assessment = assess(&sim, &tenant, sim.now()).await;
    let ca_controls: Vec<_> = assessment
        .results
        .iter()
        .filter(|r| {
            r.metadata.as_ref().is_some_and(|m| {
                m.required_collections
                    .iter()
                    .any(|c| c == "conditional_access_policies")
            })
        })
        .collect();
    assert!(ca_controls.len() >= 8, "only {} CA controls", ca_controls.len());
    for r in ca_controls {
        assert_eq!(r.status, Status::Error, "{}: {}", r.control_id, r.reason);
        assert!(
            r.reason.contains("Policy.Read.All"),
            "{}: {}",
            r.control_id,
            r.reason
        );
    }
    // Controls over collections the app can still read are judged as usual.
    let stale = assessment
        .result("posture.accounts.stale")
        .expect("stale accounts control");
    assert_ne!(stale.status, Status::Error, "{}", stale.reason);
    sim.shutdown().await;
}

/// Every control of the built-in pack is held against the simulator: its id, or one of its
/// framework references, has an expected outcome for each profile.
#[test]
fn every_builtin_control_has_a_simulator_expectation() {
    let pack = PolicyPack::builtin();
    for profile in [Profile::Hardened, Profile::Typical, Profile::Neglected] {
        let expected: Vec<&str> = posture_graph_sim::expectations(profile)
            .iter()
            .map(|e| e.control)
            .collect();
        let uncovered: Vec<&str> = pack
            .controls()
            .iter()
            .filter(|c| {
                let by_id = expected.contains(&c.id.as_str());
                let by_reference = c.frameworks.iter().any(|f| {
                    let id = if f.framework.starts_with("cis-") {
                        format!("CIS.{}", f.reference)
                    } else {
                        f.reference.clone()
                    };
                    expected.contains(&id.as_str())
                });
                !by_id && !by_reference
            })
            .map(|c| c.id.as_str())
            .collect();
        assert!(
            uncovered.is_empty(),
            "{profile:?}: controls without a simulator expectation: {uncovered:?}"
        );
    }
}
