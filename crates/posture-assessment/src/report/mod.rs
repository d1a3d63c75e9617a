//! The customer report: one self-contained HTML page of an assessment, rendered with a minijinja
//! template (`report.html`) that escapes every value, so a hostile display name, reason or evidence
//! label stays text. The page has the tenant's name, dates, assessment id and pack version; a banner
//! naming what could not be evaluated and why; an executive summary (scores with the controls each
//! rests on, trend, top risks); a section per framework under its reference ids; findings with
//! evidence and remediation linking to the admin portal; open drift; and print CSS for A4.

mod portal;
mod view;

use minijinja::Environment;
use serde::Serialize;

use crate::assessment::Assessment;
use crate::metadata::ControlMetadata;

pub use portal::{PortalLink, portal_for};
pub use view::framework_name as framework_title;

/// The template, compiled into the binary so a report never depends on files next to it.
const TEMPLATE: &str = include_str!("report.html");
/// Its name: the `.html` suffix turns on minijinja's HTML autoescaping.
const TEMPLATE_NAME: &str = "report.html";

/// One open drift item as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftLine {
    pub entity_kind: String,
    pub display_name: String,
    /// `changed`, `missing` or `added`.
    pub change: String,
    /// `new`, `accepted` or `denied`.
    pub state: String,
    /// The RFC 6902 patch from the baseline to the tenant; empty for missing and added objects.
    pub json_patch: String,
    pub detected_at: String,
}

/// The scores of one earlier assessment, for the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorePoint {
    /// When it ran, as the report prints it (e.g. `2026-11-30`).
    pub at: String,
    /// Framework id (the pack's `cis-m365-v7` or the API's `cis-m365`) and score from 0 to 100.
    pub scores: Vec<(String, f64)>,
}

/// What the report says beyond the assessment itself. Empty texts print as `unknown`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportInfo {
    /// The tenant's display name, the report's title (never only its GUID).
    pub tenant_display_name: String,
    pub assessment_id: String,
    pub pack_version: String,
    /// When the assessment completed, formatted for people.
    pub assessed_at: String,
    /// When the report was written, formatted for people.
    pub generated_at: String,
    /// Earlier succeeded assessments of the tenant, oldest first, without this one.
    pub history: Vec<ScorePoint>,
    /// The tenant's open drift; `None` leaves the section out (drift was not read).
    pub drift: Option<Vec<DriftLine>>,
    /// Why parts of the tenant could not be read, from outside the assessment (e.g. the
    /// connection is in Permission Error because admin consent is missing): shown in the banner.
    pub notes: Vec<String>,
}

impl ReportInfo {
    /// Information with only the tenant's name, for callers that have nothing else.
    pub fn named(tenant_display_name: &str) -> Self {
        Self {
            tenant_display_name: tenant_display_name.to_owned(),
            ..Self::default()
        }
    }
}

/// Renders `assessment` as one HTML page. `controls` supplies titles, severities, references and
/// remediation; a result without matching metadata falls back to the metadata it carries, and a
/// control in `controls` without a result is listed as not evaluated so nothing silently
/// disappears.
pub fn render_report(assessment: &Assessment, controls: &[&ControlMetadata], info: &ReportInfo) -> String {
    let page = view::page(assessment, controls, info);
    let mut env = Environment::new();
    let rendered = env
        .add_template(TEMPLATE_NAME, TEMPLATE)
        .and_then(|()| env.get_template(TEMPLATE_NAME))
        .and_then(|t| t.render(minijinja::context! { page => minijinja::value::Serde(&page) }));
    match rendered {
        Ok(html) => html,
        Err(e) => {
            // The template is compiled in and rendered by every test, so this is a build defect;
            // the page says so instead of the process stopping.
            tracing::error!(error = %e, "the report template failed");
            format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Report failed</title></head>\
                 <body><p>The report could not be rendered: {}</p></body></html>\n",
                escape(&e.to_string())
            )
        }
    }
}

/// Renders `assessment` headed with `tenant_display_name` and nothing else known (see
/// [`render_report`]).
pub fn render_html(
    assessment: &Assessment,
    controls: &[&ControlMetadata],
    tenant_display_name: &str,
) -> String {
    render_report(assessment, controls, &ReportInfo::named(tenant_display_name))
}

/// [`render_html`] with a section of the tenant's open drift; `None` leaves the section out
/// (drift was not read), an empty slice says there is none.
pub fn render_html_with_drift(
    assessment: &Assessment,
    controls: &[&ControlMetadata],
    tenant_display_name: &str,
    drift: Option<&[DriftLine]>,
) -> String {
    let info = ReportInfo {
        drift: drift.map(<[DriftLine]>::to_vec),
        ..ReportInfo::named(tenant_display_name)
    };
    render_report(assessment, controls, &info)
}

