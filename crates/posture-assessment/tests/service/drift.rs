//! Baselines and drift over real gRPC, with the real sync role reading the simulator: a changed
//! Conditional Access policy is one drift item with its patch and is announced; an accepted item
//! reopens when the policy changes again; a template baseline applied to three tenants shows
//! each one's own drift, overrides included; requests are validated.

use posture_bus::topics;
use posture_graph_sim::{Mutation, Profile, TenantInfo, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;
use posture_proto::v1::drift_service_client::DriftServiceClient;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::events::next_event;
use crate::pipeline::spec;
use crate::world::{PATIENCE, World};

const CA: &str = "conditional_access_policies";

fn drift_client(world: &World) -> DriftServiceClient<Channel> {
    DriftServiceClient::new(world.channel.clone())
}

fn as_principal<T>(name: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    posture_kit::grpc::set_principal(request.metadata_mut(), name);
    request
}

/// The tenant's open drift (every state), newest first.
pub(crate) async fn open_drift(world: &World, tenant: &TenantInfo) -> Vec<pb::Drift> {
    drift_client(world)
        .list_drift(pb::ListDriftRequest {
            tenant_id: tenant.tenant_id.to_string(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("drift is listed")
        .into_inner()
        .drift
}

/// Waits until the tenant's open drift satisfies `wanted` (the drift consumer runs after the
/// sync run completes, beside the assessment).
pub(crate) async fn drift_until(
    world: &World,
    tenant: &TenantInfo,
    wanted: impl Fn(&[pb::Drift]) -> bool,
) -> Vec<pb::Drift> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let drift = open_drift(world, tenant).await;
        if wanted(&drift) {
            return drift;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "drift never became as expected: {drift:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// An enabled Conditional Access policy of the tenant: (id, display name).
pub(crate) async fn enabled_policy(world: &World, tenant: &TenantInfo) -> (String, String) {
    let objects = world
        .inventory()
        .list_objects(pb::ListObjectsRequest {
            tenant_id: tenant.tenant_id.to_string(),
            entity_kind: CA.to_owned(),
            view: pb::ObjectView::Full as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("policies are listed")
        .into_inner()
        .objects;
    objects
        .iter()
        .find_map(|o| {
            let content: serde_json::Value = serde_json::from_str(&o.content_json).ok()?;
            (content["state"] == "enabled").then(|| {
                (
                    content["id"].as_str().unwrap_or_default().to_owned(),
                    content["displayName"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .expect("an enabled policy")
}

pub(crate) async fn create_baseline(world: &World, source: &TenantInfo, name: &str) -> pb::Baseline {
    drift_client(world)
        .create_baseline(as_principal(
            "ops@msp",
            pb::CreateBaselineRequest {
                display_name: name.to_owned(),
                description: "the MSP's Conditional Access standard".to_owned(),
                source_tenant_id: source.tenant_id.to_string(),
                entity_kinds: vec![CA.to_owned()],
            },
        ))
        .await
        .expect("baseline is created")
        .into_inner()
        .baseline
        .expect("baseline")
}

pub(crate) async fn apply(
    world: &World,
    baseline: &pb::Baseline,
    tenants: &[&TenantInfo],
    overrides: Vec<pb::BaselineOverride>,
) -> pb::Baseline {
    drift_client(world)
        .apply_baseline(as_principal(
            "ops@msp",
            pb::ApplyBaselineRequest {
                baseline_id: baseline.baseline_id.clone(),
                tenant_ids: tenants.iter().map(|t| t.tenant_id.to_string()).collect(),
                overrides,
            },
        ))
        .await
        .expect("baseline is applied")
        .into_inner()
        .baseline
        .expect("baseline")
}

posture_kit::db_test!(
    a_changed_policy_drifts_and_an_accepted_item_reopens_when_it_changes_again,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        world.sync(&tenant).await;
        let baseline = create_baseline(&world, &tenant, "Contoso today").await;
        assert!(baseline.pinned_count > 0);
        assert_eq!(baseline.pinned.len() as u32, baseline.pinned_count);
        let applied = apply(&world, &baseline, &[&tenant], Vec::new()).await;
        assert_eq!(applied.applied_tenant_ids, [tid.as_str()]);
        assert!(
            open_drift(&world, &tenant).await.is_empty(),
            "the tenant is its own baseline"
        );

        let mut announced = world.events(topics::DRIFT_DETECTED.filter()).await;
        let (policy_id, policy_name) = enabled_policy(&world, &tenant).await;
        world
            .sim
            .mutate(
                &tid,
                Mutation::DisableCaPolicy {
                    policy_id: policy_id.clone(),
                },
            )
            .expect("policy disabled");
        world.sync(&tenant).await;
        let drift = drift_until(&world, &tenant, |d| !d.is_empty()).await;
        assert_eq!(drift.len(), 1, "{drift:#?}");
        let item = &drift[0];
        assert_eq!(item.kind, pb::DriftKind::Changed as i32);
        assert_eq!(item.state, pb::DriftState::New as i32);
        assert_eq!(item.baseline_id, baseline.baseline_id);
        let object = item.object.as_ref().expect("object");
        assert_eq!(
            (
                object.entity_kind.as_str(),
                object.object_id.as_str(),
                object.display_name.as_str()
            ),
            (CA, policy_id.as_str(), policy_name.as_str())
        );
        // modifiedDateTime changed too; it is volatile and not part of the patch.
        assert_eq!(
            item.json_patch,
            r#"[{"op":"replace","path":"/state","value":"disabled"}]"#
        );
        assert!(item.current_version > item.baseline_version, "{item:#?}");
        assert!(item.changed_at.is_some());

        let event: ev::DriftDetected =
            next_event(&mut announced, |d| d.decode().expect("DriftDetected decodes")).await;
        assert_eq!(event.tenant_id, tid);
        assert_eq!(event.drift_ids, [item.drift_id.as_str()]);
        assert_eq!(event.open_drift_count, 1);
        assert!(!event.sync_run_id.is_empty());

        let accepted = drift_client(&world)
            .update_drift_state(as_principal(
                "secops@contoso",
                pb::UpdateDriftStateRequest {
                    tenant_id: tid.clone(),
                    drift_id: item.drift_id.clone(),
                    state: pb::DriftState::Accepted as i32,
                    comment: "paused during the migration".to_owned(),
                    accepted_until: None,
                },
            ))
            .await
            .expect("accepted")
            .into_inner()
            .drift
            .expect("drift");
        assert_eq!(accepted.state, pb::DriftState::Accepted as i32);
        assert_eq!(accepted.state_changed_by, "secops@contoso");
        assert_eq!(accepted.state_comment, "paused during the migration");

        // A sync that changes nothing keeps the verdict.
        world.sync(&tenant).await;
        let fetched = drift_client(&world)
            .get_drift(pb::GetDriftRequest {
                tenant_id: tid.clone(),
                drift_id: item.drift_id.clone(),
            })
            .await
            .expect("drift is read")
            .into_inner()
            .drift
            .expect("drift");
        assert_eq!(fetched.state, pb::DriftState::Accepted as i32);

        world
            .sim
            .mutate(
                &tid,
                Mutation::SetCaPolicyState {
                    policy_id: policy_id.clone(),
                    state: "enabledForReportingButNotEnforced".to_owned(),
                },
            )
            .expect("policy changed again");
        world.sync(&tenant).await;
        let reopened = drift_until(&world, &tenant, |d| {
            d.iter().any(|i| i.state == pb::DriftState::New as i32)
        })
        .await;
        assert_eq!(reopened.len(), 1, "{reopened:#?}");
        assert_eq!(reopened[0].drift_id, item.drift_id, "the same item reopens");
        assert_eq!(
            reopened[0].json_patch,
            r#"[{"op":"replace","path":"/state","value":"enabledForReportingButNotEnforced"}]"#
        );
        assert!(reopened[0].state_comment.contains("changed again"));

        // Back to the baseline's state: the item is resolved.
        world
            .sim
            .mutate(
                &tid,
                Mutation::SetCaPolicyState {
                    policy_id,
                    state: "enabled".to_owned(),
                },
            )
            .expect("policy restored");
        world.sync(&tenant).await;
        drift_until(&world, &tenant, <[pb::Drift]>::is_empty).await;
        let history = drift_client(&world)
            .list_drift(pb::ListDriftRequest {
                tenant_id: tid.clone(),
                include_resolved: true,
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner()
            .drift;
        assert_eq!(history.len(), 1);
        assert!(history[0].resolved_at.is_some());
    }
);

posture_kit::db_test!(
    a_template_baseline_applied_to_three_tenants_shows_each_ones_drift,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let seeded = |seed: u64| TenantSpec {
            seed,
            ..spec(Profile::Typical)
        };
        let template = world.tenant(seeded(100)).await;
        let first = world.tenant(seeded(101)).await;
        let second = world.tenant(seeded(102)).await;
        let third = world.tenant(seeded(103)).await;
        for tenant in [&template, &first, &second, &third] {
            world.sync(tenant).await;
        }
        let baseline = create_baseline(&world, &template, "MSP standard").await;

        // The second tenant disabled a policy; the third did too, and agreed that with the MSP.
        let (second_policy, _) = enabled_policy(&world, &second).await;
        let (third_policy, third_name) = enabled_policy(&world, &third).await;
        for (tenant, policy) in [(&second, &second_policy), (&third, &third_policy)] {
            world
                .sim
                .mutate(
                    &tenant.tenant_id.to_string(),
                    Mutation::DisableCaPolicy {
                        policy_id: policy.clone(),
                    },
                )
                .expect("policy disabled");
            world.sync(tenant).await;
        }
        let agreed = pb::BaselineOverride {
            tenant_id: third.tenant_id.to_string(),
            entity_kind: CA.to_owned(),
            display_name: third_name,
            ignored_paths: vec!["/state".to_owned()],
        };
        let applied = apply(&world, &baseline, &[&first, &second, &third], vec![agreed]).await;
        assert_eq!(applied.applied_tenant_ids.len(), 3);
        assert_eq!(applied.overrides.len(), 1);

        // Ids, members and groups differ between the tenants and are not drift.
        assert!(open_drift(&world, &first).await.is_empty());
        let second_drift = open_drift(&world, &second).await;
        assert_eq!(second_drift.len(), 1, "{second_drift:#?}");
        assert_eq!(
            second_drift[0].object.as_ref().map(|o| o.object_id.as_str()),
            Some(second_policy.as_str())
        );
        assert_eq!(
            second_drift[0].json_patch,
            r#"[{"op":"replace","path":"/state","value":"disabled"}]"#
        );
        assert!(
            open_drift(&world, &third).await.is_empty(),
            "the override covers it"
        );
        assert!(
            open_drift(&world, &template).await.is_empty(),
            "not applied to the template"
        );

        let listed = drift_client(&world)
            .list_baselines(pb::ListBaselinesRequest {
                applied_tenant_id: second.tenant_id.to_string(),
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner()
            .baselines;
        assert_eq!(listed.len(), 1);
        assert!(listed[0].pinned.is_empty(), "lists leave pins out");

        let refused = drift_client(&world)
            .delete_baseline(pb::DeleteBaselineRequest {
                baseline_id: baseline.baseline_id.clone(),
            })
            .await
            .expect_err("applied baselines stay");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    }
);

posture_kit::db_test!(
    drift_requests_are_validated_with_the_right_codes,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        let mut client = drift_client(&world);
        let code = |r: Result<tonic::Response<pb::UpdateDriftStateResponse>, tonic::Status>| {
            r.expect_err("refused").code()
        };
        let update = |drift_id: &str, state: i32, comment: &str| pb::UpdateDriftStateRequest {
            tenant_id: tid.clone(),
            drift_id: drift_id.to_owned(),
            state,
            comment: comment.to_owned(),
            accepted_until: None,
        };
        let unknown = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            code(client.update_drift_state(update("drift-1", 2, "ok")).await),
            Code::InvalidArgument
        );
        assert_eq!(
            code(client.update_drift_state(update(&unknown, 9, "ok")).await),
            Code::InvalidArgument
        );
        assert_eq!(
            code(client.update_drift_state(update(&unknown, 2, " ")).await),
            Code::InvalidArgument,
            "a verdict needs a reason"
        );
        assert_eq!(
            code(client.update_drift_state(update(&unknown, 2, "ok")).await),
            Code::NotFound
        );
        let no_kind = client
            .create_baseline(pb::CreateBaselineRequest {
                display_name: "x".to_owned(),
                source_tenant_id: tid.clone(),
                entity_kinds: vec!["users".to_owned()],
                ..Default::default()
            })
            .await
            .expect_err("users are not configuration");
        assert_eq!(no_kind.code(), Code::InvalidArgument);
        assert!(no_kind.message().contains("configuration"), "{no_kind:?}");
        let unsynced = client
            .create_baseline(pb::CreateBaselineRequest {
                display_name: "x".to_owned(),
                source_tenant_id: tid.clone(),
                entity_kinds: vec![CA.to_owned()],
                ..Default::default()
            })
            .await
            .expect_err("nothing synced yet");
        assert_eq!(unsynced.code(), Code::FailedPrecondition);
        let missing = client
            .apply_baseline(pb::ApplyBaselineRequest {
                baseline_id: unknown.clone(),
                tenant_ids: vec![tid.clone()],
                overrides: Vec::new(),
            })
            .await
            .expect_err("no such baseline");
        assert_eq!(missing.code(), Code::NotFound);
        let bad_token = client
            .list_drift(pb::ListDriftRequest {
                tenant_id: tid.clone(),
                page_token: "not-a-token".to_owned(),
                ..Default::default()
            })
            .await
            .expect_err("bad token");
        assert_eq!(bad_token.code(), Code::InvalidArgument);
    }
);

posture_kit::db_test!(
    an_acceptance_with_an_end_reopens_after_it,
    |db: TestDatabase| async move {
        let clock = posture_kit::clock::ManualClock::new(chrono::Utc::now());
        let world = World::with_clock(db, std::sync::Arc::new(clock.clone())).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        world.sync(&tenant).await;
        let baseline = create_baseline(&world, &tenant, "Contoso today").await;
        apply(&world, &baseline, &[&tenant], Vec::new()).await;
        let (policy_id, _) = enabled_policy(&world, &tenant).await;
        world
            .sim
            .mutate(&tid, Mutation::DisableCaPolicy { policy_id })
            .expect("policy disabled");
        world.sync(&tenant).await;
        let drift = drift_until(&world, &tenant, |d| !d.is_empty()).await;
        let until = chrono::Utc::now() + chrono::Duration::days(7);
        let accepted = drift_client(&world)
            .update_drift_state(pb::UpdateDriftStateRequest {
                tenant_id: tid.clone(),
                drift_id: drift[0].drift_id.clone(),
                state: pb::DriftState::Accepted as i32,
                comment: "until the pilot ends".to_owned(),
                accepted_until: Some(prost_types::Timestamp {
                    seconds: until.timestamp(),
                    nanos: 0,
                }),
            })
            .await
            .expect("accepted")
            .into_inner()
            .drift
            .expect("drift");
        assert_eq!(
            accepted.accepted_until.map(|t| t.seconds),
            Some(until.timestamp())
        );

        clock.advance(chrono::Duration::days(8));
        world.sync(&tenant).await;
        let reopened = drift_until(&world, &tenant, |d| {
            d.iter().any(|i| i.state == pb::DriftState::New as i32)
        })
        .await;
        assert_eq!(reopened[0].drift_id, drift[0].drift_id);
        assert!(reopened[0].state_comment.contains("ran out"), "{reopened:#?}");
        assert!(reopened[0].accepted_until.is_none());
    }
);
