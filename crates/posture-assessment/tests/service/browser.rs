//! The customer report in a real browser: a report of a realistic assessment (the simulator's
//! typical tenant without one permission, synced twice with a Conditional Access policy disabled in
//! between, so it has a banner, a trend and open drift) is opened in headless Chromium at 1400×900
//! and nothing may reach past the window's right edge. The page and screenshots are kept under
//! the target directory (`report-check/`) for a person to look at, with the PDF the browser prints.
//!
//! Chromium is found as `$POSTURE_CHROMIUM`, `chromium`, `chromium-browser` or `google-chrome`; on
//! a machine without any the test says so loudly and passes (CI installs Debian's `chromium`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use posture_graph_sim::{Mutation, Profile, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;

use crate::drift::{apply, create_baseline, drift_until, enabled_policy};
use crate::pipeline::{permissions_without, spec};
use crate::world::World;

/// The window the issue asked about: a laptop-sized browser window.
const WIDTH: u32 = 1400;
const HEIGHT: u32 = 900;

/// Records the layout on the page's root element once it has loaded: its scroll width, the
/// window's width, the elements whose right edge is past the window, and the cells and
/// paragraphs whose content is wider than they are (spilling into their neighbours).
const LAYOUT_PROBE: &str = r#"<script>
addEventListener('load', () => {
  const w = window.innerWidth;
  const root = document.documentElement;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 1).map(name).slice(0, 20);
  const spilling = [...document.querySelectorAll('td, th, li, p, dd, h1, h2, h3')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(name).slice(0, 20);
  root.setAttribute('data-layout', JSON.stringify({
    scrollWidth: root.scrollWidth, innerWidth: w, scrollHeight: root.scrollHeight, wide, spilling }));
});
</script>"#;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("POSTURE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let dirs = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&dirs).map(move |dir| dir.join(name)))
    .find(|path| path.is_file())
}

/// `report-check/` in the target directory, where a person finds the page and the screenshots.
fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("report-check");
    std::fs::create_dir_all(&dir).expect("report-check directory");
    dir
}

/// Runs headless Chromium on `page` with `args`, returning its standard output.
async fn run_chromium(browser: &Path, profile: &Path, page: &Path, args: &[String]) -> String {
    let mut command = tokio::process::Command::new(browser);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("Chromium finished within two minutes")
        .expect("Chromium ran");
    assert!(
        output.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The JSON the probe left in the dumped DOM.
fn layout(dom: &str) -> serde_json::Value {
    let start = dom.find("data-layout=\"").expect("the probe ran") + "data-layout=\"".len();
    let end = start + dom[start..].find('"').expect("attribute end");
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("layout JSON")
}

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

    let dir = output_dir();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).expect("report written");
    let Some(browser) = chromium() else {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !! SKIPPED the browser check of the report: no Chromium found (set POSTURE_CHROMIUM\n\
             !! or install Debian's `chromium`). The page is at {}\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
            page.display()
        );
        return;
    };
    let probed = dir.join("report-probe.html");
    let with_probe = html.replacen("</body>", &format!("{LAYOUT_PROBE}</body>"), 1);
    std::fs::write(&probed, with_probe).expect("probe page written");
    let profile = tempfile::tempdir().expect("browser profile");

    let dom = run_chromium(
        &browser,
        profile.path(),
        &probed,
        &[format!("--window-size={WIDTH},{HEIGHT}"), "--dump-dom".to_owned()],
    )
    .await;
    let layout = layout(&dom);
    let inner = layout["innerWidth"].as_u64().expect("innerWidth");
    assert_eq!(inner, u64::from(WIDTH), "{layout}");
    assert!(
        layout["scrollWidth"].as_u64().expect("scrollWidth") <= inner,
        "the page scrolls sideways: {layout}"
    );
    assert_eq!(
        layout["wide"],
        serde_json::json!([]),
        "elements past the right edge: {layout}"
    );
    assert_eq!(
        layout["spilling"],
        serde_json::json!([]),
        "content wider than its box: {layout}"
    );

    // The first screen as the issue describes it, and the whole page for reading.
    let first = dir.join("report-1400.png");
    run_chromium(
        &browser,
        profile.path(),
        &page,
        &[
            format!("--window-size={WIDTH},{HEIGHT}"),
            format!("--screenshot={}", first.display()),
        ],
    )
    .await;
    let height = layout["scrollHeight"]
        .as_u64()
        .unwrap_or(u64::from(HEIGHT))
        .min(16_000);
    let full = dir.join("report-1400-full.png");
    run_chromium(
        &browser,
        profile.path(),
        &page,
        &[
            format!("--window-size={WIDTH},{height}"),
            format!("--screenshot={}", full.display()),
        ],
    )
    .await;
    for png in [&first, &full] {
        let bytes = std::fs::read(png).expect("screenshot written");
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", png.display());
    }
    // What the browser's Print > Save as PDF gives, with the print CSS.
    let pdf = dir.join("report.pdf");
    run_chromium(
        &browser,
        profile.path(),
        &page,
        &[
            "--no-pdf-header-footer".to_owned(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    )
    .await;
    let bytes = std::fs::read(&pdf).expect("PDF written");
    assert!(bytes.starts_with(b"%PDF"), "{} is a PDF", pdf.display());
    eprintln!(
        "report checked in Chromium at {WIDTH} px: {}, {} and {}",
        first.display(),
        full.display(),
        pdf.display()
    );
}
