//! Custom packs: per-module error isolation, the built-in library, which collection items a control
//! sees, per-framework scores, and the example control from docs/tenant-document.md.

mod common;

use common::*;
use posture_assessment::{
    Collection, CollectionKind, Engine, OVERALL, PolicyPack, Status, TenantDocument, TenantDocumentBuilder,
};
use serde_json::json;

#[test]
fn a_failing_module_errors_only_its_own_control() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "good.rego",
        &control(
            "good",
            "c.good",
            "x",
            r#"{"status": "pass", "reason": "fine", "evidence": []}"#,
        ),
    );
    write(
        dir.path(),
        "syntax.rego",
        "package custom.syntax\n\nmetadata := {\n",
    );
    write(
        dir.path(),
        "runtime.rego",
        &control(
            "runtime",
            "c.runtime",
            "x",
            r#"{"status": "fail", "reason": sprintf("%d", [to_number(input.tenant.id)]), "evidence": []}"#,
        ),
    );
    write(
        dir.path(),
        "malformed.rego",
        &control("malformed", "c.malformed", "x", r#"{"status": "great"}"#),
    );
    write(
        dir.path(),
        "undecided.rego",
        &control("undecided", "c.undecided", "x", "1 if false"),
    );
    write(
        dir.path(),
        "zz_duplicate.rego",
        &control("duplicate", "c.good", "x", r#"{"status": "pass"}"#),
    );
    write(
        dir.path(),
        "good_test.rego",
        "package custom.good_test\n\nthis is not even rego\n",
    );

    let pack = PolicyPack::load_dir(dir.path()).expect("pack loads");
    assert_eq!(pack.len(), 6, "test files are not controls");
    let document = TenantDocument::from_json(json!({"tenant": {"id": "not-a-number"}})).expect("document");
    let assessment = Engine::evaluate(&pack, &document);

    let good = assessment.result("c.good").expect("good result");
    assert_eq!(good.status, Status::Pass);
    assert_eq!(good.reason, "fine");

    let by_prefix = |prefix: &str| {
        assessment
            .results
            .iter()
            .find(|r| r.control_id.starts_with(prefix))
            .unwrap_or_else(|| panic!("no result starting with {prefix}"))
    };
    let syntax = by_prefix("module:syntax");
    assert_eq!(syntax.status, Status::Error);
    assert!(syntax.reason.contains("did not load"), "{}", syntax.reason);

    let runtime = assessment.result("c.runtime").expect("runtime result");
    assert_eq!(runtime.status, Status::Error);
    assert!(runtime.reason.contains("evaluation failed"), "{}", runtime.reason);

    let malformed = assessment.result("c.malformed").expect("malformed result");
    assert_eq!(malformed.status, Status::Error);
    assert!(malformed.reason.contains("malformed"), "{}", malformed.reason);

    let undecided = assessment.result("c.undecided").expect("undecided result");
    assert_eq!(undecided.status, Status::Error);
    assert!(undecided.reason.contains("undefined"), "{}", undecided.reason);

    let duplicate = by_prefix("module:zz_duplicate");
    assert!(
        duplicate.reason.contains("already declared"),
        "{}",
        duplicate.reason
    );
}

#[test]
fn custom_packs_can_use_the_builtin_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "org/needs_users.rego",
        r#"package custom.needs_users

import data.posture.lib

metadata := {"id": "org.needs-users", "title": "Needs users", "severity": "info",
  "frameworks": [{"framework": "org", "reference": "1"}], "required_collections": ["users"]}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "users present", [])
"#,
    );
    let pack = PolicyPack::load_dir(dir.path()).expect("pack loads");
    let document = TenantDocumentBuilder::new("t", "T")
        .collection(
            CollectionKind::Users,
            Collection::missing("403: User.Read.All not granted"),
        )
        .build();
    let result = Engine::evaluate(&pack, &document).results.remove(0);
    assert_eq!(result.status, Status::Error);
    assert!(result.reason.contains("User.Read.All"), "{}", result.reason);
}

