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
    assert!(html.contains(&format!("Posture assessment: {}", tenant.tenant_id)));
    for f in &findings {
        let label = match pb::ControlResult::try_from(f.result).expect("result") {
            pb::ControlResult::Pass => "pass",
            pb::ControlResult::Fail => "fail",
            pb::ControlResult::Warning => "warning",
            pb::ControlResult::NotApplicable => "not applicable",
            _ => "error",
        };
        assert!(
            html.contains(&format!("<strong>{}</strong>", f.control_id)),
            "{}",
            f.control_id
        );
        let class = label.replace(' ', "_");
        assert!(
            html.contains(&format!("<td class=\"{class}\">{label}")),
            "{} {label}",
            f.control_id
        );
    }
    // The same scores the engine computed, recomputed from the findings.
    for framework in ["overall", "cis-m365-v7", "cisa-scuba"] {
        assert!(html.contains(&format!("<tr><td>{framework}</td>")), "{framework}");
    }
    let named =
        posture_assessment::render_html_from_api_named(&assessment, &findings, &controls, "Contoso <Ltd>");
    assert!(named.contains("Contoso &lt;Ltd&gt;"));
}
