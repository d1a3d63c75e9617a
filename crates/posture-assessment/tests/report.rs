//! The HTML report: every control of the assessment is listed with its status, scores are shown per
//! framework, and text from the tenant cannot inject markup.

mod common;

use common::small_tenant;
use posture_assessment::{Engine, Evidence, PolicyPack, Status, render_html};

#[test]
fn report_lists_every_control_with_its_status_and_every_framework_score() {
    let pack = PolicyPack::builtin();
    let assessment = Engine::evaluate(&pack, &small_tenant());
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>Posture assessment: Contoso</h1>"));
    for control in pack.controls() {
        assert!(
            html.contains(&format!("<strong>{}</strong>", control.id)),
            "{} missing",
            control.id
        );
    }
    for result in &assessment.results {
        let label = match result.status {
            Status::NotApplicable => "not applicable",
            other => other.as_str(),
        };
        assert!(
            html.contains(&format!("<td class=\"{}\">{label}", result.status.as_str())),
            "{} status missing",
            result.control_id
        );
    }
    for score in &assessment.scores {
        assert!(
            html.contains(&format!("<tr><td>{}</td>", score.framework)),
            "{}",
            score.framework
        );
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
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!html.contains("<b>markup</b>"));
    assert!(html.contains("reason with &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;"));
    assert!(!html.contains("<img"));
    assert!(html.contains("Mallory&#39;s &lt;i&gt;account&lt;/i&gt;"));
}

#[test]
fn report_lists_a_control_without_a_result_as_not_evaluated() {
    let pack = PolicyPack::builtin();
    let mut assessment = Engine::evaluate(&pack, &small_tenant());
    let dropped = assessment.results.remove(0);
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    let at = html
        .find(&format!("<strong>{}</strong>", dropped.control_id))
        .expect("the dropped control is still listed");
    assert!(html[at..].contains("not evaluated"));
}

/// The controls table keeps to the page width (checked in headless Chromium at 1400 px: without a
/// fixed layout, long evidence ids pushed the remediation column off the page): fixed column widths
/// that add up to the table, long words wrapped anywhere, rows kept whole when printed.
#[test]
fn controls_table_has_fixed_columns_that_fit_the_page() {
    let pack = PolicyPack::builtin();
    let assessment = Engine::evaluate(&pack, &small_tenant());
    let html = render_html(&assessment, &pack.controls(), "Contoso");
    assert!(html.contains("<table class=\"controls\"><colgroup>"));
    assert!(html.contains("table.controls{table-layout:fixed}"));
    assert!(html.contains("overflow-wrap:anywhere"));
    assert!(html.contains("@media print"));
    let colgroup = &html[html.find("<colgroup>").expect("colgroup")..html.find("</colgroup>").expect("end")];
    let total: u32 = colgroup
        .split("width:")
        .skip(1)
        .filter_map(|w| w.split('%').next()?.parse::<u32>().ok())
        .sum();
    assert_eq!(total, 100, "{colgroup}");
    assert_eq!(colgroup.matches("<col ").count(), 6, "one width per column");
}