#[test]
fn empty_pack_folder_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(PolicyPack::load_dir(dir.path()).is_err());
    assert!(PolicyPack::load_dir(dir.path().join("absent")).is_err());
}

#[test]
fn scores_count_warnings_as_half_and_leave_out_errors_and_not_applicable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let results = [
        ("pass", "pass"),
        ("fail", "fail"),
        ("warning", "warning"),
        ("not_applicable", "not_applicable"),
        ("error", "error"),
    ];
    for (name, status) in results {
        let framework = if name == "fail" { "y" } else { "x" };
        write(
            dir.path(),
            &format!("{name}.rego"),
            &control(
                name,
                &format!("c.{name}"),
                framework,
                &format!(r#"{{"status": "{status}", "reason": "", "evidence": []}}"#),
            ),
        );
    }
    let pack = PolicyPack::load_dir(dir.path()).expect("pack loads");
    let document = TenantDocument::from_json(json!({"tenant": {"id": "t"}})).expect("document");
    let assessment = Engine::evaluate(&pack, &document);

    let score = |framework: &str| {
        assessment
            .scores
            .iter()
            .find(|s| s.framework == framework)
            .unwrap_or_else(|| panic!("no score for {framework}"))
    };
    let overall = score(OVERALL);
    assert_eq!((overall.passed, overall.failed, overall.warnings), (1, 1, 1));
    assert_eq!((overall.not_applicable, overall.errors), (1, 1));
    assert_eq!(overall.score, Some(0.5));
    assert_eq!(score("x").score, Some(0.75));
    assert_eq!(score("y").score, Some(0.0));
    assert_eq!(assessment.scores[0].framework, OVERALL);
}

#[test]
fn controls_see_items_only_of_the_collections_they_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let counting = |package: &str, id: &str, collections: &str| {
        format!(
            r#"package custom.{package}

metadata := {{"id": "{id}", "title": "{id}", "severity": "info",
  "frameworks": [{{"framework": "x", "reference": "{id}"}}], "required_collections": {collections}}}

result := {{"status": "pass", "reason": sprintf("%d users, status %s", [count(input.collections.users.items), input.collections.users.status]), "evidence": []}}
"#
        )
    };
    write(
        dir.path(),
        "reads.rego",
        &counting("reads", "c.reads", r#"["users"]"#),
    );
    write(
        dir.path(),
        "ignores.rego",
        &counting("ignores", "c.ignores", "[]"),
    );
    let pack = PolicyPack::load_dir(dir.path()).expect("pack loads");
    let assessment = Engine::evaluate(&pack, &small_tenant());
    assert_eq!(
        assessment.result("c.reads").expect("result").reason,
        "3 users, status ok"
    );
    assert_eq!(
        assessment.result("c.ignores").expect("result").reason,
        "0 users, status ok"
    );
}

#[test]
fn the_documented_example_control_evaluates() {
    let docs = include_str!("../docs/tenant-document.md");
    let example = docs
        .split("```rego")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs hold a rego example");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "example.rego", example);
    let pack = PolicyPack::load_dir(dir.path()).expect("pack loads");
    let mut pending = user("guest-1", "2026-05-30T00:00:00Z");
    pending["userType"] = json!("Guest");
    pending["externalUserState"] = json!("PendingAcceptance");
    let document = TenantDocumentBuilder::new("t", "T")
        .collection(
            CollectionKind::Users,
            Collection::ok(vec![user("alice", "2026-05-30T00:00:00Z"), pending]),
        )
        .build();
    let result = Engine::evaluate(&pack, &document).results.remove(0);
    assert_eq!(result.control_id, "acme.guests.no-pending");
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.evidence[0].id, "guest-1");
}

