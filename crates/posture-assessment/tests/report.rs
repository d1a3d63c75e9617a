//! The HTML report: every control of the assessment is listed with its status, scores are shown per
//! framework, and text from the tenant cannot inject markup.

mod common;

use common::small_tenant;
use posture_assessment::{Engine, Evidence, PolicyPack, Status, framework_title, render_html};

#[test]
fn report_lists_every_control_with_its_status_and_every_framework_score() {
    let pack = PolicyPack::builtin();
    let assessment = Engine::evaluate(&pack, &small_tenant());
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>Security assessment: Contoso</h1>"));
    for control in pack.controls() {
        assert!(
            html.contains(&format!("<code>{}</code>", control.id)),
            "{} missing",
            control.id
        );
    }
    for result in &assessment.results {
        // Each framework's row shows that framework's verdict; the control's own shows in at
        // least one of them (or in its findings card).
        let statuses: Vec<Status> = std::iter::once(result.status)
            .chain(result.by_framework.iter().map(|f| f.status))
            .collect();
        let shown = statuses.iter().any(|status| {
            let label = match status {
                Status::NotApplicable => "not applicable",
                other => other.as_str(),
            };
            html.contains(&format!("<td class=\"{}\">{label}", status.as_str()))
        });
        assert!(shown, "{} status missing", result.control_id);
    }
    for score in &assessment.scores {
        let name = framework_title(&score.framework);
        assert!(html.contains(&format!("<h3>{name}</h3>")), "{}", score.framework);
    }
}

#[test]
fn report_escapes_display_name_reason_and_evidence() {
    let pack = PolicyPack::builtin();
    let mut assessment = Engine::evaluate(&pack, &small_tenant());
    let first = assessment.results.first_mut().expect("the pack has controls");
    first.reason = "reason with <b>markup</b> & \"quotes\"".into();
    first.evidence.push(Evidence {
        kind: "user".into(),
        id: "<img src=x onerror=alert(1)>".into(),
        display_name: "Mallory's <i>account</i>".into(),
        detail: "detail".into(),
        accepted: false,
    });
    let html = render_html(&assessment, &pack.controls(), "<script>alert('x')</script>");
    assert!(!html.contains("<script>"), "display name was not escaped");
    assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;"));
    assert!(!html.contains("<b>markup</b>"));
    assert!(html.contains("reason with &lt;b&gt;markup&lt;&#x2f;b&gt; &amp; &quot;quotes&quot;"));
    assert!(!html.contains("<img"));
    assert!(html.contains("Mallory&#x27;s &lt;i&gt;account&lt;&#x2f;i&gt;"));
}

#[test]
fn report_lists_a_control_without_a_result_as_not_evaluated() {
    let pack = PolicyPack::builtin();
    let mut assessment = Engine::evaluate(&pack, &small_tenant());
    let dropped = assessment.results.remove(0);
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    let at = html
        .find(&format!("<code>{}</code>", dropped.control_id))
        .expect("the dropped control is still listed");
    assert!(html[at..].contains("not evaluated"));
    assert!(
        html.contains("1 control(s) without a result"),
        "the banner names it"
    );
}

/// Every table keeps to the page width (checked in headless Chromium at 1400 px, see the
/// service suite's browser test): fixed column widths that add up to the table, long words
/// wrapped anywhere, rows kept whole when printed.
#[test]
fn every_table_has_fixed_columns_that_fit_the_page() {
    let pack = PolicyPack::builtin();
    let assessment = Engine::evaluate(&pack, &small_tenant());
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    assert!(html.contains("table-layout:fixed"));
    assert!(html.contains("overflow-wrap:anywhere"));
    assert!(html.contains("@media print"));
    let colgroups: Vec<&str> = html.split("<colgroup>").skip(1).collect();
    assert!(
        colgroups.len() >= 2,
        "the top risks and each framework have a table"
    );
    for colgroup in colgroups {
        let colgroup = &colgroup[..colgroup.find("</colgroup>").expect("end")];
        let total: u32 = colgroup
            .split("width:")
            .skip(1)
            .filter_map(|w| w.split('%').next()?.parse::<u32>().ok())
            .sum();
        assert_eq!(total, 100, "{colgroup}");
    }
}
