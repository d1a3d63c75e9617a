//! Assessment time for a synthetic 100,000-user tenant: document build, conversion to the Rego
//! input, and each control of the built-in pack. Target: the whole evaluation under 2 s. Prints a
//! table and writes target/bench-results/assess.json.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use posture_assessment::{Collection, CollectionKind, Engine, PolicyPack, TenantDocumentBuilder};
use serde_json::{Value, json};

const USERS: usize = 100_000;
const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED: [&str; 4] = [
    GLOBAL_ADMIN,
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
];

/// xorshift: deterministic spread of attributes without a dependency.
struct Spread(u64);

impl Spread {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn percent(&mut self) -> u64 {
        self.next() % 100
    }

    fn timestamp(&mut self, max_days_ago: u64) -> String {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let seconds = self.next() % (max_days_ago * 86_400);
        (now - chrono::Duration::seconds(seconds as i64)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

fn user_id(i: usize) -> String {
    format!("{i:08x}-4b7c-4d55-a576-c07bb09d{:04x}", i % 0xffff)
}

fn users(spread: &mut Spread) -> (Vec<Value>, Vec<Value>) {
    let mut users = Vec::with_capacity(USERS);
    let mut registrations = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let id = user_id(i);
        let guest = spread.percent() < 10;
        let upn = if guest {
            format!("guest{i}_partner.example#EXT#@contoso.onmicrosoft.com")
        } else {
            format!("user{i}@contoso.example")
        };
        let synced = spread.percent() < 40;
        let never = spread.percent() < 3;
        let last = |s: &mut Spread| {
            if never {
                Value::Null
            } else {
                json!(s.timestamp(200))
            }
        };
        users.push(json!({
            "id": id,
            "displayName": format!("User {i}"),
            "userPrincipalName": upn,
            "mail": upn,
            "accountEnabled": spread.percent() < 95,
            "userType": if guest { "Guest" } else { "Member" },
            "externalUserState": if guest { json!(if spread.percent() < 15 { "PendingAcceptance" } else { "Accepted" }) } else { Value::Null },
            "externalUserStateChangeDateTime": if guest { json!(spread.timestamp(400)) } else { Value::Null },
            "creationType": if guest { json!("Invitation") } else { Value::Null },
            "createdDateTime": spread.timestamp(1500),
            "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
            "onPremisesImmutableId": if synced { json!(format!("aW1t{i:08}")) } else { Value::Null },
            "onPremisesLastSyncDateTime": if synced { json!(spread.timestamp(1)) } else { Value::Null },
            "passwordPolicies": "DisablePasswordExpiration",
            "usageLocation": "GB",
            "assignedLicenses": [{"skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "disabledPlans": []}],
            "signInActivity": {
                "lastSignInDateTime": last(spread),
                "lastSignInRequestId": "c9f0a2b1-0000-0000-0000-000000000000",
                "lastNonInteractiveSignInDateTime": last(spread),
                "lastNonInteractiveSignInRequestId": "c9f0a2b1-0000-0000-0000-000000000001",
                "lastSuccessfulSignInDateTime": last(spread),
                "lastSuccessfulSignInRequestId": "c9f0a2b1-0000-0000-0000-000000000002",
            },
        }));
        let capable = spread.percent() < 93;
        registrations.push(json!({
            "id": id,
            "userPrincipalName": upn,
            "userDisplayName": format!("User {i}"),
            "userType": if guest { "guest" } else { "member" },
            "isAdmin": i < 40,
            "isMfaRegistered": capable,
            "isMfaCapable": capable,
            "isPasswordlessCapable": spread.percent() < 20,
            "isSsprRegistered": capable,
            "isSsprEnabled": true,
            "isSsprCapable": capable,
            "isSystemPreferredAuthenticationMethodEnabled": true,
            "lastUpdatedDateTime": spread.timestamp(2),
            "methodsRegistered": if capable { json!(["microsoftAuthenticatorPush", "softwareOneTimePasscode"]) } else { json!([]) },
            "systemPreferredAuthenticationMethods": if capable { json!(["push"]) } else { json!([]) },
            "userPreferredMethodForSecondaryAuthentication": if capable { "push" } else { "none" },
        }));
    }
    (users, registrations)
}

fn ca_policies() -> Vec<Value> {
    (0..30)
        .map(|i| {
            let state = ["enabled", "enabledForReportingButNotEnforced", "disabled"][i % 3];
            json!({
                "id": format!("ca-{i:03}"),
                "displayName": format!("CA{i:03}"),
                "createdDateTime": "2024-03-01T10:00:00Z",
                "modifiedDateTime": "2025-11-01T10:00:00Z",
                "state": state,
                "conditions": {
                    "users": {
                        "includeUsers": if i % 4 == 0 { json!(["All"]) } else { json!([]) },
                        "excludeUsers": [user_id(0)],
                        "includeGroups": [], "excludeGroups": [],
                        "includeRoles": if i % 4 == 1 { json!(PRIVILEGED) } else { json!([]) },
                        "excludeRoles": [],
                    },
                    "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
                    "clientAppTypes": if i % 5 == 0 { json!(["exchangeActiveSync", "other"]) } else { json!(["all"]) },
                    "userRiskLevels": if i % 7 == 0 { json!(["high"]) } else { json!([]) },
                    "signInRiskLevels": [],
                    "authenticationFlows": if i == 9 { json!({"transferMethods": "deviceCodeFlow"}) } else { Value::Null },
                },
                "grantControls": {"operator": "OR", "builtInControls": if i % 5 == 0 { ["block"] } else { ["mfa"] }},
                "sessionControls": null,
            })
        })
        .collect()
}

fn main() {
    let mut spread = Spread(0x9e37_79b9_7f4a_7c15);
    let (users, registrations) = users(&mut spread);
    let mut assignments: Vec<Value> = (0..60)
        .map(|i| json!({"id": format!("ra-{i}"), "principalId": user_id(i * 7), "roleDefinitionId": PRIVILEGED[i % 4], "directoryScopeId": "/"}))
        .collect();
    assignments.push(json!({"id": "ra-group", "principalId": "grp-tier0", "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}));
    let eligible: Vec<Value> = (0..30)
        .map(|i| json!({"id": format!("re-{i}"), "principalId": user_id(i * 11 + 3), "roleDefinitionId": PRIVILEGED[i % 4], "directoryScopeId": "/", "memberType": "Direct", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": null}))
        .collect();
    let instances: Vec<Value> = (0..60)
        .map(|i| json!({"id": format!("rai-{i}"), "principalId": user_id(i * 7), "roleDefinitionId": PRIVILEGED[i % 4], "directoryScopeId": "/", "assignmentType": if i % 3 == 0 { "Activated" } else { "Assigned" }, "memberType": "Direct", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": null}))
        .collect();
    let skus = vec![json!({
        "id": "sku-e5", "skuPartNumber": "SPE_E5", "capabilityStatus": "Enabled", "appliesTo": "User", "consumedUnits": USERS,
        "servicePlans": [
            {"servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998", "servicePlanName": "AAD_PREMIUM_P2", "provisioningStatus": "Success", "appliesTo": "User"},
            {"servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d", "servicePlanName": "AAD_PREMIUM", "provisioningStatus": "Success", "appliesTo": "User"},
            {"servicePlanId": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "servicePlanName": "INTUNE_A", "provisioningStatus": "Success", "appliesTo": "User"},
        ],
    })];
    let authorization = vec![json!({
        "id": "authorizationPolicy", "displayName": "Authorization Policy", "allowInvitesFrom": "everyone",
        "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "defaultUserRolePermissions": {"allowedToCreateApps": true, "allowedToCreateTenants": false, "allowedToCreateSecurityGroups": true, "allowedToReadOtherUsers": true, "permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-low"]},
    })];

    let started = Instant::now();
    let document = TenantDocumentBuilder::new("bench-tenant", "Contoso (synthetic)")
        .now(
            Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        )
        .emergency_access_accounts([user_id(0), user_id(1)])
        .collection(CollectionKind::Users, Collection::ok(users))
        .collection(
            CollectionKind::UserRegistrationDetails,
            Collection::ok(registrations),
        )
        .collection(
            CollectionKind::ConditionalAccessPolicies,
            Collection::ok(ca_policies()),
        )
        .collection(CollectionKind::RoleAssignments, Collection::ok(assignments))
        .collection(CollectionKind::RoleEligibilityInstances, Collection::ok(eligible))
        .collection(CollectionKind::RoleAssignmentInstances, Collection::ok(instances))
        .collection(CollectionKind::SubscribedSkus, Collection::ok(skus))
        .collection(CollectionKind::AuthorizationPolicy, Collection::ok(authorization))
        .collection(CollectionKind::Groups, Collection::ok(vec![json!({
            "id": "grp-tier0", "displayName": "Tier 0 admins", "isAssignableToRole": true, "securityEnabled": true,
            "members": (200..210).map(|i| json!({"@odata.type": "#microsoft.graph.user", "id": user_id(i)})).collect::<Vec<_>>(),
        })]))
        .collection(CollectionKind::Domains, Collection::ok(vec![
            json!({"id": "contoso.example", "authenticationType": "Managed", "isVerified": true, "isDefault": true, "passwordValidityPeriodInDays": 2_147_483_647}),
            json!({"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isVerified": true, "isInitial": true, "passwordValidityPeriodInDays": 90}),
        ]))
        .collection(CollectionKind::AuthenticationMethodsPolicy, Collection::ok(vec![json!({
            "id": "authenticationMethodsPolicy", "policyMigrationState": "migrationComplete",
            "authenticationMethodConfigurations": [
                {"id": "Sms", "state": "enabled"}, {"id": "Voice", "state": "disabled"},
                {"id": "Email", "state": "disabled"}, {"id": "MicrosoftAuthenticator", "state": "enabled"},
            ],
        })]))
        .collection(CollectionKind::DirectorySettings, Collection::ok(vec![json!({
            "id": "consent", "displayName": "Consent Policy Settings", "templateId": "dffd5d46-495d-40a9-8e21-954ff55e198a",
            "values": [{"name": "EnableAdminConsentRequests", "value": "true"}],
        })]))
        .collection(CollectionKind::SharepointSettings, Collection::ok(vec![json!({
            "isLegacyAuthProtocolsEnabled": false, "sharingCapability": "externalUserSharingOnly",
        })]))
        .collection(CollectionKind::RoleDefinitions, Collection::ok(Vec::new()))
        .build();
    let build = started.elapsed();

    let pack = PolicyPack::builtin();
    // One warm-up run so the table shows steady-state numbers, then the measured run.
    let _ = Engine::evaluate(&pack, &document);
    let assessment = Engine::evaluate(&pack, &document);

    let controls_total: Duration = assessment.results.iter().map(|r| r.duration).sum();
    println!(
        "assessment of a {USERS}-user tenant, {} controls",
        assessment.results.len()
    );
    println!(
        "{:<46} {:>10} {:>15} {:>9}",
        "control", "ms", "status", "evidence"
    );
    for result in &assessment.results {
        println!(
            "{:<46} {:>10.1} {:>15} {:>9}",
            result.control_id,
            result.duration.as_secs_f64() * 1e3,
            result.status.as_str(),
            result.evidence.len()
        );
    }
    let input = assessment.duration.saturating_sub(controls_total);
    println!(
        "{:<46} {:>10.1}",
        "document build (builder)",
        build.as_secs_f64() * 1e3
    );
    println!(
        "{:<46} {:>10.1}",
        "input conversion and scoring",
        input.as_secs_f64() * 1e3
    );
    println!(
        "{:<46} {:>10.1}  (target < 2000)",
        "evaluation total",
        assessment.duration.as_secs_f64() * 1e3
    );

    let report = json!({
        "bench": "assess",
        "users": USERS,
        "controls": assessment.results.len(),
        "document_build_ms": build.as_secs_f64() * 1e3,
        "evaluation_ms": assessment.duration.as_secs_f64() * 1e3,
        "input_conversion_and_scoring_ms": input.as_secs_f64() * 1e3,
        "target_ms": 2000,
        "per_control": assessment.results.iter().map(|r| json!({
            "control_id": r.control_id,
            "ms": r.duration.as_secs_f64() * 1e3,
            "status": r.status.as_str(),
            "evidence": r.evidence.len(),
        })).collect::<Vec<_>>(),
    });
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("assess.json"), report.to_string()));
    match written {
        Ok(()) => println!("results: {}", dir.join("assess.json").display()),
        Err(e) => eprintln!("could not write {}: {e}", dir.display()),
    }
}
