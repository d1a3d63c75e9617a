//! Delta rounds: changes, removals, member changes, and expired tokens.

use std::time::Duration;

use futures::StreamExt;
use posture_graph::{
    DeltaChange, DeltaPage, EntityKind, GraphClient, GraphError, RemovalReason, delta, models,
};
use posture_graph_sim::{FaultRule, FaultSpec, Mutation, TenantSpec};
use url::Url;

use crate::common::rig;

async fn round<T: serde::de::DeserializeOwned + Send + 'static>(
    client: &GraphClient,
    kind: EntityKind,
    from: Option<Url>,
) -> Result<(Vec<DeltaChange<T>>, Url), GraphError> {
    let spec = kind.spec();
    let url = match from {
        Some(u) => u,
        None => spec.delta_url(client)?.expect("entity supports delta"),
    };
    let mut stream = std::pin::pin!(delta::<T>(client.clone(), spec.request_at(url)));
    let mut changes = Vec::new();
    let mut link = None;
    while let Some(page) = stream.next().await {
        let DeltaPage {
            changes: c,
            delta_link,
            ..
        } = page?;
        changes.extend(c);
        link = delta_link.or(link);
    }
    Ok((changes, link.expect("a round ends with a deltaLink")))
}

#[tokio::test]
async fn user_delta_reports_upserts_and_removals_then_a_new_link() {
    let r = rig(TenantSpec {
        users: 120,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let (initial, link) = round::<models::User>(&client, EntityKind::Users, None)
        .await
        .expect("initial round");
    let truth = r.sim.ground_truth(&r.tenant_id(), "users").expect("ground truth");
    assert_eq!(initial.len(), truth.count);

    let victim = truth.objects[3]["id"].as_str().expect("user id").to_owned();
    let renamed = truth.objects[5]["id"].as_str().expect("user id").to_owned();
    let tid = r.tenant_id();
    r.sim
        .mutate(
            &tid,
            Mutation::DeleteUser {
                user_id: victim.clone(),
            },
        )
        .expect("delete");
    r.sim
        .mutate(
            &tid,
            Mutation::UpdateUser {
                user_id: renamed.clone(),
                account_enabled: Some(false),
                display_name: None,
            },
        )
        .expect("update");
    r.sim
        .mutate(
            &tid,
            Mutation::AddUser {
                id: None,
                display_name: Some("New Hire".into()),
                guest: true,
            },
        )
        .expect("add");

    let (changes, next_link) = round::<models::User>(&client, EntityKind::Users, Some(link.clone()))
        .await
        .expect("second round");
    assert_ne!(next_link, link);
    assert!(changes.iter().any(|c| matches!(c, DeltaChange::Removed { id, reason } if *id == victim && matches!(reason, RemovalReason::Changed | RemovalReason::Deleted))));
    assert!(changes.iter().any(|c| matches!(c, DeltaChange::Upsert(u) if u.value.id == renamed && u.value.account_enabled == Some(false))));
    assert!(
        changes.iter().any(
            |c| matches!(c, DeltaChange::Upsert(u) if u.value.display_name.as_deref() == Some("New Hire"))
        )
    );
}

#[tokio::test]
async fn group_delta_carries_member_changes() {
    let r = rig(TenantSpec {
        users: 80,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let (_, link) = round::<models::Group>(&client, EntityKind::Groups, None)
        .await
        .expect("initial round");
    let groups = r.sim.ground_truth(&r.tenant_id(), "groups").expect("groups");
    // An assigned-membership group (dynamic ones take every newcomer by themselves), and not the
    // first one: the simulator's nested-group lookup underflows on group index 0.
    let group = groups.objects[1..]
        .iter()
        .find(|g| !g["groupTypes"].to_string().contains("DynamicMembership"))
        .and_then(|g| g["id"].as_str())
        .expect("an assigned group")
        .to_owned();
    let newcomer = uuid::Uuid::new_v4();
    let member = newcomer.to_string();
    r.sim
        .mutate(
            &r.tenant_id(),
            Mutation::AddUser {
                id: Some(newcomer),
                display_name: Some("Joiner".into()),
                guest: false,
            },
        )
        .expect("add user");
    r.sim
        .mutate(
            &r.tenant_id(),
            Mutation::AddGroupMember {
                group_id: group.clone(),
                member_id: member.clone(),
            },
        )
        .expect("add member");
    let (changes, _) = round::<models::Group>(&client, EntityKind::Groups, Some(link))
        .await
        .expect("second round");
    let changed = changes.iter().find_map(|c| match c {
        DeltaChange::Upsert(g) if g.value.id == group => Some(g),
        _ => None,
    });
    let changed = changed.expect("the group appears in the delta");
    let members = changed.value.members_delta.clone().unwrap_or_default();
    assert!(
        members.iter().any(|m| m.id == member && m.removed.is_none()),
        "{}",
        changed.raw.get()
    );
}

#[tokio::test]
async fn delta_token_older_than_seven_days_requires_resync() {
    let r = rig(TenantSpec {
        users: 30,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let (_, link) = round::<models::User>(&client, EntityKind::Users, None)
        .await
        .expect("initial round");
    r.sim.advance_clock(Duration::from_secs(8 * 86_400));
    // Eight days later the old access token has long expired too: a fresh client gets a new one.
    let client = r.client();
    let err = round::<models::User>(&client, EntityKind::Users, Some(link))
        .await
        .expect_err("expired token");
    assert!(matches!(err, GraphError::ResyncRequired { .. }), "{err}");
    assert_eq!(
        err.health(),
        None,
        "an expired delta token is not a connection problem"
    );
    let statuses: Vec<u16> = r.api_log().iter().map(|l| l.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        1,
        "never retried: {statuses:?}"
    );
}

#[tokio::test]
async fn delta_gone_hands_back_a_fresh_link() {
    let r = rig(TenantSpec {
        users: 30,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let (_, link) = round::<models::User>(&client, EntityKind::Users, None)
        .await
        .expect("initial round");
    let rule = FaultRule {
        path: "*".into(),
        delta_gone: true,
        ..Default::default()
    };
    r.sim
        .set_faults(
            &r.tenant_id(),
            FaultSpec {
                seed: 1,
                rules: vec![rule],
            },
        )
        .expect("faults set");
    let err = round::<models::User>(&client, EntityKind::Users, Some(link))
        .await
        .expect_err("gone");
    match err {
        GraphError::ResyncRequired {
            fresh_link: Some(fresh),
            ..
        } => assert!(fresh.path().ends_with("/delta"), "{fresh}"),
        other => panic!("expected a resync with a fresh link, got {other}"),
    }
}
