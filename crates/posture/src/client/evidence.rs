//! `posture evidence …`: export an assessment's signed evidence bundle, list the keys that sign
//! bundles, and verify a bundle offline (every file's SHA-256, no file missing or added, and the
//! manifest's Ed25519 signature) with the same code the assessment role writes bundles with.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use posture_kit::archive::sha256_hex;
use posture_kit::evidence::{VerifyingKey, verify_bundle};
use posture_kit::time::timestamp;
use posture_proto::v1::evidence_service_client::EvidenceServiceClient;
use posture_proto::v1::export_evidence_bundle_response::Part;
use posture_proto::v1::{ExportEvidenceBundleRequest, ListSigningKeysRequest, SigningKey};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::timestamp_json;
use super::{GatewayArgs, status::explain};

/// Largest bundle accepted from the gateway (the verifier's own bounds are in posture-kit).
const MAX_BUNDLE_BYTES: u64 = 8 * 1024 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Export the signed evidence bundle of an assessment (default: the latest succeeded one).
    Export {
        tenant_id: String,
        /// The assessment to export (its id, from `posture assess list`).
        #[arg(long, conflicts_with = "as_of")]
        assessment: Option<String>,
        /// The end of an audit period: export the latest assessment completed by then (an RFC
        /// 3339 time such as 2026-06-30T23:59:59Z, or a duration back from now such as 7d).
        #[arg(long, value_parser = super::audit::parse_instant)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// Leave the raw evidence (inventory object versions) out.
        #[arg(long)]
        no_raw_evidence: bool,
        /// Where to write the bundle (a .tar.gz file).
        #[arg(long)]
        out: PathBuf,
    },
    /// List the public keys that sign bundles; with --pem, print them as PEM for `verify --public-key`.
    Keys {
        /// Print every key as a PEM block (save it to verify bundles offline).
        #[arg(long)]
        pem: bool,
        /// Only the key with this id (a bundle's manifest names it), e.g. for `openssl pkeyutl`.
        #[arg(long)]
        key_id: Option<String>,
    },
    /// Verify a bundle offline: every file's hash, no missing or extra file, and the signature.
    /// Exits non-zero, naming each altered file, when anything does not match.
    Verify {
        /// The bundle (.tar.gz).
        file: PathBuf,
        /// PEM file with the public key(s) to trust (from `posture evidence keys --pem`); without
        /// it the keys are fetched from the gateway.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

impl super::resolve::TenantArgument for EvidenceCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            EvidenceCommand::Export { tenant_id, .. } => Some((tenant_id, None)),
            EvidenceCommand::Keys { .. } | EvidenceCommand::Verify { .. } => None,
        }
    }
}

pub async fn run(command: EvidenceCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    match command {
        EvidenceCommand::Export {
            tenant_id,
            assessment,
            as_of,
            no_raw_evidence,
            out,
        } => {
            let request = ExportEvidenceBundleRequest {
                tenant_id,
                assessment_id: assessment.unwrap_or_default(),
                exclude_raw_evidence: no_raw_evidence,
                as_of: as_of.map(timestamp),
            };
            export(gateway, request, &out).await
        }
        EvidenceCommand::Keys { pem, key_id } => {
            let mut keys = signing_keys(gateway).await?;
            if let Some(wanted) = &key_id {
                keys.retain(|k| &k.key_id == wanted);
                anyhow::ensure!(
                    !keys.is_empty(),
                    "no signing key has the id {wanted} (`posture evidence keys` lists them)"
                );
            }
            match gateway.output {
                OutputFormat::Json => print_json(&json!(keys.iter().map(key_json).collect::<Vec<_>>()))?,
                OutputFormat::Table if pem => {
                    for key in &keys {
                        out!("{}", key.public_key_pem);
                    }
                }
                OutputFormat::Table if keys.is_empty() => {
                    outln!("No signing key yet: the first evidence export creates one.")
                }
                OutputFormat::Table => {
                    let mut table = Table::new(vec!["KEY ID", "ALGORITHM", "CREATED", "STATE"]);
                    for key in &keys {
                        table.row(vec![
                            key.key_id.clone(),
                            key.algorithm.clone(),
                            time_text(key.created_at.as_ref()),
                            match &key.retired_at {
                                None => "active".to_owned(),
                                Some(at) => format!("retired {}", time_text(Some(at))),
                            },
                        ]);
                    }
                    out!("{}", table.render());
                }
            }
            Ok(0)
        }
        EvidenceCommand::Verify { file, public_key } => {
            let keys = match public_key {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read the public key file {}", path.display()))?;
                    VerifyingKey::from_pem(&text).with_context(|| format!("{}", path.display()))?
                }
                None => signing_keys(gateway)
                    .await?
                    .iter()
                    .map(|k| VerifyingKey::from_raw(&k.public_key))
                    .collect::<Result<_, _>>()
                    .context("the gateway served a key that is not an Ed25519 public key")?,
            };
            verify(&file, &keys, gateway.output)
        }
    }
}

fn time_text(t: Option<&prost_types::Timestamp>) -> String {
    timestamp_json(t).as_str().unwrap_or("-").to_owned()
}

