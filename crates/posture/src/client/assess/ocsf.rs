//! Findings as OCSF 1.5.0 Compliance Findings (class 2003, category Findings), one JSON event per
//! line, as security data lakes and SIEMs ingest them. Each event carries the control as the
//! compliance check (its framework references as standards and requirements, the verdict as the
//! compliance status), the failing objects as resources, and the control's remediation.

use std::collections::HashMap;

use posture_proto::v1::{Control, ControlResult, Finding, Severity};
use serde_json::{Value, json};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";
const CLASS_UID: u32 = 2003;
const CATEGORY_UID: u32 = 2;
/// Activity 1, Create: the finding as the assessment made it.
const ACTIVITY_CREATE: u32 = 1;

fn millis(t: Option<&prost_types::Timestamp>) -> i64 {
    t.map_or(0, |t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
}

/// OCSF `severity_id`: 1 Informational .. 5 Critical; 0 Unknown.
fn severity(s: i32) -> (u32, &'static str) {
    match Severity::try_from(s).unwrap_or(Severity::Unspecified) {
        Severity::Informational => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
        Severity::Unspecified => (0, "Unknown"),
    }
}

/// The compliance object's `status_id` (1 Pass, 2 Warning, 3 Fail, 0 Unknown, 99 Other) and the
/// event's own finding `status_id` (1 New, 3 Suppressed, 4 Resolved, 99 Other).
fn statuses(f: &Finding) -> (u32, u32, &'static str) {
    let result = ControlResult::try_from(f.result).unwrap_or(ControlResult::Unspecified);
    let compliance = match result {
        ControlResult::Pass => 1,
        ControlResult::Warning => 2,
        ControlResult::Fail => 3,
        ControlResult::NotApplicable => 99,
        ControlResult::Error | ControlResult::Unspecified => 0,
    };
    let (finding, label) = match result {
        _ if f.accepted => (3, "Suppressed"),
        ControlResult::Fail | ControlResult::Warning => (1, "New"),
        ControlResult::Pass | ControlResult::NotApplicable => (4, "Resolved"),
        ControlResult::Error | ControlResult::Unspecified => (99, "Other"),
    };
    (compliance, finding, label)
}

fn standard(framework: &str, version: &str) -> String {
    let name = if framework.starts_with("cis-") {
        "CIS Microsoft 365 Foundations Benchmark"
    } else if framework.contains("scuba") {
        "CISA SCuBA Microsoft 365 Secure Configuration Baselines"
    } else if framework == "posture" {
        "Posture security signals"
    } else {
        framework
    };
    if version.is_empty() {
        name.to_owned()
    } else {
        format!("{name} v{version}")
    }
}

/// One Compliance Finding event.
pub fn event(f: &Finding, control: Option<&Control>, product_version: &str) -> Value {
    let (severity_id, severity_label) = severity(f.severity);
    let (compliance_status, status_id, status) = statuses(f);
    let time = millis(f.evaluated_at.as_ref());
    let mut standards: Vec<String> = f
        .references
        .iter()
        .map(|r| standard(&r.framework, &r.framework_version))
        .collect();
    standards.dedup();
    let requirements: Vec<String> = f
        .references
        .iter()
        .map(|r| format!("{} {}", r.framework, r.reference_id))
        .collect();
    let resources: Vec<Value> = f
        .evidence
        .iter()
        .filter_map(|e| {
            let object = e.object.as_ref()?;
            Some(json!({
                "uid": object.object_id,
                "name": object.display_name,
                "type": object.entity_kind,
                "data": {"detail": e.detail, "accepted": e.accepted},
            }))
        })
        .collect();
    let mut compliance = json!({
        "control": f.control_id,
        "standards": standards,
        "requirements": requirements,
        "status_id": compliance_status,
        "desc": f.title,
    });
    if let Some(c) = control
        && !c.rationale.is_empty()
    {
        compliance["desc"] = json!(format!("{} {}", f.title, c.rationale));
    }
    let mut event = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "severity_id": severity_id,
        "severity": severity_label,
        "status_id": status_id,
        "status": status,
        "message": f.reason,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "Posture", "vendor_name": "Posture", "version": product_version},
            "tenant_uid": f.tenant_id,
            "correlation_uid": f.assessment_id,
        },
        "finding_info": {
            "uid": format!("{}/{}", f.assessment_id, f.control_id),
            "title": f.title,
            "desc": f.reason,
            "created_time": time,
            "types": ["Microsoft 365 configuration"],
        },
        "compliance": compliance,
        "unmapped": {
            "evidence_total": f.evidence_total,
            "accepted": f.accepted,
            "exception_ids": f.exception_ids,
        },
    });
    if !resources.is_empty() {
        event["resources"] = Value::Array(resources);
    }
    if let Some(c) = control
        && !c.remediation.is_empty()
    {
        event["remediation"] = json!({"desc": c.remediation});
    }
    event
}

