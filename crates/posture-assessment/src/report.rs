//! A self-contained HTML report of one assessment: scores per framework, counts per status, a
//! table of every control with its reason, evidence and remediation, and the tenant's open
//! configuration drift when the caller read it. Every text that came from a
//! tenant or a pack is escaped, so a hostile display name or evidence label stays text.

use std::fmt::Write;

use crate::assessment::Assessment;
use crate::metadata::{ControlMetadata, Severity};
use crate::result::{ControlResult, Evidence, Status};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;width:100%;margin-bottom:2em}\
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.pass{color:#1a7f37}.fail{color:#cf222e}.warning{color:#9a6700}\
.error{color:#8250df}.not_applicable,.not_evaluated{color:#666}ul{margin:0;padding-left:1.2em}\
table.controls{table-layout:fixed}table.controls td{overflow-wrap:anywhere}code{overflow-wrap:anywhere}\
@media print{body{margin:0;font-size:10pt}tr{break-inside:avoid}}";

/// Escapes text for HTML element content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn percent(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_owned(), |s| format!("{:.0}%", s * 100.0))
}

/// Renders `assessment` as one HTML page. `controls` supplies titles, severities and remediation;
/// a result without matching metadata falls back to the metadata it carries, and a control in
/// `controls` without a result is listed as not evaluated so nothing silently disappears.
pub fn render_html(
    assessment: &Assessment,
    controls: &[&ControlMetadata],
    tenant_display_name: &str,
) -> String {
    render_html_with_drift(assessment, controls, tenant_display_name, None)
}

/// One open drift item as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// [`render_html`] with a section of the tenant's open drift; `None` leaves the section out
/// (drift was not read), an empty slice says there is none.
pub fn render_html_with_drift(
    assessment: &Assessment,
    controls: &[&ControlMetadata],
    tenant_display_name: &str,
    drift: Option<&[DriftLine]>,
) -> String {
    let name = escape(tenant_display_name);
    let mut html = String::with_capacity(4096 + assessment.results.len() * 512);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        html,
        "<title>Posture assessment: {name}</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        html,
        "<h1>Posture assessment: {name}</h1><p>Tenant id <code>{}</code>, {} controls.</p>",
        escape(&assessment.tenant_id),
        assessment.results.len()
    );
    scores(&mut html, assessment);
    table(&mut html, assessment, controls);
    if let Some(drift) = drift {
        drift_section(&mut html, drift);
    }
    html.push_str("</body></html>\n");
    html
}

fn drift_section(html: &mut String, drift: &[DriftLine]) {
    let open_new = drift.iter().filter(|d| d.state == "new").count();
    let _ = write!(
        html,
        "<h2>Configuration drift</h2><p>{} open item(s) from the tenant's baseline, {open_new} not reviewed.</p>",
        drift.len()
    );
    if drift.is_empty() {
        return;
    }
    html.push_str(
        "<table class=\"controls\"><thead><tr><th>kind</th><th>object</th><th>change</th><th>state</th>\
         <th>patch (baseline to tenant)</th><th>detected</th></tr></thead><tbody>",
    );
    for d in drift {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&d.entity_kind),
            escape(&d.display_name),
            escape(&d.change),
            escape(&d.state),
            escape(&d.json_patch),
            escape(&d.detected_at)
        );
    }
    html.push_str("</tbody></table>");
}

fn scores(html: &mut String, assessment: &Assessment) {
    html.push_str(
        "<h2>Scores</h2><table><thead><tr><th>framework</th><th>score</th><th>with accepted risks</th>\
         <th>pass</th><th>fail</th><th>warning</th><th>not applicable</th><th>error</th><th>accepted</th>\
         </tr></thead><tbody>",
    );
    for s in &assessment.scores {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.framework),
            percent(s.score),
            percent(s.score_accepting_exceptions),
            s.passed,
            s.failed,
            s.warnings,
            s.not_applicable,
            s.errors,
            s.accepted
        );
    }
    html.push_str("</tbody></table>");
}

fn table(html: &mut String, assessment: &Assessment, controls: &[&ControlMetadata]) {
    html.push_str(
        "<h2>Controls</h2><table class=\"controls\"><colgroup><col style=\"width:15%\"><col style=\"width:7%\">\
         <col style=\"width:8%\"><col style=\"width:20%\"><col style=\"width:30%\"><col style=\"width:20%\">\
         </colgroup><thead><tr><th>control</th><th>severity</th><th>status</th><th>reason</th>\
         <th>evidence</th><th>remediation</th></tr></thead><tbody>",
    );
    for result in &assessment.results {
        let metadata = controls
            .iter()
            .copied()
            .find(|m| m.id == result.control_id)
            .or(result.metadata.as_ref());
        row(html, result, metadata);
    }
    for m in controls.iter().filter(|m| assessment.result(&m.id).is_none()) {
        let _ = write!(
            html,
            "<tr><td><strong>{}</strong><br>{}</td><td>{}</td><td class=\"not_evaluated\">not evaluated</td>\
             <td>the assessment has no result for this control</td><td></td><td>{}</td></tr>",
            escape(&m.id),
            escape(&m.title),
            severity_name(m.severity),
            escape(&m.remediation)
        );
    }
    html.push_str("</tbody></table>");
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::NotApplicable => "not applicable",
        other => other.as_str(),
    }
}

fn evidence_list(html: &mut String, evidence: &[Evidence]) {
    if evidence.is_empty() {
        return;
    }
    html.push_str("<ul>");
    for e in evidence {
        let _ = write!(
            html,
            "<li>{} <code>{}</code> {}: {}{}</li>",
            escape(&e.kind),
            escape(&e.id),
            escape(&e.display_name),
            escape(&e.detail),
            if e.accepted { " (accepted)" } else { "" }
        );
    }
    html.push_str("</ul>");
}

fn row(html: &mut String, result: &ControlResult, metadata: Option<&ControlMetadata>) {
    let status = result.status.as_str();
    let label = status_label(result.status);
    let accepted = if result.accepted && result.status.is_finding() {
        " (risk accepted)"
    } else {
        ""
    };
    let title = metadata.map_or(result.title.as_str(), |m| m.title.as_str());
    let _ = write!(
        html,
        "<tr><td><strong>{}</strong><br>{}</td><td>{}</td><td class=\"{status}\">{label}{accepted}</td><td>{}</td><td>",
        escape(&result.control_id),
        escape(title),
        metadata.map_or("", |m| severity_name(m.severity)),
        escape(&result.reason)
    );
    evidence_list(html, &result.evidence);
    // Frameworks that judge the control differently, each with its verdict, reason and evidence.
    for f in &result.by_framework {
        let _ = write!(
            html,
            "<p><strong>{}</strong>: <span class=\"{}\">{}</span>: {}</p>",
            escape(&f.framework),
            f.status.as_str(),
            status_label(f.status),
            escape(&f.reason)
        );
        evidence_list(html, &f.evidence);
    }
    let _ = write!(
        html,
        "</td><td>{}</td></tr>",
        metadata.map_or(String::new(), |m| escape(&m.remediation))
    );
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
        assert!(html.contains(
            "<h2>Configuration drift</h2><p>1 open item(s) from the tenant's baseline, 1 not reviewed."
        ));
        assert!(html.contains("&lt;script&gt;Block&lt;/script&gt;") && !html.contains("<script>"));
        assert!(html.contains("&quot;path&quot;:&quot;/state&quot;"));
        assert!(!render_html(&empty(), &[], "Contoso").contains("Configuration drift"));
    }
}
