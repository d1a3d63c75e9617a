//! Permission and licence gates with each backing service's real error.

mod common;

use common::*;
use posture_graph_sim::{Licences, TenantSpec, ThrottleMode};

fn spec(permissions: &[&str], licences: Licences) -> TenantSpec {
    TenantSpec {
        users: 30,
        permissions: Some(permissions.iter().map(|s| s.to_string()).collect()),
        licences,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

#[tokio::test]
async fn token_without_roles_gets_authorization_request_denied() {
    let (sim, info) = sim_with(spec(&[], Licences::default())).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
}

#[tokio::test]
async fn intune_forbidden_message_is_json_string() {
    let (sim, info) = sim_with(spec(&["User.Read.All"], Licences::default())).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/deviceManagement/deviceCompliancePolicies",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Forbidden");
    let inner: serde_json::Value =
        serde_json::from_str(body["error"]["message"].as_str().expect("message")).expect("message is JSON");
    assert_eq!(inner["_version"], 3);
    assert!(
        inner["Message"]
            .as_str()
            .unwrap_or("")
            .contains("DeviceManagementConfiguration.Read.All")
    );
}

#[tokio::test]
async fn sign_in_activity_needs_p1_and_audit_log_permission() {
    let (sim, info) = sim_with(spec(&["User.Read.All"], Licences::default())).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users?$select=id,signInActivity").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("Authentication_MSGraphPermissionMissing"))
    );
    let (sim, info) = sim_with(spec(&["User.Read.All", "AuditLog.Read.All"], Licences::none())).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users?$select=id,signInActivity").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["code"],
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    );
    assert_eq!(
        body["error"]["message"],
        "Neither tenant is B2C or tenant doesn't have premium license"
    );
    let (status, _) = get_json(
        &sim,
        &token,
        "/graph/v1.0/reports/authenticationMethods/userRegistrationDetails",
    )
    .await;
    assert_eq!(status, 403);
    let (status, page) = get_json(&sim, &token, "/graph/v1.0/users?$select=id,displayName").await;
    assert_eq!(
        status, 200,
        "users without signInActivity need no licence: {page}"
    );
}

#[tokio::test]
async fn pim_without_p2_is_aad_premium_license_required() {
    let (sim, info) = sim_with(spec(
        &["RoleManagement.Read.Directory"],
        Licences {
            p1: true,
            ..Licences::none()
        },
    ))
    .await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/roleManagement/directory/roleEligibilitySchedules",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "AadPremiumLicenseRequired");
    assert_eq!(
        body["error"]["message"],
        "The tenant needs an AAD Premium 2 license."
    );
    let (status, _) = get_json(
        &sim,
        &token,
        "/graph/v1.0/roleManagement/directory/roleAssignments",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn subscribed_skus_reflect_the_licences() {
    let (sim, info) = sim_with(spec(
        &["Organization.Read.All"],
        Licences {
            p1: true,
            intune: true,
            ..Licences::none()
        },
    ))
    .await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/subscribedSkus").await;
    assert_eq!(status, 200);
    let plans: Vec<String> = body["value"]
        .as_array()
        .expect("value")
        .iter()
        .flat_map(|s| s["servicePlans"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["servicePlanName"].as_str().map(str::to_string))
        .collect();
    assert!(plans.contains(&"AAD_PREMIUM".to_string()) && plans.contains(&"INTUNE_A".to_string()));
    assert!(!plans.contains(&"AAD_PREMIUM_P2".to_string()) && !plans.contains(&"WINDEFATP".to_string()));
}

#[tokio::test]
async fn sharepoint_and_service_health_use_their_own_denials() {
    let (sim, info) = sim_with(spec(&["User.Read.All"], Licences::default())).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/admin/sharepoint/settings").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("accessDenied"))
    );
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/admin/serviceAnnouncement/issues").await;
    assert_eq!(status, 403);
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/security/incidents").await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("SecurityIncident.Read.All")
    );
}

#[tokio::test]
async fn intune_without_licence_is_not_applicable_to_the_tenant() {
    let (sim, info) = sim_with(spec(
        &["DeviceManagementManagedDevices.Read.All"],
        Licences {
            p1: true,
            ..Licences::none()
        },
    ))
    .await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/deviceManagement/managedDevices").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Request not applicable to target tenant."
    );
}

#[tokio::test]
async fn directory_role_members_by_template_id_come_back_unpaged() {
    let (sim, info) = sim_with(TenantSpec {
        users: 30,
        profile: posture_graph_sim::Profile::Neglected,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    })
    .await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')/members?$top=2",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["value"].as_array().map(Vec::len),
        Some(9),
        "all nine Global Administrators, no paging"
    );
    assert!(body.get("@odata.nextLink").is_none());
    let (_, roles) = get_json(&sim, &token, "/graph/v1.0/directoryRoles").await;
    let ga = roles["value"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["roleTemplateId"] == "62e90394-69f5-4237-9190-012177145e10")
        .expect("GA role");
    let (status, by_id) = get_json(
        &sim,
        &token,
        &format!(
            "/graph/v1.0/directoryRoles/{}/members",
            ga["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_id["value"], body["value"]);
}
