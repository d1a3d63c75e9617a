//! Findings in the formats other tools read: CSV for spreadsheets, Markdown for tickets and JUnit
//! XML for CI systems (each control a test case: fail and error fail the case, not applicable is
//! skipped, a failure accepted by an exception passes with the exception named).

use std::fmt::Write as _;

use clap::ValueEnum;
use posture_proto::v1::{ControlResult, Finding};

use super::render::{result_label, severity_label};
use crate::client::progress::timestamp_json;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Md,
    Junit,
    /// OCSF 1.5.0 Compliance Findings (class 2003), one JSON event per line.
    Ocsf,
}

fn references(f: &Finding) -> String {
    f.references
        .iter()
        .filter(|r| r.reference_id != f.control_id)
        .map(|r| format!("{} {}", r.framework, r.reference_id))
        .collect::<Vec<_>>()
        .join("; ")
}

fn evidence_ids(f: &Finding) -> String {
    f.evidence
        .iter()
        .filter_map(|e| e.object.as_ref())
        .map(|o| o.object_id.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn time(f: &Finding) -> String {
    timestamp_json(f.evaluated_at.as_ref())
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn render(format: ExportFormat, findings: &[Finding]) -> anyhow::Result<String> {
    Ok(match format {
        ExportFormat::Csv => csv(findings)?,
        ExportFormat::Md => markdown(findings),
        ExportFormat::Junit => junit(findings),
        ExportFormat::Ocsf => super::ocsf::render(findings, &[], env!("CARGO_PKG_VERSION"))?,
    })
}

/// One row per finding; the evidence column holds the object ids shown (at most 1000 per finding;
/// `evidence_total` counts them all).
fn csv(findings: &[Finding]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "tenant_id",
        "assessment_id",
        "control_id",
        "title",
        "severity",
        "result",
        "accepted",
        "frameworks",
        "reason",
        "evidence_total",
        "evidence_ids",
        "evaluated_at",
    ])?;
    for f in findings {
        writer.write_record([
            f.tenant_id.as_str(),
            f.assessment_id.as_str(),
            f.control_id.as_str(),
            f.title.as_str(),
            severity_label(f.severity),
            result_label(f.result),
            if f.accepted { "true" } else { "false" },
            &references(f),
            f.reason.as_str(),
            &f.evidence_total.to_string(),
            &evidence_ids(f),
            &time(f),
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Markdown table cells: pipes escaped, newlines folded, so a reason cannot break the table.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

const MD_EVIDENCE: usize = 20;

fn markdown(findings: &[Finding]) -> String {
    let mut out = String::new();
    let (tenant, assessment) = findings
        .first()
        .map(|f| (f.tenant_id.as_str(), f.assessment_id.as_str()))
        .unwrap_or_default();
    let _ = writeln!(out, "## Posture findings\n");
    let _ = writeln!(out, "Tenant `{tenant}`, assessment `{assessment}`.\n");
    let _ = writeln!(out, "| Result | Severity | Control | Frameworks | Reason |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for f in findings {
        let result = if f.accepted {
            format!("{} (accepted)", result_label(f.result))
        } else {
            result_label(f.result).to_owned()
        };
        let _ = writeln!(
            out,
            "| {} | {} | `{}` {} | {} | {} |",
            result,
            severity_label(f.severity),
            cell(&f.control_id),
            cell(&f.title),
            cell(&references(f)),
            cell(&f.reason)
        );
    }
    for f in findings.iter().filter(|f| !f.evidence.is_empty()) {
        let _ = writeln!(
            out,
            "\n### `{}`: {} failing object(s)\n",
            cell(&f.control_id),
            f.evidence_total
        );
        for e in f.evidence.iter().take(MD_EVIDENCE) {
            let (name, id) = e
                .object
                .as_ref()
                .map_or(("", ""), |o| (o.display_name.as_str(), o.object_id.as_str()));
            let _ = writeln!(out, "- {} (`{}`): {}", cell(name), cell(id), cell(&e.detail));
        }
        if f.evidence_total as usize > MD_EVIDENCE {
            let _ = writeln!(out, "- … and {} more", f.evidence_total as usize - MD_EVIDENCE);
        }
    }
    out
}

/// XML text and attribute values: the five entities, and characters XML 1.0 forbids dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn junit(findings: &[Finding]) -> String {
    let is = |f: &Finding, r: ControlResult| f.result == r as i32;
    let failures = findings
        .iter()
        .filter(|f| !f.accepted && (is(f, ControlResult::Fail) || is(f, ControlResult::Warning)))
        .count();
    let errors = findings.iter().filter(|f| is(f, ControlResult::Error)).count();
    let skipped = findings
        .iter()
        .filter(|f| is(f, ControlResult::NotApplicable))
        .count();
    let tenant = findings.first().map(|f| f.tenant_id.as_str()).unwrap_or_default();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"posture\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        findings.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"posture {}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" timestamp=\"{}\">",
        xml(tenant),
        findings.len(),
        findings.first().map(time).unwrap_or_default()
    );
    for f in findings {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}: {}\"",
            xml(&format!("posture.{}", severity_label(f.severity))),
            xml(&f.control_id),
            xml(&f.title)
        );
        let body = if is(f, ControlResult::Error) {
            Some(format!("<error message=\"{}\"/>", xml(&f.reason)))
        } else if is(f, ControlResult::NotApplicable) {
            Some(format!("<skipped message=\"{}\"/>", xml(&f.reason)))
        } else if (is(f, ControlResult::Fail) || is(f, ControlResult::Warning)) && !f.accepted {
            let mut detail = String::new();
            for e in &f.evidence {
                if let Some(o) = &e.object {
                    let _ = writeln!(
                        detail,
                        "{} {} ({}): {}",
                        o.entity_kind, o.display_name, o.object_id, e.detail
                    );
                }
            }
            Some(format!(
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                xml(&f.reason),
                result_label(f.result),
                xml(&detail)
            ))
        } else if f.accepted {
            Some(format!(
                "<system-out>{}</system-out>",
                xml(&format!(
                    "{} accepted by exception {}: {}",
                    result_label(f.result),
                    f.exception_ids.join(", "),
                    f.reason
                ))
            ))
        } else {
            None
        };
        match body {
            Some(body) => {
                let _ = writeln!(out, ">\n      {body}\n    </testcase>");
            }
            None => {
                let _ = writeln!(out, "/>");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{EvidenceObject, FrameworkReference, ObjectRef, Severity};

    fn finding(control: &str, result: ControlResult, reason: &str) -> Finding {
        Finding {
            assessment_id: "a-1".into(),
            tenant_id: "t-1".into(),
            control_id: control.into(),
            title: "Title, with \"quotes\" | and pipes".into(),
            severity: Severity::High as i32,
            references: vec![FrameworkReference {
                framework: "cis-m365".into(),
                framework_version: "7.0.0".into(),
                reference_id: "5.2.2.1".into(),
            }],
            result: result as i32,
            reason: reason.into(),
            evidence: vec![EvidenceObject {
                object: Some(ObjectRef {
                    entity_kind: "users".into(),
                    object_id: "u-1".into(),
                    display_name: "Ann <admin> & co".into(),
                }),
                detail: "no MFA".into(),
                accepted: false,
            }],
            evidence_total: 1,
            ..Default::default()
        }
    }

    fn sample() -> Vec<Finding> {
        let mut accepted = finding("c.accepted", ControlResult::Fail, "accepted risk");
        accepted.accepted = true;
        accepted.exception_ids = vec!["ex-1".into()];
        vec![
            finding("c.fail", ControlResult::Fail, "line one\nline two, \"quoted\""),
            finding("c.error", ControlResult::Error, "required data missing: users"),
            finding("c.na", ControlResult::NotApplicable, "no P2"),
            finding("c.pass", ControlResult::Pass, "fine"),
            accepted,
        ]
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_parses_back() {
        let text = render(ExportFormat::Csv, &sample()).expect("csv");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(&rows[0][2], "c.fail");
        assert_eq!(&rows[0][5], "fail");
        assert_eq!(&rows[0][8], "line one\nline two, \"quoted\"");
        assert_eq!(&rows[0][7], "cis-m365 5.2.2.1");
        assert_eq!(&rows[0][10], "u-1");
        assert_eq!(&rows[4][6], "true");
    }

    #[test]
    fn markdown_keeps_the_table_intact() {
        let text = render(ExportFormat::Md, &sample()).expect("md");
        let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(
            table.len(),
            2 + 5,
            "header, rule and one row per finding:\n{text}"
        );
        for line in &table {
            let unescaped = line.replace("\\|", "");
            assert_eq!(unescaped.matches('|').count(), 6, "{line}");
        }
        assert!(text.contains("fail (accepted)"));
        assert!(text.contains("- Ann <admin> & co (`u-1`): no MFA"));
    }

    #[test]
    fn junit_counts_failures_errors_and_skips_and_escapes_xml() {
        let text = render(ExportFormat::Junit, &sample()).expect("junit");
        assert!(
            text.contains("tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\""),
            "{text}"
        );
        assert!(text.contains("<failure message=\"line one\nline two, &quot;quoted&quot;\" type=\"fail\">"));
        assert!(text.contains("Ann &lt;admin&gt; &amp; co"));
        assert!(text.contains("accepted by exception ex-1"));
        assert!(!text.contains("<admin>"));
        // Four cases carry a body (fail, error, skip, accepted) and close it; the pass is empty.
        assert_eq!(text.matches("<testcase ").count(), 5);
        assert_eq!(text.matches("</testcase>").count(), 4);
        assert!(
            text.contains("name=\"c.pass: Title, with &quot;quotes&quot; | and pipes\"/>"),
            "{text}"
        );
    }
}
