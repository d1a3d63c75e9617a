//! Graph-shaped objects for the Rust tests, in the exact casing Microsoft Graph returns.
#![allow(dead_code)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use posture_assessment::{Collection, CollectionKind, TenantDocument, TenantDocumentBuilder};
use serde_json::{Value, json};

pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const AAD_PREMIUM_P1: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
pub const AAD_PREMIUM_P2: &str = "eec0eb4f-6444-4f95-aba0-50c24d67f998";
pub const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
pub const MDE_P1: &str = "292cc034-7b7c-4950-aaf5-943befd3f1d4";

pub fn user(id: &str, last_sign_in: &str) -> Value {
    json!({
        "id": id,
        "displayName": id,
        "userPrincipalName": format!("{id}@contoso.example"),
        "accountEnabled": true,
        "userType": "Member",
        "createdDateTime": "2024-01-01T00:00:00Z",
        "onPremisesSyncEnabled": null,
        "onPremisesImmutableId": null,
        "signInActivity": {
            "lastSignInDateTime": last_sign_in,
            "lastNonInteractiveSignInDateTime": null,
            "lastSuccessfulSignInDateTime": last_sign_in,
        },
    })
}

pub fn registration(id: &str, capable: bool) -> Value {
    json!({
        "id": id,
        "userPrincipalName": format!("{id}@contoso.example"),
        "userDisplayName": id,
        "userType": "member",
        "isAdmin": false,
        "isMfaRegistered": capable,
        "isMfaCapable": capable,
        "methodsRegistered": if capable { json!(["microsoftAuthenticatorPush"]) } else { json!([]) },
    })
}

pub fn sku(part_number: &str, capability_status: &str, plans: &[&str]) -> Value {
    json!({
        "id": format!("tenant_{part_number}"),
        "skuPartNumber": part_number,
        "appliesTo": "User",
        "capabilityStatus": capability_status,
        "consumedUnits": 10,
        "servicePlans": plans.iter().map(|plan| json!({
            "servicePlanId": plan,
            "servicePlanName": "plan",
            "provisioningStatus": "Success",
            "appliesTo": "User",
        })).collect::<Vec<_>>(),
    })
}

pub fn role_assignment(id: &str, principal: &str, role: &str) -> Value {
    json!({
        "id": id,
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
    })
}

pub fn eligibility(id: &str, principal: &str, role: &str) -> Value {
    json!({
        "id": id,
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "memberType": "Direct",
        "startDateTime": "2025-01-01T00:00:00Z",
        "endDateTime": null,
    })
}

pub fn role_assignable_group(id: &str, members: &[&str]) -> Value {
    json!({
        "id": id,
        "displayName": id,
        "securityEnabled": true,
        "mailEnabled": false,
        "groupTypes": [],
        "isAssignableToRole": true,
        "members": members.iter().map(|m| json!({"@odata.type": "#microsoft.graph.user", "id": m})).collect::<Vec<_>>(),
    })
}

pub fn mfa_policy_for_all(excluded_users: &[&str]) -> Value {
    json!({
        "id": "ca-mfa-all",
        "displayName": "Require MFA for all users",
        "state": "enabled",
        "conditions": {
            "users": {
                "includeUsers": ["All"], "excludeUsers": excluded_users,
                "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [],
            },
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
            "clientAppTypes": ["all"],
            "userRiskLevels": [],
            "signInRiskLevels": [],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        "sessionControls": null,
    })
}

pub fn small_tenant() -> TenantDocument {
    TenantDocumentBuilder::new("tenant-1", "Contoso")
        .now(
            Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
                .single()
                .expect("valid instant"),
        )
        .emergency_access_accounts(["bg-1"])
        .collection(
            CollectionKind::Users,
            Collection::ok(vec![
                user("alice", "2026-05-30T00:00:00Z"),
                user("bob", "2025-10-01T00:00:00Z"),
                user("bg-1", "2025-01-01T00:00:00Z"),
            ]),
        )
        .collection(
            CollectionKind::UserRegistrationDetails,
            Collection::ok(vec![
                registration("alice", true),
                registration("bob", false),
                registration("bg-1", true),
            ]),
        )
        .collection(
            CollectionKind::ConditionalAccessPolicies,
            Collection::ok(vec![mfa_policy_for_all(&["bg-1"])]),
        )
        .collection(
            CollectionKind::RoleAssignments,
            Collection::ok(vec![role_assignment("ra-1", "alice", GLOBAL_ADMIN)]),
        )
        .collection(
            CollectionKind::SubscribedSkus,
            Collection::ok(vec![sku("AAD_PREMIUM", "Enabled", &[AAD_PREMIUM_P1])]),
        )
        .collection(
            CollectionKind::AuthorizationPolicy,
            Collection::missing("403 Authorization_RequestDenied: Policy.Read.All not granted"),
        )
        .build()
}

pub fn write(dir: &Path, name: &str, source: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create pack folder");
    }
    std::fs::write(path, source).expect("write module");
}

pub fn control(package: &str, id: &str, framework: &str, result: &str) -> String {
    format!(
        r#"package custom.{package}

metadata := {{"id": "{id}", "title": "{id}", "severity": "low",
  "frameworks": [{{"framework": "{framework}", "reference": "{id}"}}],
  "required_collections": []}}

result := {result}
"#
    )
}
