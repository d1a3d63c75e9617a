//! The HTML report rendered from what the public API returns.

use posture_graph_sim::Profile;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;

use crate::pipeline::spec;
use crate::world::World;

#[tokio::test]
async fn report_from_the_api_lists_every_control_with_its_stored_result() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(spec(Profile::Neglected)).await;
    let run = world.sync(&tenant).await;
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    let findings = world.all_findings(&tenant, &assessment.assessment_id).await;
    let controls = world
        .assessments()
        .list_controls(pb::ListControlsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("controls")
        .into_inner()
        .controls;

    let html = posture_assessment::render_html_from_api(&assessment, &findings, &controls);
    assert!(html.contains(&format!("Security assessment: {}", tenant.tenant_id)));
    assert!(html.contains(&format!("<code>{}</code>", assessment.assessment_id)));
    assert!(html.contains(&assessment.pack_version));
    for f in &findings {
        let label = match pb::ControlResult::try_from(f.result).expect("result") {
            pb::ControlResult::Pass => "pass",
            pb::ControlResult::Fail => "fail",
            pb::ControlResult::Warning => "warning",
            pb::ControlResult::NotApplicable => "not applicable",
            _ => "error",
        };
        assert!(
            html.contains(&format!("<code>{}</code>", f.control_id)),
            "{}",
            f.control_id
        );
        let class = label.replace(' ', "_");
        assert!(
            html.contains(&format!("<td class=\"{class}\">{label}"))
                || html.contains(&format!("<span class=\"{class}\">{label}")),
            "{} {label}",
            f.control_id
        );
    }
    // The same scores the engine computed, recomputed from the findings.
    for framework in ["overall", "cis-m365-v7", "cisa-scuba"] {
        let name = posture_assessment::framework_title(framework);
        assert!(html.contains(&format!("<h3>{name}</h3>")), "{framework}");
    }
    let named =
        posture_assessment::render_html_from_api_named(&assessment, &findings, &controls, "Contoso <Ltd>");
    assert!(named.contains("Contoso &lt;Ltd&gt;"));
}

/// CIS reads the typical tenant's MFA exclusion (a project group) as a documented exception to
/// review where SCuBA fails it: the framework's own verdict is stored, served and reported, and
/// the CIS score counts the warning.
#[tokio::test]
async fn per_framework_result_is_stored_served_and_reported() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let run = world.sync(&tenant).await;
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    let findings = world.all_findings(&tenant, &assessment.assessment_id).await;

    let mfa = crate::world::finding(&findings, "entra.ca.mfa-all-users");
    assert_eq!(mfa.result, pb::ControlResult::Fail as i32, "{mfa:#?}");
    assert_eq!(mfa.framework_results.len(), 1, "{mfa:#?}");
    let cis = &mfa.framework_results[0];
    assert_eq!(
        (cis.framework.as_str(), cis.framework_version.as_str()),
        ("cis-m365", "7")
    );
    assert_eq!(cis.result, pb::ControlResult::Warning as i32, "{cis:#?}");
    assert!(cis.reason.contains("documented exceptions"), "{}", cis.reason);
    let kinds: Vec<&str> = cis
        .evidence
        .iter()
        .filter_map(|e| e.object.as_ref().map(|o| o.entity_kind.as_str()))
        .collect();
    assert!(
        kinds.contains(&"groups"),
        "the excluded group is evidence: {kinds:?}"
    );
    // Findings where every framework agrees carry no entries.
    let legacy = crate::world::finding(&findings, "entra.ca.legacy-auth-blocked");
    assert!(legacy.framework_results.is_empty(), "{legacy:#?}");

    let controls = world
        .assessments()
        .list_controls(pb::ListControlsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("controls")
        .into_inner()
        .controls;
    let html = posture_assessment::render_html_from_api(&assessment, &findings, &controls);
    assert!(
        html.contains(
            "<strong>CIS Microsoft 365 Foundations v7</strong> judges it <span class=\"warning\">warning</span>"
        ),
        "the report shows CIS's own verdict"
    );
    let stored_cis = assessment
        .scores
        .iter()
        .find(|s| s.framework == "cis-m365")
        .and_then(|s| s.counts)
        .expect("CIS score");
    assert!(stored_cis.warning >= 1, "{stored_cis:?}");
}
