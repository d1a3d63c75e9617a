//! From the store's records and the engine's types to the contract's messages, and the contract's
//! enums back to the engine's where a request or a report carries them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use posture_kit::time::timestamp;
use posture_proto::v1 as pb;

use super::records::references;
use crate::metadata::{ControlMetadata, Severity};
use crate::result::Status;
use crate::service::store::{
    AssessmentRecord, AssessmentState, Counts, EvidenceRecord, ExceptionRecord, FailureClass, FailureRecord,
    FindingRecord, SettingsRecord, Trigger,
};

pub fn severity(s: Severity) -> pb::Severity {
    match s {
        Severity::Info => pb::Severity::Informational,
        Severity::Low => pb::Severity::Low,
        Severity::Medium => pb::Severity::Medium,
        Severity::High => pb::Severity::High,
        Severity::Critical => pb::Severity::Critical,
    }
}

/// A finding's severity; `Unspecified` for a control whose metadata is unknown.
pub fn finding_severity(s: Option<Severity>) -> pb::Severity {
    s.map_or(pb::Severity::Unspecified, severity)
}

/// `None` for `Unspecified`: no severity (as a filter: every severity).
pub fn engine_severity(s: pb::Severity) -> Option<Severity> {
    match s {
        pb::Severity::Unspecified => None,
        pb::Severity::Informational => Some(Severity::Info),
        pb::Severity::Low => Some(Severity::Low),
        pb::Severity::Medium => Some(Severity::Medium),
        pb::Severity::High => Some(Severity::High),
        pb::Severity::Critical => Some(Severity::Critical),
    }
}

pub fn result(status: Status) -> pb::ControlResult {
    match status {
        Status::Pass => pb::ControlResult::Pass,
        Status::Fail => pb::ControlResult::Fail,
        Status::Warning => pb::ControlResult::Warning,
        Status::NotApplicable => pb::ControlResult::NotApplicable,
        Status::Error => pb::ControlResult::Error,
    }
}

pub fn status(result: pb::ControlResult) -> Status {
    match result {
        pb::ControlResult::Pass => Status::Pass,
        pb::ControlResult::Fail => Status::Fail,
        pb::ControlResult::Warning => Status::Warning,
        pb::ControlResult::NotApplicable => Status::NotApplicable,
        pb::ControlResult::Unspecified | pb::ControlResult::Error => Status::Error,
    }
}

fn counts(c: &Counts) -> pb::ResultCounts {
    pb::ResultCounts {
        passed: c.passed,
        failed: c.failed,
        warning: c.warning,
        not_applicable: c.not_applicable,
        error: c.error,
        accepted: c.accepted,
    }
}

pub fn state(s: AssessmentState) -> pb::AssessmentState {
    match s {
        AssessmentState::Pending => pb::AssessmentState::Pending,
        AssessmentState::Running => pb::AssessmentState::Running,
        AssessmentState::Succeeded => pb::AssessmentState::Succeeded,
        AssessmentState::Failed => pb::AssessmentState::Failed,
    }
}

pub fn trigger(t: Trigger) -> pb::AssessmentTrigger {
    match t {
        Trigger::SyncCompleted => pb::AssessmentTrigger::SyncCompleted,
        Trigger::Manual => pb::AssessmentTrigger::Manual,
    }
}

pub fn error_class(c: FailureClass) -> pb::ErrorClass {
    match c {
        FailureClass::Transient => pb::ErrorClass::Transient,
        FailureClass::Internal => pb::ErrorClass::Internal,
    }
}

pub fn failure(f: &FailureRecord) -> pb::FailureReason {
    pb::FailureReason {
        error_class: error_class(f.error_class) as i32,
        code: f.code.clone(),
        message: f.message.clone(),
        ..Default::default()
    }
}

pub fn assessment(a: &AssessmentRecord) -> pb::Assessment {
    pb::Assessment {
        assessment_id: a.assessment_id.to_string(),
        tenant_id: a.tenant_id.to_string(),
        state: state(a.state) as i32,
        trigger: trigger(a.trigger) as i32,
        requested_by: a.requested_by.clone(),
        sync_run_id: a.sync_run_id.to_string(),
        pack_version: a.pack_version.clone(),
        counts: Some(counts(&a.counts)),
        scores: a
            .scores
            .iter()
            .map(|s| pb::FrameworkScore {
                framework: s.framework.clone(),
                counts: Some(counts(&s.counts)),
                score: s.score,
            })
            .collect(),
        error: a.error.as_ref().map(failure),
        requested_at: Some(timestamp(a.requested_at)),
        completed_at: a.completed_at.map(timestamp),
        signals: (a.state == AssessmentState::Succeeded).then_some(pb::SecuritySignals {
            open_high_alerts: a.signals.open_high_alerts,
            managed_devices: a.signals.managed_devices,
            noncompliant_devices: a.signals.noncompliant_devices,
            critical_vulnerabilities: a.signals.critical_vulnerabilities,
        }),
    }
}

