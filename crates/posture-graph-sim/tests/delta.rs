//! Delta queries for users and groups: rounds, change tracking, token expiry and forced resync.

mod common;

use common::*;
use posture_graph_sim::{FaultRule, FaultSpec, Mutation};
use serde_json::Value;

/// Follows a delta round to its deltaLink; returns the items and the deltaLink.
async fn round(sim: &posture_graph_sim::Simulator, token: &str, start: &str) -> (Vec<Value>, String) {
    let mut next = start.to_string();
    let mut items = Vec::new();
    loop {
        let r = client()
            .get(&next)
            .bearer_auth(token)
            .send()
            .await
            .expect("delta page");
        assert_eq!(r.status(), 200, "delta page {next}");
        let v: Value = r.json().await.expect("json");
        items.extend(v["value"].as_array().cloned().unwrap_or_default());
        if let Some(n) = v["@odata.nextLink"].as_str() {
            next = n.to_string();
        } else {
            let _ = sim;
            return (
                items,
                v["@odata.deltaLink"].as_str().expect("deltaLink").to_string(),
            );
        }
    }
}

#[tokio::test]
async fn user_delta_reports_changes_and_soft_deletes_since_the_last_round() {
    let (sim, info) = sim_with(unthrottled(450)).await;
    let tid = info.tenant_id.to_string();
    let token = graph_token(&sim, &info).await;
    let (initial, delta_link) = round(
        &sim,
        &token,
        &url(
            &sim,
            "/graph/v1.0/users/delta?$select=id,displayName,accountEnabled",
        ),
    )
    .await;
    assert_eq!(initial.len(), 450);
    assert!(delta_link.contains("deltatoken="));
    let users = sim.ground_truth(&tid, "users").expect("users");
    let victim = users.objects[20]["id"].as_str().expect("id").to_string();
    let renamed = users.objects[21]["id"].as_str().expect("id").to_string();
    sim.mutate(
        &tid,
        Mutation::DeleteUser {
            user_id: victim.clone(),
        },
    )
    .expect("delete");
    sim.mutate(
        &tid,
        Mutation::UpdateUser {
            user_id: renamed.clone(),
            account_enabled: Some(false),
            display_name: Some("Renamed Person".into()),
        },
    )
    .expect("update");
    sim.mutate(
        &tid,
        Mutation::AddUser {
            id: None,
            display_name: Some("Fresh Hire".into()),
            guest: false,
        },
    )
    .expect("add");
    let (changes, next_link) = round(&sim, &token, &delta_link).await;
    assert_eq!(changes.len(), 3, "{changes:?}");
    let removed = changes
        .iter()
        .find(|c| c["id"] == victim.as_str())
        .expect("deleted user reported");
    assert_eq!(removed["@removed"]["reason"], "changed");
    let updated = changes
        .iter()
        .find(|c| c["id"] == renamed.as_str())
        .expect("updated user");
    assert_eq!(updated["displayName"], "Renamed Person");
    assert_eq!(updated["accountEnabled"], false);
    assert!(changes.iter().any(|c| c["displayName"] == "Fresh Hire"));
    let (nothing, _) = round(&sim, &token, &next_link).await;
    assert!(nothing.is_empty(), "no changes since the last round");
}

#[tokio::test]
async fn deltatoken_latest_returns_only_a_delta_link() {
    let (sim, info) = sim_with(unthrottled(50)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/users/delta?$deltatoken=latest").await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(0));
    assert!(body["@odata.deltaLink"].is_string());
}

#[tokio::test]
async fn delta_token_older_than_seven_days_is_sync_state_not_found() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let (_, delta_link) = round(&sim, &token, &url(&sim, "/graph/v1.0/users/delta")).await;
    sim.advance_clock(std::time::Duration::from_secs(7 * 86_400 + 60));
    let fresh = graph_token(&sim, &info).await;
    let r = client()
        .get(&delta_link)
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("delta");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "syncStateNotFound");
    assert_eq!(
        body["error"]["message"],
        "The sync state generation is not found. The delta token is expired and data must be synchronized again."
    );
}

