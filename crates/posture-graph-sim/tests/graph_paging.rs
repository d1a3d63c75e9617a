//! Users and groups over Graph: paging, $top limits, $select, $filter, $count and headers.

mod common;

use common::*;
use posture_graph_sim::TenantSpec;

#[tokio::test]
async fn users_page_with_absolute_next_links_until_ground_truth_is_reached() {
    let (sim, info) = sim_with(unthrottled(2_500)).await;
    let token = graph_token(&sim, &info).await;
    let (users, pages) = all_pages(
        &sim,
        &token,
        "/graph/v1.0/users?$top=999&$select=id,displayName,userType",
    )
    .await;
    let truth = sim
        .ground_truth(&info.tenant_id.to_string(), "users")
        .expect("truth");
    assert_eq!(users.len(), truth.count);
    assert_eq!(pages, 3);
    let ids: std::collections::BTreeSet<_> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), truth.count, "no duplicates across pages");
    assert_eq!(
        users[0].as_object().map(|o| o.len()),
        Some(3),
        "only the selected properties: {}",
        users[0]
    );
}

#[tokio::test]
async fn next_link_carries_query_options_and_an_opaque_skiptoken() {
    let (sim, info) = sim_with(unthrottled(300)).await;
    let token = graph_token(&sim, &info).await;
    let (status, page) = get_json(&sim, &token, "/graph/v1.0/users?$top=100&$select=id").await;
    assert_eq!(status, 200);
    let next = page["@odata.nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("{}graph/v1.0/users?", sim.base_url())),
        "{next}"
    );
    assert!(next.contains("%24top=100") || next.contains("$top=100"), "{next}");
    assert!(next.contains("skiptoken="), "{next}");
    assert!(
        page["@odata.context"]
            .as_str()
            .unwrap_or("")
            .ends_with("$metadata#users(id)")
    );
}

#[tokio::test]
async fn top_above_999_is_rejected_with_microsofts_text() {
    let (sim, info) = sim_with(unthrottled(20)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users?$top=1000").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    );
    let inner = &body["error"]["innerError"];
    let date = inner["date"].as_str().expect("date");
    assert!(!date.ends_with('Z') && date.len() == 19, "{date}");
    assert!(inner["request-id"].is_string() && inner["client-request-id"].is_string());
    // With signInActivity the page maximum is 500.
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/users?$top=501&$select=id,signInActivity",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Invalid page size specified: '501'. Must be between 1 and 500 inclusive."
    );
}

#[tokio::test]
async fn default_user_properties_and_unknown_select_names() {
    let (sim, info) = sim_with(unthrottled(20)).await;
    let token = graph_token(&sim, &info).await;
    let (_, page) = get_json(&sim, &token, "/graph/v1.0/users?$top=1").await;
    let user = page["value"][0].as_object().expect("user");
    let mut keys: Vec<&str> = user.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users?$select=id,notAProperty").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("notAProperty")
    );
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/users?$select=id,skills").await;
    assert_eq!(status, 501);
}

#[tokio::test]
async fn guest_filter_matches_ground_truth() {
    let (sim, info) = sim_with(TenantSpec {
        users: 1_500,
        profile: posture_graph_sim::Profile::Neglected,
        throttling: posture_graph_sim::ThrottleMode::Off,
        ..TenantSpec::default()
    })
    .await;
    let token = graph_token(&sim, &info).await;
    let (guests, _) = all_pages(
        &sim,
        &token,
        "/graph/v1.0/users?$filter=userType%20eq%20'Guest'&$select=id,userType",
    )
    .await;
    let truth = sim
        .ground_truth(&info.tenant_id.to_string(), "users")
        .expect("truth");
    let expected = truth.objects.iter().filter(|u| u["userType"] == "Guest").count();
    assert!(expected > 0);
    assert_eq!(guests.len(), expected);
    assert!(guests.iter().all(|g| g["userType"] == "Guest"));
    let (disabled, _) = all_pages(
        &sim,
        &token,
        "/graph/v1.0/users?$filter=accountEnabled%20eq%20false&$select=id",
    )
    .await;
    assert_eq!(
        disabled.len(),
        truth
            .objects
            .iter()
            .filter(|u| u["accountEnabled"] == false)
            .count()
    );
}