fn key_json(key: &SigningKey) -> serde_json::Value {
    json!({
        "key_id": key.key_id,
        "algorithm": key.algorithm,
        "public_key_pem": key.public_key_pem,
        "created_at": timestamp_json(key.created_at.as_ref()),
        "retired_at": timestamp_json(key.retired_at.as_ref()),
    })
}

async fn signing_keys(gateway: &GatewayArgs) -> anyhow::Result<Vec<SigningKey>> {
    let mut client = EvidenceServiceClient::new(gateway.connect().await?);
    Ok(client
        .list_signing_keys(ListSigningKeysRequest {})
        .await
        .map_err(|s| explain("listing the evidence signing keys", s))?
        .into_inner()
        .keys)
}

/// Streams the bundle into a file next to `out` and renames it into place once its digest
/// matches, so an interrupted export leaves no partial bundle under the final name.
async fn export(
    gateway: &GatewayArgs,
    request: ExportEvidenceBundleRequest,
    out: &Path,
) -> anyhow::Result<i32> {
    let mut client = EvidenceServiceClient::new(gateway.connect().await?);
    let mut stream = client
        .export_evidence_bundle(request)
        .await
        .map_err(|s| explain("exporting the evidence bundle", s))?
        .into_inner();
    let partial = out.with_extension("partial");
    let mut file =
        std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut manifest = None;
    let mut digest = None;
    let mut bytes: Vec<u8> = Vec::new();
    let result: anyhow::Result<()> = async {
        while let Some(message) = stream
            .message()
            .await
            .map_err(|s| explain("exporting the evidence bundle", s))?
        {
            match message.part {
                Some(Part::Manifest(m)) => manifest = Some(m),
                Some(Part::Chunk(chunk)) => {
                    anyhow::ensure!(
                        (bytes.len() + chunk.len()) as u64 <= MAX_BUNDLE_BYTES,
                        "the bundle is larger than {MAX_BUNDLE_BYTES} bytes"
                    );
                    file.write_all(&chunk)?;
                    bytes.extend_from_slice(&chunk);
                }
                Some(Part::Digest(d)) => digest = Some(d),
                None => {}
            }
        }
        let digest = digest.context("the stream ended before the bundle's digest: the export was cut off")?;
        let actual = sha256_hex(&bytes);
        anyhow::ensure!(
            digest.sha256 == actual && digest.size_bytes == bytes.len() as u64,
            "the bundle received ({} bytes, sha256 {actual}) is not the one sent ({} bytes, sha256 {})",
            bytes.len(),
            digest.size_bytes,
            digest.sha256
        );
        file.sync_all()?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    let manifest = manifest.context("the stream carried no manifest")?;
    let sha256 = sha256_hex(&bytes);
    match gateway.output {
        OutputFormat::Json => print_json(&json!({
            "file": out.display().to_string(),
            "tenant_id": manifest.tenant_id,
            "assessment_id": manifest.assessment_id,
            "pack_version": manifest.pack_version,
            "assessed_at": timestamp_json(manifest.assessed_at.as_ref()),
            "signed_at": timestamp_json(manifest.signed_at.as_ref()),
            "key_id": manifest.key_id,
            "files": manifest.entries.len(),
            "size_bytes": bytes.len(),
            "sha256": sha256,
        }))?,
        OutputFormat::Table => outln!(
            "Wrote {}: assessment {} of tenant {} ({} files, {} bytes, sha256 {}), signed by {} at {}.\n\
             Verify it with `posture evidence verify {}`.",
            out.display(),
            manifest.assessment_id,
            manifest.tenant_id,
            manifest.entries.len(),
            bytes.len(),
            sha256,
            manifest.key_id,
            time_text(manifest.signed_at.as_ref()),
            out.display()
        ),
    }
    Ok(0)
}

fn verify(file: &Path, keys: &[VerifyingKey], format: OutputFormat) -> anyhow::Result<i32> {
    let archive = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let verification = verify_bundle(std::io::BufReader::new(archive), keys);
    let manifest = verification.manifest.as_ref();
    match format {
        OutputFormat::Json => print_json(&json!({
            "file": file.display().to_string(),
            "ok": verification.is_ok(),
            "tenant_id": manifest.map(|m| m.tenant_id.clone()),
            "assessment_id": manifest.map(|m| m.assessment_id.clone()),
            "signed_at": manifest.map(|m| m.signed_at.to_rfc3339()),
            "key_id": manifest.map(|m| m.key_id.clone()),
            "verified_files": verification.verified_files,
            "problems": verification.problems.iter().map(|p| json!({
                "path": p.path(),
                "message": p.to_string(),
            })).collect::<Vec<_>>(),
        }))?,
        OutputFormat::Table if verification.is_ok() => {
            if let Some(m) = manifest {
                outln!(
                    "OK: {} — assessment {} of tenant {} (pack {}, assessed {}), {} files intact, signature by {} (signed {}) valid.",
                    file.display(),
                    m.assessment_id,
                    m.tenant_id,
                    m.pack_version,
                    m.assessed_at.to_rfc3339(),
                    verification.verified_files,
                    m.key_id,
                    m.signed_at.to_rfc3339()
                );
            }
        }
        OutputFormat::Table => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "FAILED: {} does not verify:", file.display());
            for problem in &verification.problems {
                let _ = writeln!(stderr, "  {problem}");
            }
        }
    }
    Ok(if verification.is_ok() { 0 } else { 1 })
}
