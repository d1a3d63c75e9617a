//! AssessmentService over real gRPC: manual starts and their preconditions, findings filters and
//! paging, and tenant isolation.

use posture_assessment::service::store::{NewAssessment, Trigger};
use posture_graph_sim::Profile;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::{AssessmentId, TenantId};
use posture_proto::v1 as pb;
use tonic::Code;

use crate::pipeline::spec;
use crate::world::{World, findings};

posture_kit::db_test!(
    manual_start_needs_a_completed_sync_run_and_no_running_assessment,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        let start = || pb::StartAssessmentRequest {
            tenant_id: tid.clone(),
        };

        let never_synced = world
            .assessments()
            .start_assessment(start())
            .await
            .expect_err("no run yet");
        assert_eq!(never_synced.code(), Code::FailedPrecondition, "{never_synced:?}");
        assert!(
            never_synced.message().contains("sync"),
            "{}",
            never_synced.message()
        );

        let run = world.sync(&tenant).await;
        world.assessment_of_run(&tenant, &run.run_id).await;
        let manual = world.assess_now(&tenant).await;
        assert_eq!(manual.state, pb::AssessmentState::Succeeded as i32, "{manual:#?}");
        assert_eq!(manual.trigger, pb::AssessmentTrigger::Manual as i32);
        assert_eq!(manual.sync_run_id, run.run_id);
        assert_eq!(manual.requested_by, "anonymous");

        // An assessment of the tenant in progress (as another replica would have it).
        let running = AssessmentId::new_random();
        world
            .assessment()
            .store()
            .create_assessment(&NewAssessment {
                assessment_id: running,
                tenant_id: tid.parse::<TenantId>().expect("tenant id"),
                trigger: Trigger::Manual,
                requested_by: "someone",
                sync_run_id: run.run_id.parse().expect("run id"),
                pack_version: "builtin",
                requested_at: chrono::Utc::now(),
            })
            .await
            .expect("an active assessment");
        let busy = world
            .assessments()
            .start_assessment(start())
            .await
            .expect_err("one runs");
        assert_eq!(busy.code(), Code::AlreadyExists, "{busy:?}");
        assert!(
            busy.message().contains(&running.to_string()),
            "{}",
            busy.message()
        );

        let bad = world
            .assessments()
            .start_assessment(pb::StartAssessmentRequest {
                tenant_id: "contoso.com".into(),
            })
            .await
            .expect_err("not a GUID");
        assert_eq!(bad.code(), Code::InvalidArgument);
    }
);

posture_kit::db_test!(
    findings_filter_and_page_in_severity_order,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Neglected)).await;
        let run = world.sync(&tenant).await;
        let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
        let id = assessment.assessment_id.clone();

        let all = world.all_findings(&tenant, &id).await;
        let paged = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                page_size: 7,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(paged, all, "pages of 7 add up to the whole list");
        for pair in all.windows(2) {
            let ordered = pair[0].severity > pair[1].severity
                || (pair[0].severity == pair[1].severity && pair[0].control_id < pair[1].control_id);
            assert!(ordered, "{} before {}", pair[0].control_id, pair[1].control_id);
        }

        // An empty assessment id means the latest succeeded one.
        let latest = findings(&world, &tenant, pb::ListFindingsRequest::default()).await;
        assert_eq!(latest, all);

        let failed = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                results: vec![pb::ControlResult::Fail as i32, pb::ControlResult::Warning as i32],
                ..Default::default()
            },
        )
        .await;
        let expected: Vec<_> = all
            .iter()
            .filter(|f| {
                f.result == pb::ControlResult::Fail as i32 || f.result == pb::ControlResult::Warning as i32
            })
            .cloned()
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(failed, expected);

        let high = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                min_severity: pb::Severity::High as i32,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            high,
            all.iter()
                .filter(|f| f.severity >= pb::Severity::High as i32)
                .cloned()
                .collect::<Vec<_>>()
        );

        let scuba = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                framework: "cisa-scuba".into(),
                ..Default::default()
            },
        )
        .await;
        assert!(!scuba.is_empty());
        assert_eq!(
            scuba,
            all.iter()
                .filter(|f| f.references.iter().any(|r| r.framework == "cisa-scuba"))
                .cloned()
                .collect::<Vec<_>>()
        );

        let one = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                control_id: "entra.ca.mfa-all-users".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(one.len(), 1);
        let not_accepted = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: id.clone(),
                accepted: Some(false),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(not_accepted, all, "nothing is accepted without exceptions");

        let bad = world
            .assessments()
            .list_findings(pb::ListFindingsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                assessment_id: id.clone(),
                page_token: "not-a-token".into(),
                ..Default::default()
            })
            .await
            .expect_err("bad token");
        assert_eq!(bad.code(), Code::InvalidArgument);
        // A token is tied to the filters it was issued for.
        let first = world
            .assessments()
            .list_findings(pb::ListFindingsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                assessment_id: id.clone(),
                page_size: 7,
                ..Default::default()
            })
            .await
            .expect("first page")
            .into_inner();
        assert!(!first.next_page_token.is_empty());
        let replayed = world
            .assessments()
            .list_findings(pb::ListFindingsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                assessment_id: id.clone(),
                page_size: 7,
                min_severity: pb::Severity::High as i32,
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await
            .expect_err("token of other filters");
        assert_eq!(replayed.code(), Code::InvalidArgument);
        assert!(
            replayed.message().contains("other filters"),
            "{}",
            replayed.message()
        );
        let bad = world
            .assessments()
            .list_findings(pb::ListFindingsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                assessment_id: id.clone(),
                results: vec![42],
                ..Default::default()
            })
            .await
            .expect_err("bad result");
        assert_eq!(bad.code(), Code::InvalidArgument);
    }
);