/// Escapes text for the fallback page, which is not rendered by the template.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Assessment {
        Assessment {
            tenant_id: "t".to_owned(),
            results: Vec::new(),
            scores: Vec::new(),
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn open_drift_is_a_section_of_escaped_rows_and_absent_when_not_read() {
        let line = DriftLine {
            entity_kind: "conditional_access_policies".to_owned(),
            display_name: "<script>Block</script>".to_owned(),
            change: "changed".to_owned(),
            state: "new".to_owned(),
            json_patch: r#"[{"op":"replace","path":"/state","value":"disabled"}]"#.to_owned(),
            detected_at: "2026-12-06 04:00 UTC".to_owned(),
        };
        let html = render_html_with_drift(&empty(), &[], "Contoso", Some(&[line]));
        assert!(html.contains("<h2>Configuration drift</h2>"));
        assert!(html.contains("1 open item(s) from the tenant's baseline, 1 not reviewed."));
        assert!(html.contains("&lt;script&gt;Block&lt;&#x2f;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("&quot;path&quot;:&quot;&#x2f;state&quot;"));
        assert!(!render_html(&empty(), &[], "Contoso").contains("Configuration drift"));
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;
    use crate::metadata::{FrameworkReference, Severity};
    use crate::result::{ControlResult, Status};
    use crate::score::score;

    fn control(id: &str, severity: Severity, reference: &str) -> ControlMetadata {
        ControlMetadata {
            id: id.to_owned(),
            title: format!("title of {id}"),
            severity,
            frameworks: vec![FrameworkReference {
                framework: "cis-m365-v7".to_owned(),
                reference: reference.to_owned(),
            }],
            rationale: String::new(),
            remediation: "Turn it on.".to_owned(),
            required_collections: Vec::new(),
            reads_items: None,
            licence: None,
        }
    }

    fn result(m: &ControlMetadata, status: Status, reason: &str) -> ControlResult {
        ControlResult {
            control_id: m.id.clone(),
            title: m.title.clone(),
            metadata: Some(m.clone()),
            status,
            reason: reason.to_owned(),
            evidence: Vec::new(),
            by_framework: Vec::new(),
            accepted: false,
            exceptions: Vec::new(),
            duration: std::time::Duration::ZERO,
        }
    }

    fn assessment(results: Vec<ControlResult>) -> Assessment {
        Assessment {
            tenant_id: "00000000-0000-0000-0000-0000000000aa".to_owned(),
            scores: score(&results),
            results,
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_tenant_nothing_could_be_read_of_gets_a_banner_with_the_reason_and_no_zero_score() {
        let a = control("entra.ca.one", Severity::High, "5.2.2.1");
        let b = control("entra.ca.two", Severity::Medium, "5.2.2.2");
        let why = "conditional_access_policies was not read: Policy.Read.All is not granted";
        let report = assessment(vec![
            result(&a, Status::Error, why),
            result(&b, Status::Error, why),
        ]);
        let info = ReportInfo {
            notes: vec!["Permission Error: admin consent is missing".to_owned()],
            ..ReportInfo::named("Contoso")
        };
        let html = render_report(&report, &[&a, &b], &info);
        assert!(html.contains("Not everything could be evaluated"));
        assert!(
            html.contains("2 control(s) not evaluated</strong>: conditional_access_policies was not read")
        );
        assert!(html.contains("entra.ca.one, entra.ca.two"));
        assert!(html.contains("Permission Error: admin consent is missing"));
        assert!(html.contains("Overall: no score"));
        assert!(!html.contains(">0%<"), "no score reads as 0%");
        assert!(html.contains(">not scored<"));
    }

    #[test]
    fn summary_counts_the_controls_a_score_rests_on_and_names_the_worst_open_findings_first() {
        let low = control("entra.ca.low", Severity::Low, "5.2.2.10");
        let critical = control("entra.ca.critical", Severity::Critical, "5.2.2.9");
        let ok = control("entra.ca.ok", Severity::High, "5.2.2.1");
        let err = control("entra.ca.err", Severity::High, "5.2.2.3");
        let report = assessment(vec![
            result(&low, Status::Fail, "low fails"),
            result(&critical, Status::Fail, "critical fails"),
            result(&ok, Status::Pass, "fine"),
            result(&err, Status::Error, "not read"),
        ]);
        let info = ReportInfo {
            assessment_id: "a-1".to_owned(),
            pack_version: "2026.12".to_owned(),
            assessed_at: "2026-12-06 07:00 UTC".to_owned(),
            history: vec![ScorePoint {
                at: "2026-11-29 07:00".to_owned(),
                scores: vec![("cis-m365".to_owned(), 0.0)],
            }],
            ..ReportInfo::named("Contoso")
        };
        let html = render_report(&report, &[&low, &critical, &ok, &err], &info);
        assert!(html.contains("<title>Security assessment: Contoso</title>"));
        assert!(
            html.contains("<code>a-1</code>")
                && html.contains("2026.12")
                && html.contains("2026-12-06 07:00 UTC")
        );
        assert!(html.contains("rests on 3 of 4 controls, 1 not evaluated"));
        assert!(html.contains("CIS Microsoft 365 Foundations v7"));
        assert!(html.contains("+33 points</span> since 2026-11-29 07:00"));
        let risks = &html[html.find("<table class=\"risks\">").expect("top risks")..];
        let first = risks.find("entra.ca.critical").expect("critical listed");
        let second = risks.find("entra.ca.low").expect("low listed");
        assert!(first < second, "critical before low");
        // The framework section lists references in numeric order.
        let section = &html[html.find("id=\"fw-cis-m365-v7\"").expect("CIS section")..];
        assert!(section.find("5.2.2.9").expect("9") < section.find("5.2.2.10").expect("10"));
        // Remediation links to the Conditional Access blade.
        assert!(html.contains(
            "href=\"https:&#x2f;&#x2f;entra.microsoft.com&#x2f;#view&#x2f;Microsoft_AAD_ConditionalAccess"
        ));
    }
}
