//! Risk exceptions: accepted findings keep their live status, expired exceptions do nothing, and
//! object-scoped exceptions accept the control only when every failing object is covered.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use posture_assessment::{
    Assessment, ControlResult, Evidence, RiskException, Status, apply_exceptions, score,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("valid instant")
}

fn evidence(id: &str) -> Evidence {
    Evidence {
        kind: "user".to_string(),
        id: id.to_string(),
        display_name: id.to_string(),
        detail: "not MFA capable".to_string(),
        accepted: false,
    }
}

fn result(control_id: &str, status: Status, evidence: Vec<Evidence>) -> ControlResult {
    ControlResult {
        control_id: control_id.to_string(),
        title: control_id.to_string(),
        metadata: None,
        status,
        reason: String::new(),
        evidence,
        by_framework: Vec::new(),
        accepted: false,
        exceptions: Vec::new(),
        duration: Duration::ZERO,
    }
}

fn assessment() -> Assessment {
    let results = vec![
        result("coverage", Status::Fail, vec![evidence("u1"), evidence("u2")]),
        result("legacy", Status::Fail, Vec::new()),
        result("consent", Status::Pass, Vec::new()),
    ];
    Assessment {
        tenant_id: "t".to_string(),
        scores: score(&results),
        results,
        duration: Duration::ZERO,
    }
}

fn exception(control_id: &str, object_ids: Option<&[&str]>, expires_in_days: i64) -> RiskException {
    RiskException {
        control_id: control_id.to_string(),
        object_ids: object_ids.map(|ids| ids.iter().map(|s| s.to_string()).collect()),
        reason: "vendor migration in progress".to_string(),
        owner: "ciso@contoso.example".to_string(),
        expires_at: now() + chrono::Duration::days(expires_in_days),
    }
}

fn get<'a>(assessment: &'a Assessment, id: &str) -> &'a ControlResult {
    assessment.result(id).expect("result exists")
}

#[test]
fn control_wide_exception_accepts_the_finding_but_keeps_its_status() {
    let mut assessment = assessment();
    apply_exceptions(&mut assessment, &[exception("legacy", None, 30)], now());
    let legacy = get(&assessment, "legacy");
    assert!(legacy.accepted);
    assert_eq!(legacy.status, Status::Fail);
    assert_eq!(legacy.exceptions.len(), 1);
    assert_eq!(legacy.exceptions[0].owner, "ciso@contoso.example");
}

#[test]
fn expired_exception_does_not_apply() {
    let mut assessment = assessment();
    apply_exceptions(&mut assessment, &[exception("legacy", None, -1)], now());
    assert!(!get(&assessment, "legacy").accepted);
    assert!(get(&assessment, "legacy").exceptions.is_empty());
}

#[test]
fn object_scoped_exception_accepts_only_the_named_objects() {
    let mut assessment = assessment();
    apply_exceptions(
        &mut assessment,
        &[exception("coverage", Some(&["u1"]), 30)],
        now(),
    );
    let coverage = get(&assessment, "coverage");
    assert!(!coverage.accepted, "u2 is still an unaccepted failure");
    let accepted: Vec<bool> = coverage.evidence.iter().map(|e| e.accepted).collect();
    assert_eq!(accepted, [true, false]);
    assert_eq!(coverage.exceptions.len(), 1);
}

#[test]
fn control_is_accepted_once_every_failing_object_is_covered() {
    let mut assessment = assessment();
    let exceptions = [
        exception("coverage", Some(&["u1"]), 30),
        exception("coverage", Some(&["u2", "u9"]), 10),
    ];
    apply_exceptions(&mut assessment, &exceptions, now());
    let coverage = get(&assessment, "coverage");
    assert!(coverage.accepted);
    assert_eq!(coverage.status, Status::Fail);
    assert_eq!(coverage.exceptions.len(), 2);
}

#[test]
fn object_scoped_exception_cannot_accept_a_finding_without_objects() {
    let mut assessment = assessment();
    apply_exceptions(
        &mut assessment,
        &[exception("legacy", Some(&["anything"]), 30)],
        now(),
    );
    assert!(!get(&assessment, "legacy").accepted);
}

#[test]
fn passing_controls_are_never_marked_accepted() {
    let mut assessment = assessment();
    apply_exceptions(&mut assessment, &[exception("consent", None, 30)], now());
    assert!(!get(&assessment, "consent").accepted);
}

#[test]
fn reapplying_with_a_later_clock_drops_exceptions_that_expired_meanwhile() {
    let mut assessment = assessment();
    let exceptions = [
        exception("legacy", None, 5),
        exception("coverage", Some(&["u1", "u2"]), 5),
    ];
    apply_exceptions(&mut assessment, &exceptions, now());
    assert!(get(&assessment, "legacy").accepted && get(&assessment, "coverage").accepted);
    apply_exceptions(&mut assessment, &exceptions, now() + chrono::Duration::days(6));
    assert!(!get(&assessment, "legacy").accepted);
    assert!(get(&assessment, "coverage").evidence.iter().all(|e| !e.accepted));
}

#[test]
fn scores_show_the_accepted_findings_separately() {
    let mut assessment = assessment();
    apply_exceptions(&mut assessment, &[exception("legacy", None, 30)], now());
    let overall = &assessment.scores[0];
    assert_eq!(overall.accepted, 1);
    // 1 pass of 3 decided; with the accepted failure counted as passed, 2 of 3.
    assert_eq!(overall.score, Some(1.0 / 3.0));
    assert_eq!(overall.score_accepting_exceptions, Some(2.0 / 3.0));
}
