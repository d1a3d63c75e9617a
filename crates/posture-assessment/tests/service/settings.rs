//! Per-tenant assessment settings: validated at the API, saved, and used by the next assessment
//! (declared emergency-access accounts are the exclusions a broad policy may have).

use std::collections::HashMap;

use posture_graph_sim::Profile;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use serde_json::Value;
use tonic::Code;

use crate::pipeline::spec;
use crate::world::{World, finding};

posture_kit::db_test!(
    settings_are_validated_saved_and_used_by_the_next_assessment,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Hardened)).await;
        let tid = tenant.tenant_id.to_string();
        let update =
            |accounts: Vec<String>, parameters: HashMap<String, f64>| pb::UpdateAssessmentSettingsRequest {
                tenant_id: tid.clone(),
                emergency_access_accounts: accounts,
                parameters,
            };

        let defaults = world
            .assessments()
            .get_assessment_settings(pb::GetAssessmentSettingsRequest {
                tenant_id: tid.clone(),
            })
            .await
            .expect("settings")
            .into_inner()
            .settings
            .expect("settings");
        assert!(defaults.emergency_access_accounts.is_empty() && defaults.parameters.is_empty());
        assert!(defaults.updated_at.is_none());
        assert_eq!(defaults.effective_parameters.get("stale_days"), Some(&90.0));

        for (bad, field) in [
            (
                update(vec!["breakglass@contoso.com".into()], HashMap::new()),
                "emergency_access_accounts",
            ),
            (
                update(
                    (0..51).map(|_| uuid::Uuid::new_v4().to_string()).collect(),
                    HashMap::new(),
                ),
                "emergency_access_accounts",
            ),
            (
                update(Vec::new(), HashMap::from([("no_such_parameter".to_owned(), 1.0)])),
                "parameters",
            ),
            (
                update(Vec::new(), HashMap::from([("stale_days".to_owned(), -5.0)])),
                "parameters",
            ),
            (
                update(
                    Vec::new(),
                    HashMap::from([("mfa_coverage_threshold".to_owned(), 2.0)]),
                ),
                "parameters",
            ),
        ] {
            let status = world
                .assessments()
                .update_assessment_settings(bad)
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(status.message().contains(field), "{}", status.message());
        }

        let run = world.sync(&tenant).await;
        let without = world.assessment_of_run(&tenant, &run.run_id).await;
        let before = world.all_findings(&tenant, &without.assessment_id).await;
        let mfa_before = finding(&before, "entra.ca.mfa-all-users").clone();

        // The operator declares the break-glass accounts; the simulator names them so.
        let users = world
            .inventory()
            .list_objects(pb::ListObjectsRequest {
                tenant_id: tid.clone(),
                entity_kind: "users".into(),
                view: pb::ObjectView::Full as i32,
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("users")
            .into_inner()
            .objects;
        let breakglass: Vec<String> = users
            .iter()
            .filter_map(|o| serde_json::from_str::<Value>(&o.content_json).ok())
            .filter(|u| {
                u["userPrincipalName"]
                    .as_str()
                    .is_some_and(|upn| upn.starts_with("breakglass"))
            })
            .filter_map(|u| u["id"].as_str().map(|id| id.to_uppercase()))
            .collect();
        assert!(
            !breakglass.is_empty(),
            "the hardened profile has break-glass accounts"
        );
        let saved = world
            .assessments()
            .update_assessment_settings(update(
                breakglass.clone(),
                HashMap::from([("stale_days".to_owned(), 30.0)]),
            ))
            .await
            .expect("saved")
            .into_inner()
            .settings
            .expect("settings");
        let mut expected: Vec<String> = breakglass.iter().map(|id| id.to_lowercase()).collect();
        expected.sort();
        assert_eq!(
            saved.emergency_access_accounts, expected,
            "stored as lower-case GUIDs"
        );
        assert_eq!(saved.effective_parameters.get("stale_days"), Some(&30.0));
        assert_eq!(saved.updated_by, "anonymous");
        assert!(saved.updated_at.is_some());

        let with = world.assess_now(&tenant).await;
        let after = world.all_findings(&tenant, &with.assessment_id).await;
        let mfa_after = finding(&after, "entra.ca.mfa-all-users");
        assert_eq!(mfa_after.result, pb::ControlResult::Pass as i32, "{mfa_after:#?}");
        assert_ne!(
            mfa_before.result,
            pb::ControlResult::Pass as i32,
            "undeclared exclusions: {mfa_before:#?}"
        );
        let stale = finding(&after, "posture.accounts.stale");
        assert!(stale.reason.contains("30 days"), "{}", stale.reason);
    }
);
