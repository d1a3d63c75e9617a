//! From a completed sync run to a stored assessment: the run-completed consumer reads the
//! inventory through the sync role, stores one finding per control and announces the result;
//! a redelivered event assesses nothing twice; a permission gap becomes control errors with the
//! sync's reason.

use posture_assessment::PolicyPack;
use posture_bus::{BusExt, MessageId, topics};
use posture_graph_sim::{Profile, TenantSpec, ThrottleMode};
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::TenantId;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;

use crate::events::next_completed;
use crate::world::{World, finding};

pub fn spec(profile: Profile) -> TenantSpec {
    TenantSpec {
        profile,
        users: 40,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

/// The shared body: a completed sync run is assessed, stored and announced once.
pub async fn completed_run_is_assessed_and_announced(world: World) {
    let mut completions = world.completions().await;
    let tenant = world.tenant(spec(Profile::Neglected)).await;
    let run = world.sync(&tenant).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");

    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(
        assessment.state,
        pb::AssessmentState::Succeeded as i32,
        "{assessment:#?}"
    );
    assert_eq!(assessment.requested_by, "sync");
    assert!(
        assessment.pack_version.starts_with("builtin-"),
        "{}",
        assessment.pack_version
    );
    let controls = PolicyPack::builtin().controls().len() as u32;
    let counts = assessment.counts.expect("counts");
    assert_eq!(
        counts.passed + counts.failed + counts.warning + counts.not_applicable + counts.error,
        controls
    );
    assert!(counts.failed > 0, "a neglected tenant fails controls: {counts:?}");
    let frameworks: Vec<&str> = assessment.scores.iter().map(|s| s.framework.as_str()).collect();
    for expected in ["cis-m365", "cisa-scuba", "overall"] {
        assert!(frameworks.contains(&expected), "{frameworks:?}");
    }

    let findings = world.all_findings(&tenant, &assessment.assessment_id).await;
    assert_eq!(findings.len() as u32, controls);
    let mfa = finding(&findings, "entra.ca.mfa-all-users");
    assert_eq!(mfa.result, pb::ControlResult::Fail as i32, "{mfa:#?}");
    let admins = finding(&findings, "entra.roles.global-admin-count-cis");
    assert!(!admins.evidence.is_empty(), "{admins:#?}");
    assert_eq!(admins.evidence_total as usize, admins.evidence.len());

    let event = next_completed(&mut completions).await;
    assert_eq!(event.tenant_id, tenant.tenant_id.to_string());
    let announced = event.assessment.expect("assessment in the event");
    assert_eq!(announced.assessment_id, assessment.assessment_id);
    assert_eq!(announced.state, pb::AssessmentState::Succeeded as i32);

    let latest = world
        .assessments()
        .get_latest_assessment(pb::GetLatestAssessmentRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect("latest")
        .into_inner()
        .assessment
        .expect("assessment");
    assert_eq!(latest.assessment_id, assessment.assessment_id);
}

posture_kit::db_test!(
    completed_sync_run_is_assessed_stored_and_announced,
    |db: TestDatabase| async move {
        completed_run_is_assessed_and_announced(World::new(db).await).await;
    }
);

posture_kit::db_test!(
    redelivered_run_completed_creates_no_second_assessment,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let first = world.sync(&tenant).await;
        let assessed = world.assessment_of_run(&tenant, &first.run_id).await;

        // The same event again under a new message id, as after a crash between the work and the
        // ack; the bus's duplicate window would drop a republish with the original id.
        let again = ev::SyncRunCompleted {
            event_id: format!("{}.completed.again", first.run_id),
            occurred_at: None,
            tenant_id: tenant.tenant_id.to_string(),
            run: Some(first.clone()),
        };
        let tenant_id = TenantId::from_uuid(tenant.tenant_id).expect("tenant id");
        let subject = topics::RUN_COMPLETED.subject(&tenant_id);
        world
            .bus
            .publish_message(
                subject,
                MessageId::new(again.event_id.clone()).expect("id"),
                &again,
            )
            .await
            .expect("republished");
        // One consumer worker handles events in order: once the next run is assessed, the
        // redelivery has been handled.
        let second = world.sync(&tenant).await;
        let next = world.assessment_of_run(&tenant, &second.run_id).await;
        assert_ne!(next.assessment_id, assessed.assessment_id);

        let all = world
            .assessments()
            .list_assessments(pb::ListAssessmentsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner()
            .assessments;
        let of_first: Vec<_> = all.iter().filter(|a| a.sync_run_id == first.run_id).collect();
        assert_eq!(of_first.len(), 1, "{all:#?}");
        assert_eq!(of_first[0].assessment_id, assessed.assessment_id);
        assert_eq!(all.len(), 2, "{all:#?}");
        // Newest first.
        assert_eq!(all[0].assessment_id, next.assessment_id);
    }
);

/// Every permission the sync needs, except `missing`.
pub(crate) fn permissions_without(missing: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = posture_sync::kinds::ALL
        .iter()
        .flat_map(|k| k.spec().permissions.iter().map(|p| (*p).to_owned()))
        .filter(|p| !missing.contains(&p.as_str()))
        .collect();
    all.sort();
    all.dedup();
    all
}

#[tokio::test]
async fn missing_permission_turns_the_controls_that_need_it_into_errors_with_the_reason() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            permissions: Some(permissions_without(&["Policy.Read.All", "AuditLog.Read.All"])),
            ..spec(Profile::Hardened)
        })
        .await;
    let run = world.sync(&tenant).await;
    assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(assessment.state, pb::AssessmentState::Succeeded as i32);
    let findings = world.all_findings(&tenant, &assessment.assessment_id).await;

    let mfa = finding(&findings, "entra.ca.mfa-all-users");
    assert_eq!(mfa.result, pb::ControlResult::Error as i32, "{mfa:#?}");
    assert!(
        mfa.reason.contains("conditional_access_policies"),
        "{}",
        mfa.reason
    );
    assert!(mfa.reason.contains("Policy.Read.All"), "{}", mfa.reason);

    let stale = finding(&findings, "posture.accounts.stale");
    assert_eq!(stale.result, pb::ControlResult::Error as i32, "{stale:#?}");
    assert!(stale.reason.contains("user_sign_in_activity"), "{}", stale.reason);
    assert!(stale.reason.contains("AuditLog.Read.All"), "{}", stale.reason);

    // Controls over what was read are still decided.
    let admins = finding(&findings, "entra.roles.global-admin-count-cis");
    assert_ne!(admins.result, pb::ControlResult::Error as i32, "{admins:#?}");
}

#[tokio::test]
async fn a_run_that_read_nothing_is_stored_as_a_failed_assessment_with_the_reason() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let mut completions = world.completions().await;
    let tenant = world
        .tenant(TenantSpec {
            permissions: Some(Vec::new()),
            ..spec(Profile::Typical)
        })
        .await;
    let run = world.sync(&tenant).await;
    assert_eq!(run.state, pb::SyncRunState::Failed as i32, "{run:#?}");
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(
        assessment.state,
        pb::AssessmentState::Failed as i32,
        "{assessment:#?}"
    );
    let error = assessment.error.clone().expect("a reason");
    assert_eq!(error.code, "SYNC_RUN_FAILED");
    assert!(error.message.contains(&run.run_id), "{error:?}");
    let event = next_completed(&mut completions).await;
    assert_eq!(
        event.assessment.map(|a| a.state),
        Some(pb::AssessmentState::Failed as i32)
    );
    // A failed assessment is not the latest result.
    let latest = world
        .assessments()
        .get_latest_assessment(pb::GetLatestAssessmentRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .expect_err("nothing succeeded");
    assert_eq!(latest.code(), tonic::Code::NotFound);
}
