//! Custom policy packs end to end: `posture policy test` runs a pack's Rego unit tests and
//! `posture policy list --pack` shows its controls beside the built-in ones; a standalone Posture
//! started with `assessment.extra_packs` judges a synced tenant with the custom control too, and
//! refuses to start when a custom module does not load.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, ensure};
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::posture_binary;
use posture_tests::scenario::{World, findings_of_run, result_of, sync_and_wait};

/// A control over synced users: fails while any guest has not accepted the invitation.
const CONTROL: &str = r#"package acme.guests_pending

import data.posture.lib

metadata := {
	"id": "acme.guests.no-pending-invitations",
	"title": "No guest invitation is left pending",
	"severity": "low",
	"frameworks": [{"framework": "acme-baseline", "reference": "G-1"}],
	"required_collections": ["users"],
}

pending := [u | some u in lib.items("users"); u.userType == "Guest"; u.externalUserState == "PendingAcceptance"]

result := lib.error_for(metadata.required_collections) if {
	lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d guest invitations pending", [count(pending)]), [lib.evidence("user", u.id, lib.user_label(u), "pending") | some u in pending]) if {
	count(pending) > 0
} else := lib.result("pass", "no pending guest invitations", [])
"#;

const TESTS: &str = r#"package acme.guests_pending_test

import data.acme.guests_pending

doc(state) := {"collections": {"users": {"status": "ok", "items": [{"id": "g", "userType": "Guest", "externalUserState": state}]}}}

test_a_pending_guest_fails if {
	guests_pending.result.status == "fail" with input as doc("PendingAcceptance")
}

test_an_accepted_guest_passes if {
	guests_pending.result.status == "pass" with input as doc("Accepted")
}
"#;

fn write_pack(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("guests"))?;
    std::fs::write(dir.join("guests/pending.rego"), CONTROL)?;
    std::fs::write(dir.join("guests/pending_test.rego"), TESTS)?;
    Ok(())
}

fn packs_config(dir: &Path) -> String {
    format!("[assessment]\nextra_packs = [{:?}]\n", dir.display().to_string())
}