/// A control referenced by two frameworks that judge it differently.
fn two_framework_control(package: &str, id: &str, result: &str) -> String {
    format!(
        r#"package custom.{package}

metadata := {{"id": "{id}", "title": "{id}", "severity": "low",
  "frameworks": [{{"framework": "x", "reference": "1"}}, {{"framework": "y-v2", "reference": "2"}}],
  "required_collections": []}}

result := {result}
"#
    )
}

#[test]
fn per_framework_results_are_kept_and_each_framework_scores_its_own_verdict() {
    let pack = PolicyPack::from_sources([
        (
            "split.rego".to_owned(),
            two_framework_control(
                "split",
                "c.split",
                r#"{"status": "fail", "reason": "x fails it", "evidence": [],
  "by_framework": [{"framework": "y-v2", "status": "warning", "reason": "y reviews it",
    "evidence": [{"kind": "user", "id": "u1", "display_name": "u1", "detail": "excluded", "accepted": true}]}]}"#,
            ),
        ),
        (
            "agree.rego".to_owned(),
            two_framework_control(
                "agree",
                "c.agree",
                r#"{"status": "pass", "reason": "fine", "evidence": [],
  "by_framework": [{"framework": "y-v2", "status": "pass", "reason": "fine too"}]}"#,
            ),
        ),
        (
            "stray.rego".to_owned(),
            two_framework_control(
                "stray",
                "c.stray",
                r#"{"status": "pass", "reason": "fine", "evidence": [],
  "by_framework": [{"framework": "z", "status": "fail", "reason": "not referenced"}]}"#,
            ),
        ),
    ]);
    let assessment = Engine::evaluate(&pack, &TenantDocumentBuilder::new("t", "T").build());

    let split = assessment.result("c.split").expect("split result");
    assert_eq!(split.status, Status::Fail);
    assert_eq!(split.status_for("x"), Status::Fail);
    assert_eq!(split.status_for("y-v2"), Status::Warning);
    let y = split.framework_result("y-v2").expect("y's own verdict");
    assert_eq!(y.reason, "y reviews it");
    assert_eq!(y.evidence.len(), 1);
    assert!(!y.evidence[0].accepted, "only exceptions accept evidence");

    let agree = assessment.result("c.agree").expect("agree result");
    assert!(
        agree.by_framework.is_empty(),
        "an agreeing framework needs no entry"
    );

    let stray = assessment.result("c.stray").expect("stray result");
    assert_eq!(stray.status, Status::Error);
    assert!(stray.reason.contains("does not reference"), "{}", stray.reason);

    let score = |framework: &str| {
        assessment
            .scores
            .iter()
            .find(|s| s.framework == framework)
            .unwrap_or_else(|| panic!("no score for {framework}"))
            .clone()
    };
    let (x, y, overall) = (score("x"), score("y-v2"), score(OVERALL));
    assert_eq!((x.passed, x.failed, x.warnings, x.errors), (1, 1, 0, 1));
    assert_eq!((y.passed, y.failed, y.warnings, y.errors), (1, 0, 1, 1));
    assert_eq!((overall.passed, overall.failed, overall.errors), (1, 1, 1));
}

#[test]
fn extra_packs_join_the_builtin_pack_and_the_version_names_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "acme/owners.rego",
        &control(
            "owners",
            "acme.groups.owners",
            "acme-baseline",
            r#"{"status": "pass", "reason": "fine", "evidence": []}"#,
        ),
    );
    write(
        dir.path(),
        "acme/owners_test.rego",
        "package custom.owners_test\n\ntest_x if true\n",
    );
    let builtin = PolicyPack::builtin();
    let pack = PolicyPack::builtin_with(&[dir.path()]).expect("pack loads");
    assert_eq!(pack.len(), builtin.len() + 1, "tests are not controls");
    assert!(pack.controls().iter().any(|c| c.id == "acme.groups.owners"));
    assert!(pack.broken_modules().is_empty(), "{:?}", pack.broken_modules());
    assert!(pack.version().starts_with(&PolicyPack::builtin_version()));
    assert!(pack.version().contains("+custom-"), "{}", pack.version());
    assert_eq!(builtin.version(), PolicyPack::builtin_version());

    // Editing a custom module changes the version an assessment records.
    write(
        dir.path(),
        "acme/owners.rego",
        &control(
            "owners",
            "acme.groups.owners",
            "acme-baseline",
            r#"{"status": "fail", "reason": "no", "evidence": []}"#,
        ),
    );
    let edited = PolicyPack::builtin_with(&[dir.path()]).expect("pack loads");
    assert_ne!(edited.version(), pack.version());

    let document = TenantDocumentBuilder::new("t", "T").build();
    let assessment = Engine::evaluate(&edited, &document);
    assert_eq!(
        assessment
            .result("acme.groups.owners")
            .expect("custom result")
            .status,
        Status::Fail
    );
}

