//! Evidence bundles end to end, in both modes, through the CLI: export the signed bundle of an
//! assessment, verify it offline (with the key saved as PEM, and with the keys fetched from the
//! gateway), change one byte of one file, and verification fails naming that file.

use std::path::Path;

use anyhow::{Context, ensure};
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_kit::archive::{ArchiveWriter, ReadLimits, read_archive};
use posture_proto::v1 as pb;
use posture_tests::scenario::{World, assessment_of_run, sync_and_wait};
use posture_tests::{Mode, both_modes};
use serde_json::Value;

fn spec(seed: u64) -> TenantSpec {
    TenantSpec {
        seed,
        users: 30,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

/// Runs the CLI; fails unless it exits zero.
fn cli(world: &World, args: &[&str]) -> anyhow::Result<std::process::Output> {
    let output = world.deployment.cli(args)?;
    ensure!(
        output.status.success(),
        "posture {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output)
}

fn path_text(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("temporary paths are UTF-8")
}

fn manifest_of(bundle: &Path) -> anyhow::Result<Value> {
    let files = read_archive(std::fs::File::open(bundle)?, ReadLimits::default())?;
    let manifest = files
        .iter()
        .find(|f| f.path == "manifest.json")
        .context("manifest.json in the bundle")?;
    Ok(serde_json::from_slice(&manifest.bytes)?)
}

/// The procedure docs/evidence.md gives auditors without Posture: unpack with tar, check every
/// hash with sha256sum, the signature with openssl. Skipped (with a note) where those tools are
/// missing.
fn verify_by_hand(bundle: &Path, key_file: &Path, dir: &Path) -> anyhow::Result<()> {
    use std::process::Command;
    let has = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(has("tar") && has("sha256sum") && Command::new("openssl").arg("version").output().is_ok()) {
        eprintln!("tar, sha256sum or openssl missing: the by-hand verification is not exercised");
        return Ok(());
    }
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked)?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(bundle)
        .arg("-C")
        .arg(&unpacked)
        .status()?;
    ensure!(status.success(), "tar -xzf");
    let manifest: Value = serde_json::from_slice(&std::fs::read(unpacked.join("manifest.json"))?)?;
    // What `jq -r '.files[] | "\(.sha256)  \(.path)"' manifest.json` prints.
    let checklist: String = manifest["files"]
        .as_array()
        .context("files")?
        .iter()
        .map(|f| {
            format!(
                "{}  {}\n",
                f["sha256"].as_str().unwrap_or(""),
                f["path"].as_str().unwrap_or("")
            )
        })
        .collect();
    std::fs::write(dir.join("checklist.txt"), checklist)?;
    let sums = Command::new("sha256sum")
        .arg("--quiet")
        .arg("-c")
        .arg(dir.join("checklist.txt"))
        .current_dir(&unpacked)
        .output()?;
    ensure!(
        sums.status.success(),
        "sha256sum -c: {}",
        String::from_utf8_lossy(&sums.stdout)
    );
    let decoded = Command::new("base64")
        .arg("-d")
        .arg(unpacked.join("manifest.sig"))
        .output()?;
    ensure!(decoded.status.success(), "base64 -d manifest.sig");
    std::fs::write(dir.join("manifest.sig.bin"), decoded.stdout)?;
    let openssl = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
        .arg(key_file)
        .arg("-in")
        .arg(unpacked.join("manifest.json"))
        .arg("-sigfile")
        .arg(dir.join("manifest.sig.bin"))
        .output()?;
    let said = String::from_utf8_lossy(&openssl.stdout);
    ensure!(
        openssl.status.success() && said.contains("Signature Verified Successfully"),
        "openssl pkeyutl -verify: {said} {}",
        String::from_utf8_lossy(&openssl.stderr)
    );
    Ok(())
}

async fn export_verify_and_tamper(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    ensure!(world.assesses(), "the assessment role runs");
    let tenant = world.tenant(spec(400)).await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");
    let assessment = assessment_of_run(&mut world.clients, &tenant, &run.run_id).await?;
    ensure!(
        assessment.state == pb::AssessmentState::Succeeded as i32,
        "{assessment:#?}"
    );

    let dir = tempfile::tempdir()?;
    let bundle = dir.path().join("bundle.tar.gz");
    let exported = cli(
        &world,
        &[
            "evidence",
            "export",
            &tenant,
            "--out",
            path_text(&bundle)?,
            "-o",
            "json",
        ],
    )?;
    let exported: Value = serde_json::from_slice(&exported.stdout)?;
    ensure!(
        exported["assessment_id"] == assessment.assessment_id.as_str(),
        "the latest succeeded assessment is exported: {exported:#}"
    );

    // What an auditor gets: results, report, decisions, permission test and raw evidence, each
    // listed in the signed manifest.
    let manifest = manifest_of(&bundle)?;
    let paths: Vec<&str> = manifest["files"]
        .as_array()
        .context("manifest files")?
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for wanted in [
        "results/assessment.json",
        "results/findings.json",
        "report.html",
        "exceptions.json",
        "drift.json",
        "connection/permission-test.json",
        "evidence/index.json",
    ] {
        ensure!(paths.contains(&wanted), "{wanted} missing from {paths:?}");
    }
    let evidence = paths
        .iter()
        .copied()
        .find(|p| p.starts_with("evidence/") && p.contains("@v"))
        .context("at least one raw evidence object version")?
        .to_owned();
    ensure!(manifest["tenant_id"] == tenant.as_str(), "{manifest:#}");
    let key_id = manifest["key_id"].as_str().context("key id")?.to_owned();

    // The key as PEM, saved for offline verification; then verify both ways.
    let pem = cli(&world, &["evidence", "keys", "--pem"])?;
    let key_file = dir.path().join("signing-key.pem");
    std::fs::write(&key_file, &pem.stdout)?;
    let listed = cli(&world, &["evidence", "keys", "-o", "json"])?;
    let listed: Value = serde_json::from_slice(&listed.stdout)?;
    ensure!(
        listed
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k["key_id"] == key_id.as_str())),
        "the signing key is served: {listed:#}"
    );
    let verified = cli(
        &world,
        &[
            "evidence",
            "verify",
            path_text(&bundle)?,
            "--public-key",
            path_text(&key_file)?,
        ],
    )?;
    let text = String::from_utf8_lossy(&verified.stdout);
    ensure!(text.starts_with("OK:") && text.contains(&key_id), "{text}");
    cli(&world, &["evidence", "verify", path_text(&bundle)?])?;
    verify_by_hand(&bundle, &key_file, dir.path())?;

    // The same assessment exported again lists the same files with the same hashes.
    let again = dir.path().join("again.tar.gz");
    cli(
        &world,
        &[
            "evidence",
            "export",
            &tenant,
            "--assessment",
            &assessment.assessment_id,
            "--out",
            path_text(&again)?,
        ],
    )?;
    ensure!(
        manifest_of(&again)?["files"] == manifest["files"],
        "a second export of the same assessment has the same files"
    );

    // Another tenant cannot export this tenant's assessment, nor one that does not exist.
    let other = world.tenant(spec(401)).await?;
    for (tenant_id, assessment_id) in [
        (other.as_str(), assessment.assessment_id.as_str()),
        (tenant.as_str(), "00000000-0000-4000-8000-000000000000"),
    ] {
        let refused = world.deployment.cli(&[
            "evidence",
            "export",
            tenant_id,
            "--assessment",
            assessment_id,
            "--out",
            path_text(&dir.path().join("refused.tar.gz"))?,
        ])?;
        let stderr = String::from_utf8_lossy(&refused.stderr);
        ensure!(
            !refused.status.success() && stderr.contains("not found"),
            "{tenant_id} / {assessment_id}: {stderr}"
        );
        ensure!(
            !dir.path().join("refused.tar.gz").exists(),
            "no file for a refused export"
        );
    }

    // One byte changed in one raw evidence file, the archive rewritten around it.
    let mut files = read_archive(std::fs::File::open(&bundle)?, ReadLimits::default())?;
    let target = files
        .iter_mut()
        .find(|f| f.path == evidence)
        .context("the evidence file")?;
    let at = target.bytes.len() / 2;
    target.bytes[at] ^= 0x20;
    let mut writer = ArchiveWriter::new(Vec::new(), 0);
    for file in &files {
        writer.add(&file.path, &file.bytes, "application/octet-stream")?;
    }
    let tampered = dir.path().join("tampered.tar.gz");
    std::fs::write(&tampered, writer.finish()?.0)?;
    let refused = world.deployment.cli(&[
        "evidence",
        "verify",
        path_text(&tampered)?,
        "--public-key",
        path_text(&key_file)?,
    ])?;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    ensure!(!refused.status.success(), "a changed byte must fail verification");
    ensure!(
        stderr.contains(&format!("{evidence}: altered")),
        "the failure names the changed file {evidence}: {stderr}"
    );
    let problems = world.deployment.cli(&[
        "evidence",
        "verify",
        path_text(&tampered)?,
        "--public-key",
        path_text(&key_file)?,
        "-o",
        "json",
    ])?;
    let problems: Value = serde_json::from_slice(&problems.stdout)?;
    ensure!(
        problems["ok"] == false
            && problems["problems"].as_array().map(Vec::len) == Some(1)
            && problems["problems"][0]["path"] == evidence.as_str(),
        "{problems:#}"
    );
    Ok(())
}

both_modes!(
    an_exported_bundle_verifies_and_one_changed_byte_fails_naming_the_file,
    export_verify_and_tamper
);