#[tokio::test]
async fn count_needs_consistency_level_eventual() {
    let (sim, info) = sim_with(unthrottled(250)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users/$count").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "$count is not currently supported.");
    let r = client()
        .get(url(&sim, "/graph/v1.0/users/$count"))
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("count");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("text"), "250");
    // $count=true without the header is silently ignored; with it the first page carries the count.
    let (_, page) = get_json(&sim, &token, "/graph/v1.0/users?$count=true&$top=100").await;
    assert!(page.get("@odata.count").is_none());
    let r = client()
        .get(url(&sim, "/graph/v1.0/users?$count=true&$top=100"))
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("page");
    let first: serde_json::Value = r.json().await.expect("json");
    assert_eq!(first["@odata.count"], 250);
    let next = first["@odata.nextLink"].as_str().expect("next");
    let second: serde_json::Value = client()
        .get(next)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("p2")
        .json()
        .await
        .expect("json");
    assert!(
        second.get("@odata.count").is_none(),
        "count only on the first page"
    );
    // $search without the header is refused.
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users?$search=%22displayName:adele%22").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
}

#[tokio::test]
async fn graph_responses_carry_microsofts_headers_and_echo_client_request_id() {
    let (sim, info) = sim_with(unthrottled(20)).await;
    let token = graph_token(&sim, &info).await;
    let r = client()
        .get(url(&sim, "/graph//v1.0//users?$top=2"))
        .bearer_auth(&token)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "double slashes are tolerated");
    let h = r.headers();
    assert_eq!(h["client-request-id"], "abc-123");
    for name in [
        "request-id",
        "date",
        "x-ms-ags-diagnostic",
        "strict-transport-security",
        "odata-version",
        "x-ms-resource-unit",
    ] {
        assert!(h.contains_key(name), "{name}");
    }
    assert!(
        h["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json;odata.metadata=minimal")
    );
}

#[tokio::test]
async fn unknown_paths_and_missing_tokens_get_graph_errors() {
    let (sim, info) = sim_with(unthrottled(20)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/noSuchThing/at/all").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/users/00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    let r = client()
        .get(url(&sim, "/graph/v1.0/users"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _) = get_json(&sim, "not.a.token", "/graph/v1.0/users").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn expired_access_token_is_rejected_after_the_clock_moves() {
    let (sim, info) = sim_with(unthrottled(20)).await;
    let token = graph_token(&sim, &info).await;
    sim.advance_clock(std::time::Duration::from_secs(5_400));
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users").await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );
}

#[tokio::test]
async fn group_members_and_transitive_members_page() {
    let (sim, info) = sim_with(unthrottled(400)).await;
    let token = graph_token(&sim, &info).await;
    let tid = info.tenant_id.to_string();
    let groups = sim.ground_truth(&tid, "groups").expect("groups");
    assert_eq!(groups.count, 20);
    let all_company = groups
        .objects
        .iter()
        .find(|g| g["displayName"] == "All Company")
        .expect("all company");
    let gid = all_company["id"].as_str().expect("id");
    let (members, pages) = all_pages(
        &sim,
        &token,
        &format!("/graph/v1.0/groups/{gid}/members?$top=150"),
    )
    .await;
    assert_eq!(members.len(), 400);
    assert_eq!(pages, 3);
    assert!(
        members
            .iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.user")
    );
    let nesting = groups
        .objects
        .iter()
        .find(|g| g["displayName"].as_str().is_some_and(|n| n.ends_with(" 13")))
        .expect("group 13");
    let nid = nesting["id"].as_str().expect("id");
    let direct = sim
        .ground_truth(&tid, &format!("groups/{nid}/members"))
        .expect("direct");
    let (transitive, _) = all_pages(
        &sim,
        &token,
        &format!("/graph/v1.0/groups/{nid}/transitiveMembers"),
    )
    .await;
    assert!(
        direct
            .objects
            .iter()
            .any(|m| m["@odata.type"] == "#microsoft.graph.group"),
        "group 13 nests group 12"
    );
    assert!(
        transitive.len() > direct.count - 1,
        "transitive members include the nested group's members"
    );
}

#[tokio::test]
async fn sign_in_date_range_filter_returns_exactly_the_window() {
    let (sim, info) = sim_with(unthrottled(5_000)).await;
    let token = graph_token(&sim, &info).await;
    let tid = info.tenant_id.to_string();
    let truth = sim.ground_truth(&tid, "auditLogs/signIns").expect("sign-ins");
    let lo = "2026-05-20T00:00:00Z";
    let hi = "2026-05-21T00:00:00Z";
    let expected = truth
        .objects
        .iter()
        .filter(|s| s["createdDateTime"].as_str().is_some_and(|t| t >= lo && t <= hi))
        .count();
    assert!(expected > 100);
    let path = format!(
        "/graph/v1.0/auditLogs/signIns?$filter=createdDateTime%20ge%20{lo}%20and%20createdDateTime%20le%20{hi}"
    );
    let (items, pages) = all_pages(&sim, &token, &path).await;
    assert_eq!(items.len(), expected);
    assert!(
        pages <= 2,
        "the window is found without scanning the whole log: {pages} pages"
    );
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%202026-05-31T12:00:00Z",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["value"].as_array().is_some_and(|v| {
        !v.is_empty()
            && v.iter()
                .all(|a| a["activityDateTime"].as_str().unwrap_or("") >= "2026-05-31T12:00:00Z")
    }));
}

