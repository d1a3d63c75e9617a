//! Paths other Graph clients read that Posture's sync does not: a user's licence details, one role
//! definition by id, the advanced-hunting action, and the segment Graph names when a path does not
//! resolve. The simulator should satisfy any Graph client, not only ours.

mod common;

use common::*;
use posture_graph_sim::{Profile, TenantSpec, ThrottleMode};
use serde_json::{Value, json};

fn spec(permissions: Option<&[&str]>) -> TenantSpec {
    TenantSpec {
        profile: Profile::Typical,
        users: 30,
        permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

async fn post_json(sim: &posture_graph_sim::Simulator, token: &str, path: &str, body: &str) -> (u16, Value) {
    let r = client()
        .post(url(sim, path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn license_details_follow_each_users_assigned_licences() {
    let (sim, info) = sim_with(spec(None)).await;
    let token = graph_token(&sim, &info).await;
    let (users, _) = all_pages(&sim, &token, "/graph/v1.0/users?$select=id,assignedLicenses").await;
    let (_, skus) = get_json(&sim, &token, "/graph/v1.0/subscribedSkus").await;
    let skus = skus["value"].as_array().expect("skus").clone();

    let mut licensed = 0;
    for user in &users {
        let id = user["id"].as_str().expect("id");
        let (status, details) =
            get_json(&sim, &token, &format!("/graph/v1.0/users/{id}/licenseDetails")).await;
        assert_eq!(status, 200, "{details}");
        assert!(
            details["@odata.context"]
                .as_str()
                .is_some_and(|c| c.ends_with(&format!("$metadata#users('{id}')/licenseDetails"))),
            "{details}"
        );
        let details = details["value"].as_array().expect("value");
        let assigned = user["assignedLicenses"].as_array().expect("assignedLicenses");
        assert_eq!(
            details.len(),
            assigned.len(),
            "one licenseDetails per assigned licence"
        );
        for (d, a) in details.iter().zip(assigned) {
            assert_eq!(d["skuId"], a["skuId"]);
            let sku = skus
                .iter()
                .find(|s| s["skuId"] == d["skuId"])
                .expect("a subscribed SKU");
            assert_eq!(d["skuPartNumber"], sku["skuPartNumber"]);
            assert_eq!(d["servicePlans"], sku["servicePlans"], "no plan is disabled");
            let keys: Vec<&str> = d
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["id", "servicePlans", "skuId", "skuPartNumber"]);
            assert!(
                d["id"]
                    .as_str()
                    .is_some_and(|i| !i.is_empty() && !i.contains('='))
            );
            licensed += 1;
        }
    }
    assert!(licensed > 0, "the typical tenant licenses its members");

    let (status, missing) = get_json(
        &sim,
        &token,
        "/graph/v1.0/users/00000000-0000-0000-0000-000000000000/licenseDetails",
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["error"]["code"], "Request_ResourceNotFound");

    let (denied_sim, denied_info) = sim_with(spec(Some(&["Policy.Read.All"]))).await;
    let denied_token = graph_token(&denied_sim, &denied_info).await;
    let id = users[0]["id"].as_str().expect("id");
    let (status, body) = get_json(
        &denied_sim,
        &denied_token,
        &format!("/graph/v1.0/users/{id}/licenseDetails"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
}

#[tokio::test]
async fn a_role_definition_is_read_by_its_id() {
    let (sim, info) = sim_with(spec(None)).await;
    let token = graph_token(&sim, &info).await;
    let (all, _) = all_pages(
        &sim,
        &token,
        "/graph/v1.0/roleManagement/directory/roleDefinitions",
    )
    .await;
    let ga = all
        .iter()
        .find(|d| d["templateId"] == "62e90394-69f5-4237-9190-012177145e10")
        .expect("Global Administrator");
    let id = ga["id"].as_str().expect("id");
    let (status, one) = get_json(
        &sim,
        &token,
        &format!("/graph/v1.0/roleManagement/directory/roleDefinitions/{id}"),
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["displayName"], "Global Administrator");
    assert!(
        one["@odata.context"]
            .as_str()
            .is_some_and(|c| c.contains("roleManagement/directory/roleDefinitions/$entity")),
        "{one}"
    );
    let (status, selected) = get_json(
        &sim,
        &token,
        &format!("/graph/v1.0/roleManagement/directory/roleDefinitions/{id}?$select=displayName"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(selected["displayName"], "Global Administrator");
    assert!(selected.get("rolePermissions").is_none(), "{selected}");

    let (status, missing) = get_json(
        &sim,
        &token,
        "/graph/v1.0/roleManagement/directory/roleDefinitions/not-a-role",
    )
    .await;
    assert_eq!(status, 404, "{missing}");
}

#[tokio::test]
async fn hunting_queries_are_refused_without_threat_hunting_permission() {
    let (sim, info) = sim_with(spec(Some(&["Directory.Read.All", "SecurityAlert.Read.All"]))).await;
    let token = graph_token(&sim, &info).await;
    let body = json!({ "Query": "DeviceProcessEvents | take 10" }).to_string();
    let (status, denied) = post_json(&sim, &token, "/graph/v1.0/security/runHuntingQuery", &body).await;
    assert_eq!(status, 403, "{denied}");
    assert_eq!(denied["error"]["code"], "Forbidden");
    assert!(
        denied["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ThreatHunting.Read.All")),
        "{denied}"
    );
    assert!(denied["error"]["innerError"]["request-id"].is_string());

    // The action is POST only.
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/security/runHuntingQuery").await;
    assert_eq!(status, 405);

    let (sim2, info2) = sim_with(spec(Some(&["ThreatHunting.Read.All"]))).await;
    let token2 = graph_token(&sim2, &info2).await;
    let (status, results) = post_json(&sim2, &token2, "/graph/v1.0/security/runHuntingQuery", &body).await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["schema"], json!([]));
    assert_eq!(results["results"], json!([]));
    let (status, bad) = post_json(&sim2, &token2, "/graph/v1.0/security/runHuntingQuery", "{").await;
    assert_eq!(status, 400, "{bad}");
    let (status, empty) = post_json(&sim2, &token2, "/graph/v1.0/security/runHuntingQuery", "{}").await;
    assert_eq!(status, 400, "{empty}");
    assert!(
        empty["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Query"))
    );

    // Inside $batch the step's body reaches the action.
    let batch = json!({ "requests": [
        { "id": "1", "method": "POST", "url": "/security/runHuntingQuery",
          "headers": { "content-type": "application/json" }, "body": { "Query": "IdentityLogonEvents" } },
    ]})
    .to_string();
    let (status, answered) = post_json(&sim2, &token2, "/graph/v1.0/$batch", &batch).await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered["responses"][0]["status"], 200, "{answered}");
}

#[tokio::test]
async fn an_unknown_segment_is_named_as_graph_names_it() {
    let (sim, info) = sim_with(spec(None)).await;
    let token = graph_token(&sim, &info).await;
    let (users, _) = all_pages(&sim, &token, "/graph/v1.0/users?$select=id").await;
    let id = users[0]["id"].as_str().expect("id");
    for (path, segment) in [
        ("/graph/v1.0/bogus".to_string(), "bogus"),
        ("/graph/v1.0/bogus/users".to_string(), "bogus"),
        (format!("/graph/v1.0/users/{id}/notARelation"), "notARelation"),
        (
            "/graph/v1.0/identity/conditionalAccess/polices".to_string(),
            "polices",
        ),
        (
            "/graph/v1.0/roleManagement/directory/roleAssignmentz".to_string(),
            "roleAssignmentz",
        ),
        (
            "/graph/v1.0/policies/authorizationPolicy/extra/deeper".to_string(),
            "extra",
        ),
    ] {
        let (status, body) = get_json(&sim, &token, &path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "BadRequest", "{path}");
        assert_eq!(
            body["error"]["message"],
            format!("Resource not found for the segment '{segment}'."),
            "{path}"
        );
    }
}
