//! Risk exceptions over real gRPC: accepted findings keep their live result, object-scoped
//! exceptions cover only their objects, expiry ends acceptance, withdrawal is audited, and the
//! request is validated.

use std::sync::Arc;

use chrono::{Duration, Utc};
use posture_graph_sim::Profile;
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use tonic::{Code, Request};

use crate::pipeline::spec;
use crate::world::{World, finding, findings};

fn as_principal<T>(name: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    posture_kit::grpc::set_principal(request.metadata_mut(), name);
    request
}

fn at(instant: chrono::DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    })
}

posture_kit::db_test!(
    exceptions_accept_findings_until_they_expire_or_are_withdrawn,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(Utc::now());
        let world = World::with_clock(db, Arc::new(clock.clone())).await;
        let tenant = world.tenant(spec(Profile::Neglected)).await;
        let other = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        let run = world.sync(&tenant).await;
        let first = world.assessment_of_run(&tenant, &run.run_id).await;
        let before = world.all_findings(&tenant, &first.assessment_id).await;
        let failing: Vec<&pb::Finding> = before
            .iter()
            .filter(|f| f.result == pb::ControlResult::Fail as i32)
            .collect();
        let partly = failing
            .iter()
            .find(|f| f.evidence.len() >= 2)
            .copied()
            .expect("a failing control with several objects");
        let whole = failing
            .iter()
            .find(|f| f.control_id != partly.control_id)
            .copied()
            .expect("a second failing control");
        let now = posture_kit::clock::Clock::now(&clock);

        let create = |control: &str, objects: Vec<String>, days: i64| pb::CreateExceptionRequest {
            tenant_id: tid.clone(),
            control_id: control.to_owned(),
            object_ids: objects,
            reason: "compensating control in place".to_owned(),
            owner: "security team".to_owned(),
            expires_at: at(now + Duration::days(days)),
        };
        let whole_exception = world
            .exceptions()
            .create_exception(as_principal("alice", create(&whole.control_id, Vec::new(), 30)))
            .await
            .expect("whole-control exception")
            .into_inner()
            .exception
            .expect("exception");
        assert_eq!(whole_exception.state, pb::ExceptionState::Active as i32);
        assert_eq!(whole_exception.created_by, "alice");
        let covered = partly.evidence[0].object.clone().expect("object").object_id;
        let object_exception = world
            .exceptions()
            .create_exception(as_principal(
                "alice",
                create(&partly.control_id, vec![covered.clone()], 60),
            ))
            .await
            .expect("object exception")
            .into_inner()
            .exception
            .expect("exception");

        for (bad, code) in [
            (
                pb::CreateExceptionRequest {
                    expires_at: at(now - Duration::days(1)),
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
            (
                create(&whole.control_id, Vec::new(), 4 * 365),
                Code::InvalidArgument,
            ),
            (
                pb::CreateExceptionRequest {
                    expires_at: None,
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
            (
                pb::CreateExceptionRequest {
                    reason: " ".into(),
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
            (
                pb::CreateExceptionRequest {
                    owner: String::new(),
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
            (
                pb::CreateExceptionRequest {
                    reason: "x".repeat(2001),
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
            (create("no.such.control", Vec::new(), 1), Code::NotFound),
            (
                pb::CreateExceptionRequest {
                    tenant_id: "nope".into(),
                    ..create(&whole.control_id, Vec::new(), 1)
                },
                Code::InvalidArgument,
            ),
        ] {
            let status = world
                .exceptions()
                .create_exception(bad)
                .await
                .expect_err("refused");
            assert_eq!(status.code(), code, "{status:?}");
        }

        let second = world.assess_now(&tenant).await;
        let after = world.all_findings(&tenant, &second.assessment_id).await;
        let accepted = finding(&after, &whole.control_id);
        assert!(accepted.accepted, "{accepted:#?}");
        assert_eq!(
            accepted.result,
            pb::ControlResult::Fail as i32,
            "the live result stays"
        );
        assert_eq!(accepted.exception_ids, vec![whole_exception.exception_id.clone()]);
        let partial = finding(&after, &partly.control_id);
        assert!(
            !partial.accepted,
            "one object of several is not the whole control"
        );
        assert_eq!(partial.exception_ids, vec![object_exception.exception_id.clone()]);
        for item in &partial.evidence {
            let id = &item.object.as_ref().expect("object").object_id;
            assert_eq!(item.accepted, *id == covered, "{id}");
        }
        assert_eq!(second.counts.expect("counts").accepted, 1);
        let only_accepted = findings(
            &world,
            &tenant,
            pb::ListFindingsRequest {
                assessment_id: second.assessment_id.clone(),
                accepted: Some(true),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            only_accepted
                .iter()
                .map(|f| f.control_id.as_str())
                .collect::<Vec<_>>(),
            vec![whole.control_id.as_str()]
        );
        // Exceptions apply from the next assessment on; the first one stays as it was judged.
        let unchanged = world.all_findings(&tenant, &first.assessment_id).await;
        assert!(!finding(&unchanged, &whole.control_id).accepted);

        clock.advance(Duration::days(31));
        let listed = |include_expired: bool| pb::ListExceptionsRequest {
            tenant_id: tid.clone(),
            include_expired,
            ..Default::default()
        };
        let active = world
            .exceptions()
            .list_exceptions(listed(false))
            .await
            .expect("list")
            .into_inner()
            .exceptions;
        assert_eq!(
            active.iter().map(|e| e.exception_id.clone()).collect::<Vec<_>>(),
            vec![object_exception.exception_id.clone()]
        );
        let with_expired = world
            .exceptions()
            .list_exceptions(listed(true))
            .await
            .expect("list")
            .into_inner()
            .exceptions;
        assert_eq!(with_expired.len(), 2);
        assert_eq!(
            with_expired[0].exception_id, whole_exception.exception_id,
            "ordered by expiry"
        );
        assert_eq!(with_expired[0].state, pb::ExceptionState::Expired as i32);
        let third = world.assess_now(&tenant).await;
        let expired = world.all_findings(&tenant, &third.assessment_id).await;
        let no_longer = finding(&expired, &whole.control_id);
        assert!(
            !no_longer.accepted && no_longer.exception_ids.is_empty(),
            "{no_longer:#?}"
        );

        let delete = |tenant_id: &str| pb::DeleteExceptionRequest {
            tenant_id: tenant_id.to_owned(),
            exception_id: object_exception.exception_id.clone(),
            reason: "control fixed".to_owned(),
        };
        let foreign = world
            .exceptions()
            .delete_exception(delete(&other.tenant_id.to_string()))
            .await
            .expect_err("another tenant's exception");
        assert_eq!(foreign.code(), Code::NotFound);
        world
            .exceptions()
            .delete_exception(as_principal("bob", delete(&tid)))
            .await
            .expect("withdrawn");
        let again = world
            .exceptions()
            .delete_exception(delete(&tid))
            .await
            .expect_err("already withdrawn");
        assert_eq!(again.code(), Code::NotFound);
        let left = world
            .exceptions()
            .list_exceptions(listed(false))
            .await
            .expect("list")
            .into_inner()
            .exceptions;
        assert!(left.is_empty(), "{left:#?}");
        let audit = world
            .assessment()
            .store()
            .exception_audit(&tid.parse().expect("tenant id"), &object_exception.exception_id)
            .await
            .expect("audit");
        let trail: Vec<(&str, &str, &str)> = audit
            .iter()
            .map(|a| (a.action.as_str(), a.actor.as_str(), a.reason.as_str()))
            .collect();
        assert_eq!(
            trail,
            vec![
                ("create", "alice", "compensating control in place"),
                ("delete", "bob", "control fixed")
            ]
        );
    }
);