fn posture(args: &[&str]) -> anyhow::Result<(bool, String)> {
    let output = Command::new(posture_binary()?).args(args).output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

#[test]
fn policy_test_and_list_read_a_custom_pack() -> anyhow::Result<()> {
    let pack = tempfile::tempdir()?;
    write_pack(pack.path())?;
    let dir = pack.path().to_str().context("utf-8 path")?;

    let (ok, out) = posture(&["policy", "test", dir, "--verbose"])?;
    ensure!(ok, "{out}");
    ensure!(out.contains("2 passed, 0 failed"), "{out}");
    ensure!(
        out.contains("PASS  data.acme.guests_pending_test.test_a_pending_guest_fails"),
        "{out}"
    );

    let (ok, out) = posture(&["policy", "list", "--pack", dir])?;
    ensure!(ok, "{out}");
    ensure!(out.contains("acme.guests.no-pending-invitations"), "{out}");
    ensure!(
        out.contains("entra.ca.mfa-all-users"),
        "the built-in controls are listed too: {out}"
    );
    ensure!(
        out.lines().all(|l| l.chars().count() <= 120),
        "fits 120 columns:\n{out}"
    );

    // A wrong expectation fails the run and names the rule.
    std::fs::write(
        pack.path().join("guests/wrong_test.rego"),
        "package acme.wrong_test\n\nimport data.acme.guests_pending\n\ntest_wrong if {\n\tguests_pending.result.status == \"pass\" with input as {\"collections\": {\"users\": {\"status\": \"ok\", \"items\": [{\"id\": \"g\", \"userType\": \"Guest\", \"externalUserState\": \"PendingAcceptance\"}]}}}\n}\n",
    )?;
    let (ok, out) = posture(&["policy", "test", dir])?;
    ensure!(!ok, "a failing test fails the command: {out}");
    ensure!(out.contains("FAIL  data.acme.wrong_test.test_wrong"), "{out}");
    ensure!(out.contains("2 passed, 1 failed"), "{out}");

    let (ok, out) = posture(&["policy", "test", &format!("{dir}/missing")])?;
    ensure!(!ok && out.contains("missing"), "{out}");
    Ok(())
}

#[tokio::test]
async fn standalone_judges_with_the_extra_packs_it_is_configured_with() -> anyhow::Result<()> {
    let pack = tempfile::tempdir()?;
    write_pack(pack.path())?;
    let mut world = World::standalone_with_config(&packs_config(pack.path())).await?;
    let tenant = world
        .tenant(TenantSpec {
            seed: 77,
            users: 60,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    let findings = findings_of_run(&mut world.clients, &tenant, &run.run_id).await?;
    let custom = result_of(&findings, "acme.guests.no-pending-invitations")?;
    let finding = &findings["acme.guests.no-pending-invitations"];
    let pending = world
        .sim
        .ground_truth(&tenant, "users")?
        .objects
        .iter()
        .filter(|u| u["userType"] == "Guest" && u["externalUserState"] == "PendingAcceptance")
        .count();
    ensure!(pending > 0, "the simulated tenant has pending guest invitations");
    ensure!(
        custom == pb::ControlResult::Fail,
        "{pending} pending guests: {finding:#?}"
    );
    ensure!(finding.evidence_total as usize == pending, "{finding:#?}");
    ensure!(
        result_of(&findings, "entra.ca.mfa-all-users").is_ok(),
        "the built-in pack still judges"
    );

    // The running role's controls, as `posture controls` shows them.
    let listed = world
        .deployment
        .cli(&["controls", "list", "--framework", "acme-baseline"])?;
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    ensure!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    ensure!(
        text.contains("acme.guests.no-pending-invitations") && text.contains("1 controls"),
        "{text}"
    );
    let shown = world.deployment.cli(&["controls", "show", "G-1", "-o", "json"])?;
    let shown: Vec<serde_json::Value> = serde_json::from_slice(&shown.stdout)?;
    ensure!(
        shown.len() == 1 && shown[0]["control_id"] == "acme.guests.no-pending-invitations",
        "{shown:?}"
    );
    let by_reference = world.deployment.cli(&["controls", "show", "MS.AAD.3.2v2"])?;
    let text = String::from_utf8_lossy(&by_reference.stdout).into_owned();
    ensure!(
        text.contains("entra.ca.mfa-all-users") && text.contains("fix"),
        "{text}"
    );
    let unknown = world.deployment.cli(&["controls", "show", "no.such.control"])?;
    ensure!(!unknown.status.success());

    // The same findings exported for a spreadsheet and for a CI test report.
    let csv = world
        .deployment
        .cli(&["assess", "findings", &tenant, "--format", "csv"])?;
    ensure!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let text = String::from_utf8(csv.stdout)?;
    ensure!(text.starts_with("tenant_id,assessment_id,control_id,"), "{text}");
    let custom_row = text
        .lines()
        .find(|l| l.contains("acme.guests.no-pending-invitations"))
        .context("the custom control is exported")?;
    ensure!(custom_row.contains(",fail,"), "{custom_row}");
    ensure!(text.lines().count() == findings.len() + 1, "one row per finding");
    let junit = pack.path().join("findings.xml");
    let written = world.deployment.cli(&[
        "assess",
        "findings",
        &tenant,
        "--format",
        "junit",
        "--out",
        junit.to_str().context("utf-8 path")?,
    ])?;
    ensure!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let xml = std::fs::read_to_string(&junit)?;
    ensure!(xml.matches("<testcase ").count() == findings.len(), "{xml}");

    // For a SIEM: OCSF Compliance Findings, valid against the OCSF models, one per finding.
    let ocsf = pack.path().join("findings.ocsf.jsonl");
    let written = world.deployment.cli(&[
        "assess",
        "findings",
        &tenant,
        "--format",
        "ocsf",
        "--out",
        ocsf.to_str().context("utf-8 path")?,
    ])?;
    ensure!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let python = ocsf_python();
    ensure!(
        python.exists(),
        "the OCSF models' interpreter {} is missing: run `make py-sdk` (or set POSTURE_PY_SDK_PYTHON)",
        python.display()
    );
    let validator = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ocsf/validate.py");
    let checked = std::process::Command::new(&python)
        .arg(&validator)
        .arg(&ocsf)
        .output()?;
    ensure!(
        checked.status.success(),
        "OCSF validation failed: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    ensure!(
        String::from_utf8_lossy(&checked.stdout).trim() == findings.len().to_string(),
        "one valid event per finding: {}",
        String::from_utf8_lossy(&checked.stdout)
    );
    let events = std::fs::read_to_string(&ocsf)?;
    let custom: serde_json::Value = serde_json::from_str(
        events
            .lines()
            .find(|l| l.contains("acme.guests.no-pending-invitations"))
            .context("the custom control is exported")?,
    )?;
    ensure!(custom["compliance"]["status_id"] == 3, "{custom}");
    ensure!(custom["metadata"]["tenant_uid"] == tenant.as_str(), "{custom}");
    Ok(())
}

/// The interpreter of the venv `make py-sdk` builds (it holds py-ocsf-models).
fn ocsf_python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("POSTURE_PY_SDK_PYTHON") {
        return p.into();
    }
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    workspace.join(".tools/py-sdk/bin/python")
}

#[tokio::test]
async fn a_custom_module_that_does_not_load_stops_the_assessment_role() -> anyhow::Result<()> {
    let pack = tempfile::tempdir()?;
    std::fs::write(
        pack.path().join("broken.rego"),
        "package acme.broken\n\nmetadata := {\n",
    )?;
    let started = World::standalone_with_config(&packs_config(pack.path())).await;
    let error = match started {
        Ok(world) => anyhow::bail!("started with a broken pack:\n{}", world.deployment.logs()),
        Err(e) => format!("{e:#}"),
    };
    ensure!(
        error.contains("broken.rego"),
        "the error names the module: {error}"
    );
    Ok(())
}
