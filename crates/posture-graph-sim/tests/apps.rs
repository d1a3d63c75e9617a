//! App registrations and service principals: Graph's shapes (credentials without secretText),
//! `$expand=owners` with a nested `$select`, paging, the owners / appRoleAssignments /
//! appRoleAssignedTo relationships, Graph's app roles resolving permission ids, the
//! Application.Read.All gate, and profiles that differ where app hygiene controls look.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use posture_graph_sim::{Profile, TenantSpec, ThrottleMode};
use serde_json::Value;

const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

fn spec(profile: Profile, permissions: Option<&[&str]>) -> TenantSpec {
    TenantSpec {
        profile,
        users: 40,
        permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

fn days_until(s: &Value, now: DateTime<Utc>) -> i64 {
    let end: DateTime<Utc> = s.as_str().expect("endDateTime").parse().expect("RFC 3339");
    (end - now).num_days()
}

/// The Graph permission names granted to each service principal, resolved through Graph's appRoles.
async fn grants(sim: &posture_graph_sim::Simulator, token: &str) -> Vec<(String, String)> {
    let (sps, _) = all_pages(sim, token, "/graph/v1.0/servicePrincipals").await;
    let graph = sps
        .iter()
        .find(|s| s["appId"] == GRAPH)
        .expect("Graph's service principal");
    let roles = graph["appRoles"].as_array().expect("appRoles").clone();
    let (assigned, _) = all_pages(
        sim,
        token,
        &format!("/graph/v1.0/servicePrincipals(appId='{GRAPH}')/appRoleAssignedTo"),
    )
    .await;
    assigned
        .iter()
        .map(|a| {
            assert_eq!(a["resourceId"], graph["id"]);
            let name = roles
                .iter()
                .find(|r| r["id"] == a["appRoleId"])
                .and_then(|r| r["value"].as_str())
                .expect("every granted role resolves to a name");
            (
                a["principalDisplayName"].as_str().unwrap_or_default().to_string(),
                name.to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn applications_have_graph_shapes_and_never_return_secret_text() {
    let (sim, info) = sim_with(spec(Profile::Typical, None)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let apps = body["value"].as_array().expect("value");
    assert_eq!(apps.len(), 3, "line-of-business registrations only: {body}");
    for app in apps {
        let keys: Vec<&String> = app.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 5, "{keys:?}");
        for secret in app["passwordCredentials"].as_array().expect("passwords") {
            assert!(secret["secretText"].is_null(), "{secret}");
            assert_eq!(secret["hint"].as_str().map(str::len), Some(3));
            assert!(secret["keyId"].is_string() && secret["endDateTime"].is_string());
        }
        for cert in app["keyCredentials"].as_array().expect("keys") {
            assert_eq!(cert["type"], "AsymmetricX509Cert");
            assert!(
                cert["key"].is_null(),
                "the key is only returned with $select=keyCredentials on one app"
            );
        }
    }
    // Posture's own app is registered in the operator's tenant: its service principal is here.
    let (sps, _) = all_pages(&sim, &token, "/graph/v1.0/servicePrincipals").await;
    let own = sps
        .iter()
        .find(|s| s["appId"] == info.client_id.to_string())
        .expect("Posture's service principal");
    assert_ne!(own["appOwnerOrganizationId"], info.tenant_id.to_string());
    assert!(apps.iter().all(|a| a["appId"] != own["appId"]));
    sim.shutdown().await;
}

#[tokio::test]
async fn owners_expand_with_nested_select_and_relationships_page() {
    let (sim, info) = sim_with(spec(Profile::Hardened, None)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/applications?$expand=owners($select=id,displayName,userPrincipalName)",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let apps = body["value"].as_array().expect("value");
    for app in apps {
        let owners = app["owners"].as_array().expect("owners expanded");
        assert!(!owners.is_empty(), "hardened apps are owned: {app}");
        for o in owners {
            assert_eq!(o["@odata.type"], "#microsoft.graph.user");
            let keys: Vec<&String> = o
                .as_object()
                .expect("owner")
                .keys()
                .filter(|k| !k.starts_with('@'))
                .collect();
            assert_eq!(keys.len(), 3, "nested $select: {keys:?}");
        }
        let id = app["id"].as_str().expect("id");
        let (listed, _) = all_pages(&sim, &token, &format!("/graph/v1.0/applications/{id}/owners")).await;
        assert_eq!(listed.len(), owners.len());
        let sp_owners = all_pages(
            &sim,
            &token,
            &format!(
                "/graph/v1.0/servicePrincipals(appId='{}')/owners",
                app["appId"].as_str().expect("appId")
            ),
        )
        .await
        .0;
        assert_eq!(sp_owners.len(), owners.len());
    }
    // Paging: one object a page, every page a nextLink until the last.
    let (sps, pages) = all_pages(&sim, &token, "/graph/v1.0/servicePrincipals?$top=1").await;
    assert_eq!(pages, sps.len());
    assert!(sps.len() >= 7, "{}", sps.len());
    // Per-principal grants agree with the resource's view.
    let own = sps
        .iter()
        .find(|s| s["appId"] == info.client_id.to_string())
        .expect("own");
    let (mine, _) = all_pages(
        &sim,
        &token,
        &format!(
            "/graph/v1.0/servicePrincipals/{}/appRoleAssignments",
            own["id"].as_str().expect("id")
        ),
    )
    .await;
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|a| a["principalId"] == own["id"] && a["principalType"] == "ServicePrincipal")
    );
    let first = &apps[0];
    let (status, one) = get_json(
        &sim,
        &token,
        &format!(
            "/graph/v1.0/applications/{}?$select=id,displayName",
            first["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["displayName"], first["displayName"]);
    let (status, sp) = get_json(
        &sim,
        &token,
        &format!(
            "/graph/v1.0/servicePrincipals/{}",
            own["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, 200, "{sp}");
    assert_eq!(sp["appId"], own["appId"]);
    let (status, missing) = get_json(&sim, &token, "/graph/v1.0/applications/not-an-app/owners").await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["error"]["code"], "Request_ResourceNotFound");
    sim.shutdown().await;
}

#[tokio::test]
async fn apps_need_application_read_all() {
    let granted = ["User.Read.All", "Policy.Read.All"];
    let (sim, info) = sim_with(spec(Profile::Typical, Some(&granted))).await;
    let token = graph_token(&sim, &info).await;
    for path in [
        "/graph/v1.0/applications",
        "/graph/v1.0/servicePrincipals",
        "/graph/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo",
    ] {
        let (status, body) = get_json(&sim, &token, path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"]["code"], "Authorization_RequestDenied", "{path}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn profiles_differ_in_credentials_owners_and_grants() {
    const HIGH: &[&str] = &[
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "Mail.ReadWrite",
        "Files.ReadWrite.All",
        "Sites.FullControl.All",
    ];
    let mut seen = Vec::new();
    for profile in [Profile::Hardened, Profile::Typical, Profile::Neglected] {
        let (sim, info) = sim_with(spec(profile, None)).await;
        let token = graph_token(&sim, &info).await;
        let now = sim.now();
        let (apps, _) = all_pages(&sim, &token, "/graph/v1.0/applications?$expand=owners").await;
        let mut expiring = 0;
        let mut long_secrets = 0;
        let mut unowned = 0;
        for app in &apps {
            for c in app["passwordCredentials"].as_array().into_iter().flatten() {
                expiring += usize::from(days_until(&c["endDateTime"], now) <= 30);
                let start: DateTime<Utc> = c["startDateTime"].as_str().expect("start").parse().expect("date");
                let end: DateTime<Utc> = c["endDateTime"].as_str().expect("end").parse().expect("date");
                long_secrets += usize::from((end - start).num_days() > 180);
            }
            for c in app["keyCredentials"].as_array().into_iter().flatten() {
                expiring += usize::from(days_until(&c["endDateTime"], now) <= 30);
            }
            unowned += usize::from(app["owners"].as_array().is_none_or(Vec::is_empty));
        }
        let over: Vec<(String, String)> = grants(&sim, &token)
            .await
            .into_iter()
            .filter(|(_, p)| HIGH.contains(&p.as_str()))
            .collect();
        seen.push((profile, expiring, long_secrets, unowned, over.len()));
        sim.shutdown().await;
    }
    assert_eq!(
        seen,
        vec![
            (Profile::Hardened, 0, 0, 0, 0),
            (Profile::Typical, 1, 1, 1, 1),
            (Profile::Neglected, 2, 3, 3, 7),
        ]
    );
}