pub fn finding_message(f: FindingRecord) -> pb::Finding {
    pb::Finding {
        assessment_id: f.assessment_id.to_string(),
        tenant_id: f.tenant_id.to_string(),
        control_id: f.control_id,
        title: f.title,
        severity: finding_severity(f.severity) as i32,
        references: f
            .references
            .into_iter()
            .map(|r| pb::FrameworkReference {
                framework: r.framework,
                framework_version: r.framework_version,
                reference_id: r.reference_id,
            })
            .collect(),
        result: result(f.result) as i32,
        reason: f.reason,
        evidence: evidence_objects(f.evidence),
        evidence_total: f.evidence_total,
        accepted: f.accepted,
        exception_ids: f.exception_ids,
        evaluated_at: Some(timestamp(f.evaluated_at)),
        framework_results: f
            .framework_results
            .into_iter()
            .map(|r| pb::FrameworkResult {
                framework: r.framework,
                framework_version: r.framework_version,
                result: result(r.result) as i32,
                reason: r.reason,
                evidence: evidence_objects(r.evidence),
            })
            .collect(),
    }
}

fn evidence_objects(evidence: Vec<EvidenceRecord>) -> Vec<pb::EvidenceObject> {
    evidence
        .into_iter()
        .map(|e| pb::EvidenceObject {
            object: Some(pb::ObjectRef {
                entity_kind: e.entity_kind,
                object_id: e.object_id,
                display_name: e.display_name,
            }),
            detail: e.detail,
            accepted: e.accepted,
        })
        .collect()
}

pub fn control(m: &ControlMetadata) -> pb::Control {
    pb::Control {
        control_id: m.id.clone(),
        title: m.title.clone(),
        severity: severity(m.severity) as i32,
        references: references(m)
            .into_iter()
            .map(|r| pb::FrameworkReference {
                framework: r.framework,
                framework_version: r.framework_version,
                reference_id: r.reference_id,
            })
            .collect(),
        rationale: m.rationale.clone(),
        remediation: m.remediation.clone(),
        entity_kinds: m.required_collections.clone(),
        required_licenses: m
            .licence
            .iter()
            .map(|l| match l.as_str() {
                "p1" => "Microsoft Entra ID P1".to_owned(),
                "p2" => "Microsoft Entra ID P2".to_owned(),
                other => other.to_owned(),
            })
            .collect(),
    }
}

pub fn exception(e: &ExceptionRecord, now: DateTime<Utc>) -> pb::ControlException {
    let state = if now < e.expires_at {
        pb::ExceptionState::Active
    } else {
        pb::ExceptionState::Expired
    };
    pb::ControlException {
        exception_id: e.exception_id.clone(),
        tenant_id: e.tenant_id.to_string(),
        control_id: e.control_id.clone(),
        object_ids: e.object_ids.clone(),
        reason: e.reason.clone(),
        owner: e.owner.clone(),
        expires_at: Some(timestamp(e.expires_at)),
        state: state as i32,
        created_by: e.created_by.clone(),
        created_at: Some(timestamp(e.created_at)),
    }
}

pub fn settings(s: &SettingsRecord, effective: BTreeMap<String, f64>) -> pb::AssessmentSettings {
    pb::AssessmentSettings {
        tenant_id: s.tenant_id.to_string(),
        emergency_access_accounts: s.emergency_access_accounts.clone(),
        parameters: s.parameters.clone().into_iter().collect(),
        effective_parameters: effective.into_iter().collect(),
        updated_at: s.updated_at.map(timestamp),
        updated_by: s.updated_by.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// read back as they were.
    #[test]
    fn stored_codes_are_the_contract_numbers() {
        for s in AssessmentState::ALL {
            assert_eq!(s.code(), state(s) as i32, "{s:?}");
        }
        for t in Trigger::ALL {
            assert_eq!(t.code(), trigger(t) as i32, "{t:?}");
        }
        for c in FailureClass::ALL {
            assert_eq!(c.code(), error_class(c) as i32, "{c:?}");
        }
    }
}