#[tokio::test]
async fn unfiltered_and_filtered_user_pages_serialise_users_identically() {
    let (sim, info) = sim_with(unthrottled(60)).await;
    let token = graph_token(&sim, &info).await;
    let select = "$select=signInActivity,id,displayName,onPremisesImmutableId,city,userType";
    let (_, plain) = get_json(&sim, &token, &format!("/graph/v1.0/users?$top=60&{select}")).await;
    let (_, filtered) = get_json(&sim, &token, &format!("/graph/v1.0/users?$top=60&{select}&$filter=accountEnabled%20eq%20true%20or%20accountEnabled%20eq%20false")).await;
    assert_eq!(plain["value"].as_array().map(Vec::len), Some(60));
    assert_eq!(plain["value"], filtered["value"]);
    assert!(
        plain["value"][0]
            .get("city")
            .is_some_and(serde_json::Value::is_null),
        "selected but unmodelled properties are null"
    );
}

#[tokio::test]
async fn microsoft_host_names_route_without_prefixes_and_links_keep_the_host() {
    let (sim, info) = sim_with(unthrottled(150)).await;
    let token = graph_token(&sim, &info).await;
    let r = client()
        .get(url(&sim, "/v1.0/users?$top=100&$select=id"))
        .header("host", "graph.microsoft.com")
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let page: serde_json::Value = r.json().await.expect("json");
    let next = page["@odata.nextLink"].as_str().expect("next");
    assert!(
        next.starts_with("http://graph.microsoft.com/v1.0/users?"),
        "{next}"
    );
    let id = info.client_id.to_string();
    let r = client()
        .post(url(&sim, &format!("/{}/oauth2/v2.0/token", info.tenant_id)))
        .header("host", "login.microsoftonline.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", info.client_secret.expose()),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn selected_properties_of_members_are_served_for_their_derived_types() {
    let (sim, info) = sim_with(unthrottled(400)).await;
    let token = graph_token(&sim, &info).await;
    let tid = info.tenant_id.to_string();
    let users = sim.ground_truth(&tid, "users").expect("users");
    let groups = sim.ground_truth(&tid, "groups").expect("groups");
    let group_id = |suffix: &str| {
        groups
            .objects
            .iter()
            .find(|g| g["displayName"].as_str().is_some_and(|n| n.ends_with(suffix)))
            .and_then(|g| g["id"].as_str())
            .expect("group")
            .to_string()
    };
    let select = "$select=id,onPremisesSyncEnabled,userPrincipalName";
    for path in ["members", "transitiveMembers"] {
        let all_company = group_id("All Company");
        let (members, _) = all_pages(
            &sim,
            &token,
            &format!("/graph/v1.0/groups/{all_company}/{path}?{select}&$top=999"),
        )
        .await;
        assert_eq!(members.len(), users.count, "{path}");
        let mut synced = 0;
        for m in &members {
            assert_eq!(m["@odata.type"], "#microsoft.graph.user", "{path}: {m}");
            let user = users
                .objects
                .iter()
                .find(|u| u["id"] == m["id"])
                .expect("member is a user");
            assert_eq!(
                m["onPremisesSyncEnabled"], user["onPremisesSyncEnabled"],
                "{path}: {m}"
            );
            assert_eq!(m["userPrincipalName"], user["userPrincipalName"], "{path}: {m}");
            synced += usize::from(m["onPremisesSyncEnabled"] == true);
        }
        assert!(synced > 0, "{path}: some members are synced from on-premises");
    }
    // A nested group comes back with the selected properties a group has, and no user ones.
    let nesting = group_id(" 13");
    let (members, _) = all_pages(
        &sim,
        &token,
        &format!("/graph/v1.0/groups/{nesting}/transitiveMembers?{select}"),
    )
    .await;
    let group = members
        .iter()
        .find(|m| m["@odata.type"] == "#microsoft.graph.group")
        .expect("the nested group");
    assert!(group.get("userPrincipalName").is_none(), "{group}");
    assert!(group.get("onPremisesSyncEnabled").is_some(), "{group}");
    // Without $select, members carry their type's default properties only.
    let (plain, _) = all_pages(&sim, &token, &format!("/graph/v1.0/groups/{nesting}/members")).await;
    let user = plain
        .iter()
        .find(|m| m["@odata.type"] == "#microsoft.graph.user")
        .expect("a user member");
    assert!(user.get("onPremisesSyncEnabled").is_none(), "{user}");
}