#[test]
fn a_custom_control_cannot_take_a_builtin_controls_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shadow.rego",
        &control(
            "shadow",
            "entra.tenants.creation-restricted",
            "cis-m365-v7",
            r#"{"status": "pass", "reason": "always", "evidence": []}"#,
        ),
    );
    let pack = PolicyPack::builtin_with(&[dir.path()]).expect("pack loads");
    let broken = pack.broken_modules();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].0.ends_with("shadow.rego"), "{broken:?}");
    assert!(broken[0].1.contains("already declared"), "{broken:?}");

    let empty = tempfile::tempdir().expect("tempdir");
    write(
        empty.path(),
        "lib/helpers.rego",
        "package custom.helpers\n\nx := 1\n",
    );
    assert!(
        PolicyPack::builtin_with(&[empty.path()]).is_err(),
        "a pack of only library modules"
    );
    assert!(PolicyPack::builtin_with(&[empty.path().join("missing")]).is_err());
}

#[test]
fn a_custom_packs_unit_tests_run_with_the_builtin_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "stale.rego",
        r#"package custom.stale

import data.posture.lib

metadata := {"id": "acme.stale", "title": "t", "severity": "low", "frameworks": [],
  "required_collections": ["users"]}

result := lib.result("fail", "stale", []) if {
	some u in lib.items("users")
	lib.older_than_days(u.signInActivity.lastSignInDateTime, 30)
} else := lib.result("pass", "fresh", [])
"#,
    );
    write(
        dir.path(),
        "stale_test.rego",
        r#"package custom.stale_test

import data.custom.stale

doc(last) := {"now": "2026-06-01T00:00:00Z", "collections": {"users": {"status": "ok",
  "items": [{"id": "u", "signInActivity": {"lastSignInDateTime": last}}]}}}

test_an_old_sign_in_fails if {
	stale.result.status == "fail" with input as doc("2026-01-01T00:00:00Z")
}

test_a_recent_sign_in_passes if {
	stale.result.status == "pass" with input as doc("2026-05-30T00:00:00Z")
}

test_a_wrong_expectation if {
	stale.result.status == "pass" with input as doc("2026-01-01T00:00:00Z")
}
"#,
    );
    let report = posture_assessment::test_custom_pack(dir.path()).expect("readable");
    assert!(report.load_errors.is_empty(), "{:?}", report.load_errors);
    assert_eq!(report.outcomes.len(), 3);
    assert_eq!(report.passed(), 2);
    let failed: Vec<&str> = report.failed().map(|o| o.rule.as_str()).collect();
    assert_eq!(failed, ["data.custom.stale_test.test_a_wrong_expectation"]);
    assert!(!report.ok());

    write(
        dir.path(),
        "broken_test.rego",
        "package custom.broken_test\n\ntest_x if {\n",
    );
    let report = posture_assessment::test_custom_pack(dir.path()).expect("readable");
    assert!(!report.ok());
    assert_eq!(report.load_errors.len(), 1);
    assert_eq!(report.load_errors[0].0, "broken_test.rego");
    assert!(
        report.outcomes.is_empty(),
        "nothing runs when a module does not parse"
    );
}