#[tokio::test]
async fn forced_gone_on_delta_carries_a_location_for_resync() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let (_, delta_link) = round(&sim, &token, &url(&sim, "/graph/v1.0/users/delta?$select=id")).await;
    sim.set_faults(
        &info.tenant_id.to_string(),
        FaultSpec {
            seed: 1,
            rules: vec![FaultRule {
                path: "/v1.0/users/delta".into(),
                delta_gone: true,
                ..FaultRule::default()
            }],
        },
    )
    .expect("faults");
    let r = client()
        .get(&delta_link)
        .bearer_auth(&token)
        .send()
        .await
        .expect("delta");
    assert_eq!(r.status(), 410);
    let location = r.headers()["location"].to_str().expect("location").to_string();
    assert!(
        location.contains("/v1.0/users/delta") && !location.contains("deltatoken"),
        "{location}"
    );
}

#[tokio::test]
async fn group_delta_reports_member_additions_and_removals() {
    let (sim, info) = sim_with(unthrottled(200)).await;
    let tid = info.tenant_id.to_string();
    let token = graph_token(&sim, &info).await;
    let (initial, delta_link) = round(
        &sim,
        &token,
        &url(&sim, "/graph/v1.0/groups/delta?$select=id,displayName,members"),
    )
    .await;
    assert!(initial.iter().all(|g| g.get("members@delta").is_some()));
    let groups = sim.ground_truth(&tid, "groups").expect("groups");
    let team = groups.objects[5]["id"].as_str().expect("id").to_string();
    let members = sim
        .ground_truth(&tid, &format!("groups/{team}/members"))
        .expect("members");
    let leaving = members.objects[0]["id"].as_str().expect("member").to_string();
    let joining = sim.ground_truth(&tid, "users").expect("users").objects[1]["id"]
        .as_str()
        .expect("id")
        .to_string();
    sim.mutate(
        &tid,
        Mutation::RemoveGroupMember {
            group_id: team.clone(),
            member_id: leaving.clone(),
        },
    )
    .expect("remove");
    sim.mutate(
        &tid,
        Mutation::AddGroupMember {
            group_id: team.clone(),
            member_id: joining.clone(),
        },
    )
    .expect("add");
    let (changes, _) = round(&sim, &token, &delta_link).await;
    assert_eq!(changes.len(), 1);
    let delta = changes[0]["members@delta"].as_array().expect("members@delta");
    assert!(
        delta
            .iter()
            .any(|m| m["id"] == joining.as_str() && m.get("@removed").is_none())
    );
    assert!(
        delta
            .iter()
            .any(|m| m["id"] == leaving.as_str() && m["@removed"]["reason"] == "deleted")
    );
    let after = sim
        .ground_truth(&tid, &format!("groups/{team}/members"))
        .expect("after");
    assert_eq!(after.count, members.count);
    assert!(after.objects.iter().any(|m| m["id"] == joining.as_str()));
}

#[tokio::test]
async fn delta_filtered_by_ids_tracks_only_those_objects() {
    let (sim, info) = sim_with(unthrottled(300)).await;
    let tid = info.tenant_id.to_string();
    let token = graph_token(&sim, &info).await;
    let users = sim.ground_truth(&tid, "users").expect("users");
    let (a, b, c) = (
        users.objects[11]["id"].as_str().expect("a").to_string(),
        users.objects[12]["id"].as_str().expect("b").to_string(),
        users.objects[13]["id"].as_str().expect("c").to_string(),
    );
    let start = url(
        &sim,
        &format!(
            "/graph/v1.0/users/delta?$select=id,displayName&$filter=id%20eq%20'{a}'%20or%20id%20eq%20'{b}'"
        ),
    );
    let (initial, link) = round(&sim, &token, &start).await;
    assert_eq!(initial.len(), 2);
    sim.mutate(
        &tid,
        Mutation::UpdateUser {
            user_id: b.clone(),
            account_enabled: None,
            display_name: Some("B renamed".into()),
        },
    )
    .expect("b");
    sim.mutate(
        &tid,
        Mutation::UpdateUser {
            user_id: c.clone(),
            account_enabled: None,
            display_name: Some("C renamed".into()),
        },
    )
    .expect("c");
    let (changes, _) = round(&sim, &token, &link).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["id"], b.as_str());
    let (status, body) = get_json(
        &sim,
        &token,
        "/graph/v1.0/users/delta?$filter=userType%20eq%20'Guest'",
    )
    .await;
    assert_eq!(status, 400, "{body}");
}