/// Every finding as one event per line.
pub fn render(findings: &[Finding], controls: &[Control], product_version: &str) -> anyhow::Result<String> {
    let by_id: HashMap<&str, &Control> = controls.iter().map(|c| (c.control_id.as_str(), c)).collect();
    let mut out = String::new();
    for f in findings {
        out.push_str(&serde_json::to_string(&event(
            f,
            by_id.get(f.control_id.as_str()).copied(),
            product_version,
        ))?);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{EvidenceObject, FrameworkReference, ObjectRef};

    use super::*;

    fn finding(result: ControlResult, accepted: bool) -> Finding {
        Finding {
            assessment_id: "a1".into(),
            tenant_id: "t1".into(),
            control_id: "entra.ca.mfa-all-users".into(),
            title: "MFA for all users".into(),
            severity: Severity::High as i32,
            references: vec![FrameworkReference {
                framework: "cis-m365".into(),
                framework_version: "7.0.0".into(),
                reference_id: "5.2.2.2".into(),
            }],
            result: result as i32,
            reason: "no enabled policy requires MFA".into(),
            evidence: vec![EvidenceObject {
                object: Some(ObjectRef {
                    entity_kind: "users".into(),
                    object_id: "u1".into(),
                    display_name: "Ada".into(),
                }),
                detail: "not covered".into(),
                accepted: false,
            }],
            evidence_total: 1,
            accepted,
            evaluated_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 5_000_000,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_failing_control_is_a_new_compliance_finding_with_its_resources_and_remediation() {
        let control = Control {
            control_id: "entra.ca.mfa-all-users".into(),
            remediation: "Create a policy.".into(),
            ..Default::default()
        };
        let e = event(&finding(ControlResult::Fail, false), Some(&control), "0.1.0");
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["type_uid"], 200_301);
        assert_eq!(e["time"], 1_800_000_000_005_i64);
        assert_eq!(e["severity_id"], 4);
        assert_eq!(e["status_id"], 1);
        assert_eq!(e["compliance"]["status_id"], 3);
        assert_eq!(
            e["compliance"]["standards"][0],
            "CIS Microsoft 365 Foundations Benchmark v7.0.0"
        );
        assert_eq!(e["compliance"]["requirements"][0], "cis-m365 5.2.2.2");
        assert_eq!(e["resources"][0]["uid"], "u1");
        assert_eq!(e["remediation"]["desc"], "Create a policy.");
        assert_eq!(e["finding_info"]["uid"], "a1/entra.ca.mfa-all-users");
    }

    #[test]
    fn passing_accepted_and_error_results_map_to_their_statuses() {
        let pass = event(&finding(ControlResult::Pass, false), None, "0.1.0");
        assert_eq!(
            (pass["status_id"].clone(), pass["compliance"]["status_id"].clone()),
            (json!(4), json!(1))
        );
        let accepted = event(&finding(ControlResult::Fail, true), None, "0.1.0");
        assert_eq!(accepted["status_id"], 3);
        let error = event(&finding(ControlResult::Error, false), None, "0.1.0");
        assert_eq!(
            (
                error["status_id"].clone(),
                error["compliance"]["status_id"].clone()
            ),
            (json!(99), json!(0))
        );
        assert!(error.get("remediation").is_none());
    }

    #[test]
    fn one_event_per_line() {
        let text = render(
            &[
                finding(ControlResult::Fail, false),
                finding(ControlResult::Pass, false),
            ],
            &[],
            "0.1.0",
        )
        .expect("renders");
        assert_eq!(text.lines().count(), 2);
        for line in text.lines() {
            let _: Value = serde_json::from_str(line).expect("each line is an event");
        }
    }
}
