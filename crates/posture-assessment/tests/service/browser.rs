//! The customer report in a real browser: a report of a realistic assessment (the simulator's
//! typical tenant without one permission, synced twice with a Conditional Access policy disabled in
//! between, so it has a banner, a trend and open drift) is opened in headless Chromium at 1400×900
//! and nothing may reach past the window's right edge. The page, screenshots and the printed PDF
//! are kept under the target directory (`report-check/`) for a person to look at. Without a
//! Chromium on the machine the test says so loudly and passes (CI installs one).

use posture_graph_sim::{Mutation, Profile, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_testkit::browser::Browser;

use crate::drift::{apply, create_baseline, drift_until, enabled_policy};
use crate::pipeline::{permissions_without, spec};
use crate::world::World;

/// The window the issue asked about: a laptop-sized browser window.
const WIDTH: u32 = 1400;
const HEIGHT: u32 = 900;

/// Renders the report of a tenant with a missing permission, a score that dropped and open drift.
async fn realistic_report() -> (String, String) {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            display_name: Some("Northwind Traders & Co".to_owned()),
            permissions: Some(permissions_without(&["AuditLog.Read.All"])),
            ..spec(Profile::Typical)
        })
        .await;
    world.sync(&tenant).await;
    let baseline = create_baseline(&world, &tenant, "Northwind standard").await;
    apply(&world, &baseline, &[&tenant], Vec::new()).await;
    let (policy_id, _) = enabled_policy(&world, &tenant).await;
    world
        .sim
        .mutate(
            &tenant.tenant_id.to_string(),
            Mutation::DisableCaPolicy { policy_id },
        )
        .expect("policy disabled");
    let run = world.sync(&tenant).await;
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(
        assessment.state,
        pb::AssessmentState::Succeeded as i32,
        "{assessment:#?}"
    );
    let drift = drift_until(&world, &tenant, |d| !d.is_empty()).await;
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
    let history = world.all_assessments(&tenant).await;
    assert!(history.len() >= 2, "two syncs, two assessments: {history:#?}");
    let html = posture_assessment::render_report_from_api(
        &assessment,
        &findings,
        &controls,
        &posture_assessment::ApiReportContext {
            tenant_display_name: &tenant.display_name,
            drift: Some(&drift),
            history: &history,
            notes: &[],
        },
    );
    (html, assessment.assessment_id)
}

#[tokio::test]
async fn report_of_a_realistic_assessment_fits_a_1400_px_window_in_chromium() {
    let (html, assessment_id) = realistic_report().await;
    // What the page must say before it is worth looking at.
    assert!(html.contains("<title>Security assessment: Northwind Traders &amp; Co</title>"));
    assert!(html.contains(&assessment_id));
    assert!(html.contains("Not everything could be evaluated"));
    assert!(
        html.contains("AuditLog.Read.All"),
        "the banner names the missing permission"
    );
    assert!(html.contains("since "), "a trend against the first assessment");
    assert!(html.contains("<h2>Configuration drift</h2>"));

    let Some(browser) = Browser::find("the browser check of the customer report") else {
        return;
    };
    let layout = browser.layout("report", &html, WIDTH, HEIGHT).await;
    assert_eq!(layout.inner_width, u64::from(WIDTH), "{layout:#?}");
    assert!(layout.fits(), "the report does not fit {WIDTH} px: {layout:#?}");
    eprintln!(
        "report checked in Chromium at {WIDTH} px: {}, {} and {}",
        layout.screenshot.display(),
        layout.full_page.display(),
        layout.pdf.display()
    );
}
