//! Graph-shaped objects for the Rust tests, in the exact casing Microsoft Graph returns.
#![allow(dead_code)]

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