posture_kit::db_test!(
    another_tenants_assessment_is_not_found,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Hardened)).await;
        let other = world.tenant(spec(Profile::Neglected)).await;
        let run = world.sync(&tenant).await;
        let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
        let other_id = other.tenant_id.to_string();

        let get = world
            .assessments()
            .get_assessment(pb::GetAssessmentRequest {
                tenant_id: other_id.clone(),
                assessment_id: assessment.assessment_id.clone(),
            })
            .await
            .expect_err("another tenant's assessment");
        assert_eq!(get.code(), Code::NotFound, "{get:?}");
        let list = world
            .assessments()
            .list_findings(pb::ListFindingsRequest {
                tenant_id: other_id.clone(),
                assessment_id: assessment.assessment_id.clone(),
                ..Default::default()
            })
            .await
            .expect_err("another tenant's findings");
        assert_eq!(list.code(), Code::NotFound, "{list:?}");
        let latest = world
            .assessments()
            .get_latest_assessment(pb::GetLatestAssessmentRequest {
                tenant_id: other_id.clone(),
            })
            .await
            .expect_err("the other tenant has none");
        assert_eq!(latest.code(), Code::NotFound);
        let listed = world
            .assessments()
            .list_assessments(pb::ListAssessmentsRequest {
                tenant_id: other_id,
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner();
        assert!(listed.assessments.is_empty(), "{listed:#?}");
        let own = world
            .assessments()
            .get_assessment(pb::GetAssessmentRequest {
                tenant_id: tenant.tenant_id.to_string(),
                assessment_id: assessment.assessment_id.clone(),
            })
            .await
            .expect("own assessment")
            .into_inner()
            .assessment
            .expect("assessment");
        assert_eq!(own, assessment);
    }
);

#[tokio::test]
async fn an_abandoned_assessment_does_not_block_the_tenant() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let tid = tenant.tenant_id.to_string();
    let run = world.sync(&tenant).await;
    world.assessment_of_run(&tenant, &run.run_id).await;
    // Left PENDING by a process that died 20 minutes ago.
    let abandoned = AssessmentId::new_random();
    world
        .assessment()
        .store()
        .create_assessment(&NewAssessment {
            assessment_id: abandoned,
            tenant_id: tid.parse::<TenantId>().expect("tenant id"),
            trigger: Trigger::Manual,
            requested_by: "someone",
            sync_run_id: run.run_id.parse().expect("run id"),
            pack_version: "builtin",
            requested_at: chrono::Utc::now() - chrono::Duration::minutes(20),
        })
        .await
        .expect("an old active assessment");

    let manual = world.assess_now(&tenant).await;
    assert_eq!(manual.state, pb::AssessmentState::Succeeded as i32, "{manual:#?}");
    let old = world
        .assessments()
        .get_assessment(pb::GetAssessmentRequest {
            tenant_id: tid,
            assessment_id: abandoned.to_string(),
        })
        .await
        .expect("still readable")
        .into_inner()
        .assessment
        .expect("assessment");
    assert_eq!(old.state, pb::AssessmentState::Failed as i32);
    assert_eq!(old.error.map(|e| e.code).as_deref(), Some("ABANDONED"));
}
