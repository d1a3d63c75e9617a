//! Evidence bundles: the signed manifest and the offline verification of a bundle.
//!
//! A bundle is a [`crate::archive`] tar.gz holding `manifest.json` (what was assessed, when it was
//! signed and by which key, and every other file's path, SHA-256, size and media type),
//! `manifest.sig` (the base64 Ed25519 signature over `manifest.json`'s exact bytes) and the files
//! the manifest lists. The assessment role writes bundles; `posture evidence verify` checks them
//! with nothing but the archive and a public key, so the checks live here, next to the format.
//! Verification reports every problem it finds, each naming the file it is about.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::signature::{ED25519, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::archive::{ArchiveEntry, ArchiveError, ArchiveWriter, ReadLimits, read_archive, sha256_hex};

/// The format name a manifest carries; a verifier refuses any other.
pub const FORMAT: &str = "posture.evidence.v1";
/// Path of the manifest inside a bundle.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Path of the manifest's signature inside a bundle.
pub const SIGNATURE_PATH: &str = "manifest.sig";
/// Length of a raw Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows it.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The table of contents of a bundle, stored as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Entra tenant id.
    pub tenant_id: String,
    /// The assessment the bundle documents.
    pub assessment_id: String,
    /// Version of the policy pack that judged it.
    pub pack_version: String,
    /// When the assessment completed; the archive's file times.
    pub assessed_at: DateTime<Utc>,
    /// When the manifest was signed (the one part that differs between exports).
    pub signed_at: DateTime<Utc>,
    /// Id of the key that signed it ([`key_id`] of its public key).
    pub key_id: String,
    /// Every other file of the bundle, ordered by path.
    pub files: Vec<ArchiveEntry>,
}

impl Manifest {
    /// The exact bytes stored as `manifest.json` and signed: pretty JSON ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings, times and numbers cannot fail.
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// One file to put in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Relative `/`-separated path.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Media type, e.g. `application/json`.
    pub media_type: &'static str,
}

impl BundleFile {
    pub fn json(path: impl Into<String>, value: &serde_json::Value) -> Self {
        let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
        bytes.push(b'\n');
        Self {
            path: path.into(),
            bytes,
            media_type: "application/json",
        }
    }
}

/// The manifest entries of `files`, ordered by path (the order they are written in).
pub fn entries(files: &[BundleFile]) -> Vec<ArchiveEntry> {
    let mut entries: Vec<ArchiveEntry> = files
        .iter()
        .map(|file| ArchiveEntry {
            path: file.path.clone(),
            sha256: sha256_hex(&file.bytes),
            size_bytes: file.bytes.len() as u64,
            media_type: file.media_type.to_owned(),
        })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// Writes the bundle: `manifest.json`, `manifest.sig` (base64 of `signature`), then the files
/// ordered by path, every file dated `mtime` (seconds since the epoch).
pub fn write_bundle(
    files: &[BundleFile],
    manifest_bytes: &[u8],
    signature: &[u8],
    mtime: i64,
) -> Result<Vec<u8>, ArchiveError> {
    let mut writer = ArchiveWriter::new(Vec::new(), mtime);
    writer.add(MANIFEST_PATH, manifest_bytes, "application/json")?;
    let mut sig = STANDARD.encode(signature).into_bytes();
    sig.push(b'\n');
    writer.add(SIGNATURE_PATH, &sig, "text/plain")?;
    let mut ordered: Vec<&BundleFile> = files.iter().collect();
    ordered.sort_by(|a, b| a.path.cmp(&b.path));
    for file in ordered {
        writer.add(&file.path, &file.bytes, file.media_type)?;
    }
    Ok(writer.finish()?.0)
}

/// A key's id: `ed25519:` and the first 16 bytes of the SHA-256 of the raw public key, in hex.
pub fn key_id(public_key: &[u8]) -> String {
    let digest = Sha256::digest(public_key);
    format!("ed25519:{}", hex::encode(&digest[..16]))
}

/// The raw public key as a PEM SubjectPublicKeyInfo (what `openssl pkeyutl -pubin` reads).
pub fn public_key_pem(public_key: &[u8]) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(public_key);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

/// A public key that verifies manifests.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    pub key_id: String,
    pub public_key: [u8; PUBLIC_KEY_LEN],
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl VerifyingKey {
    /// A key from its raw 32 bytes; its id is derived from them.
    pub fn from_raw(raw: &[u8]) -> Result<Self, KeyError> {
        let public_key: [u8; PUBLIC_KEY_LEN] = raw.try_into().map_err(|_| KeyError::Length(raw.len()))?;
        Ok(Self {
            key_id: key_id(&public_key),
            public_key,
        })
    }

    /// Every Ed25519 key in `text`, a file of one or more PEM `PUBLIC KEY` blocks.
    pub fn from_pem(text: &str) -> Result<Vec<Self>, KeyError> {
        let mut keys = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN PUBLIC KEY-----") {
            let body_start = start + "-----BEGIN PUBLIC KEY-----".len();
            let end = rest[body_start..]
                .find("-----END PUBLIC KEY-----")
                .ok_or(KeyError::Pem("a BEGIN PUBLIC KEY line without its END line"))?;
            let body: String = rest[body_start..body_start + end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let der = STANDARD
                .decode(body)
                .map_err(|_| KeyError::Pem("a PUBLIC KEY block that is not base64"))?;
            let raw = der
                .strip_prefix(SPKI_PREFIX.as_slice())
                .ok_or(KeyError::Pem("a PUBLIC KEY block that is not an Ed25519 key"))?;
            keys.push(Self::from_raw(raw)?);
            rest = &rest[body_start + end..];
        }
        if keys.is_empty() {
            return Err(KeyError::Pem("no PUBLIC KEY block"));
        }
        Ok(keys)
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.public_key)
            .verify(message, signature)
            .is_ok()
    }
}

/// Why a public key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("an Ed25519 public key has 32 bytes, not {0}")]
    Length(usize),
    #[error("the key file holds {0}")]
    Pem(&'static str),
}

/// One thing wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The archive itself cannot be read (not tar.gz, unsafe path, too large).
    Unreadable(String),
    /// `manifest.json` or `manifest.sig` is missing.
    Missing(String),
    /// `manifest.sig` is not base64 of a 64-byte signature.
    BadSignatureFile(String),
    /// No given key has the manifest's key id.
    UnknownKey(String),
    /// The signature does not verify `manifest.json` with the named key.
    SignatureMismatch(String),
    /// `manifest.json` is not a manifest of this format.
    BadManifest(String),
    /// A file's bytes differ from the manifest's hash or size.
    Altered {
        path: String,
        expected: String,
        actual: String,
    },
    /// A file the manifest lists is not in the archive.
    MissingFile(String),
    /// A file in the archive is not in the manifest.
    ExtraFile(String),
}

impl Problem {
    /// The file the problem is about, when it is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Problem::Unreadable(_) => None,
            Problem::Missing(path) | Problem::MissingFile(path) | Problem::ExtraFile(path) => Some(path),
            Problem::BadSignatureFile(_) => Some(SIGNATURE_PATH),
            Problem::UnknownKey(_) | Problem::SignatureMismatch(_) | Problem::BadManifest(_) => {
                Some(MANIFEST_PATH)
            }
            Problem::Altered { path, .. } => Some(path),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(reason) => write!(f, "the archive cannot be read: {reason}"),
            Problem::Missing(path) => write!(f, "{path}: missing from the bundle"),
            Problem::BadSignatureFile(reason) => write!(f, "{SIGNATURE_PATH}: {reason}"),
            Problem::UnknownKey(key_id) => write!(
                f,
                "{MANIFEST_PATH}: signed by key {key_id}, which is not among the keys given"
            ),
            Problem::SignatureMismatch(key_id) => write!(
                f,
                "{MANIFEST_PATH}: the signature in {SIGNATURE_PATH} does not verify with key {key_id} \
                 (the manifest or its signature was altered)"
            ),
            Problem::BadManifest(reason) => write!(f, "{MANIFEST_PATH}: {reason}"),
            Problem::Altered {
                path,
                expected,
                actual,
            } => write!(f, "{path}: altered (manifest says {expected}, file is {actual})"),
            Problem::MissingFile(path) => write!(f, "{path}: listed in the manifest but missing"),
            Problem::ExtraFile(path) => write!(f, "{path}: in the bundle but not in the manifest"),
        }
    }
}

/// What verifying a bundle found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The manifest, when it could be read (even if its signature failed).
    pub manifest: Option<Manifest>,
    /// Files whose hash and size matched the manifest.
    pub verified_files: usize,
    /// Everything wrong; empty means the bundle is intact and signed by a given key.
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Bounds for reading a bundle: generous for real tenants, finite for hostile files.
pub fn bundle_limits() -> ReadLimits {
    ReadLimits {
        max_files: 500_000,
        max_file_bytes: 256 * 1024 * 1024,
        max_total_bytes: 8 * 1024 * 1024 * 1024,
    }
}

/// Verifies a bundle offline: the signature of `manifest.json` with the key among `keys` whose id
/// it names, every file's SHA-256 and size, and that the archive holds exactly the listed files.
pub fn verify_bundle(archive: impl Read, keys: &[VerifyingKey]) -> Verification {
    let files = match read_archive(archive, bundle_limits()) {
        Ok(files) => files,
        Err(error) => {
            return Verification {
                manifest: None,
                verified_files: 0,
                problems: vec![Problem::Unreadable(error.to_string())],
            };
        }
    };
    let mut by_path: BTreeMap<String, Vec<u8>> =
        files.into_iter().map(|file| (file.path, file.bytes)).collect();
    let mut problems = Vec::new();
    let manifest_bytes = by_path.remove(MANIFEST_PATH);
    let signature_text = by_path.remove(SIGNATURE_PATH);
    let Some(manifest_bytes) = manifest_bytes else {
        problems.push(Problem::Missing(MANIFEST_PATH.to_owned()));
        return Verification {
            manifest: None,
            verified_files: 0,
            problems,
        };
    };
    let manifest = match serde_json::from_slice::<Manifest>(&manifest_bytes) {
        Ok(manifest) if manifest.format == FORMAT => Some(manifest),
        Ok(manifest) => {
            problems.push(Problem::BadManifest(format!(
                "format {:?} is not {FORMAT}",
                manifest.format
            )));
            None
        }
        Err(error) => {
            problems.push(Problem::BadManifest(format!("not a manifest: {error}")));
            None
        }
    };
    match signature_text {
        None => problems.push(Problem::Missing(SIGNATURE_PATH.to_owned())),
        Some(text) => match decode_signature(&text) {
            Err(reason) => problems.push(Problem::BadSignatureFile(reason)),
            Ok(signature) => {
                if let Some(manifest) = &manifest {
                    match keys.iter().find(|key| key.key_id == manifest.key_id) {
                        None => problems.push(Problem::UnknownKey(manifest.key_id.clone())),
                        Some(key) if !key.verifies(&manifest_bytes, &signature) => {
                            problems.push(Problem::SignatureMismatch(key.key_id.clone()));
                        }
                        Some(_) => {}
                    }
                }
            }
        },
    }
    let mut verified_files = 0;
    if let Some(manifest) = &manifest {
        for entry in &manifest.files {
            let Some(bytes) = by_path.remove(&entry.path) else {
                problems.push(Problem::MissingFile(entry.path.clone()));
                continue;
            };
            let actual = sha256_hex(&bytes);
            if actual != entry.sha256 || bytes.len() as u64 != entry.size_bytes {
                problems.push(Problem::Altered {
                    path: entry.path.clone(),
                    expected: format!("sha256 {} ({} bytes)", entry.sha256, entry.size_bytes),
                    actual: format!("sha256 {actual} ({} bytes)", bytes.len()),
                });
            } else {
                verified_files += 1;
            }
        }
        problems.extend(by_path.into_keys().map(Problem::ExtraFile));
    }
    Verification {
        manifest,
        verified_files,
        problems,
    }
}

fn decode_signature(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "is not base64 text".to_owned())?;
    let signature = STANDARD
        .decode(text.trim())
        .map_err(|_| "is not base64 text".to_owned())?;
    if signature.len() != 64 {
        return Err(format!(
            "holds {} bytes; an Ed25519 signature has 64",
            signature.len()
        ));
    }
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::ArchiveFile;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn key_pair() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("load")
    }

    fn verifying(pair: &Ed25519KeyPair) -> VerifyingKey {
        VerifyingKey::from_raw(pair.public_key().as_ref()).expect("public key")
    }

    fn files() -> Vec<BundleFile> {
        vec![
            BundleFile::json("results/assessment.json", &serde_json::json!({"id": "a1"})),
            BundleFile::json("results/findings.json", &serde_json::json!([{"control": "c1"}])),
            BundleFile {
                path: "report.html".to_owned(),
                bytes: b"<html>report</html>".to_vec(),
                media_type: "text/html",
            },
            BundleFile::json(
                "evidence/conditional_access_policies/p1@v2.json",
                &serde_json::json!({"state": "enabled"}),
            ),
            BundleFile::json("exceptions.json", &serde_json::json!([])),
            BundleFile::json("drift.json", &serde_json::json!([])),
            BundleFile::json(
                "connection/permission-test.json",
                &serde_json::json!({"state": "healthy"}),
            ),
        ]
    }

    fn manifest(pair: &Ed25519KeyPair, files: &[BundleFile]) -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            tenant_id: "6f1c8a1e-0000-4000-8000-00000000000a".to_owned(),
            assessment_id: "a0000000-0000-4000-8000-000000000001".to_owned(),
            pack_version: "1.0.0".to_owned(),
            assessed_at: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            signed_at: DateTime::from_timestamp(1_700_000_100, 0).expect("time"),
            key_id: verifying(pair).key_id,
            files: entries(files),
        }
    }

    fn bundle(pair: &Ed25519KeyPair) -> Vec<u8> {
        let files = files();
        let bytes = manifest(pair, &files).to_bytes();
        let signature = pair.sign(&bytes);
        write_bundle(&files, &bytes, signature.as_ref(), 1_700_000_000).expect("write")
    }

    /// Reads a bundle, lets `change` edit its files, and writes them back as an archive.
    fn rewritten(bundle: &[u8], change: impl FnOnce(&mut Vec<ArchiveFile>)) -> Vec<u8> {
        let mut files = read_archive(bundle, ReadLimits::default()).expect("read");
        change(&mut files);
        let mut writer = ArchiveWriter::new(Vec::new(), 0);
        for file in &files {
            writer
                .add(&file.path, &file.bytes, "application/octet-stream")
                .expect("add");
        }
        writer.finish().expect("finish").0
    }

    fn flip_byte_of(path: &str) -> impl FnOnce(&mut Vec<ArchiveFile>) + '_ {
        move |files| {
            let file = files.iter_mut().find(|f| f.path == path).expect("file in bundle");
            file.bytes[0] ^= 0x01;
        }
    }

    #[test]
    fn an_intact_bundle_verifies_with_its_key() {
        let pair = key_pair();
        let verification = verify_bundle(bundle(&pair).as_slice(), &[verifying(&pair)]);
        assert!(verification.is_ok(), "{:?}", verification.problems);
        assert_eq!(verification.verified_files, files().len());
        assert_eq!(
            verification.manifest.expect("manifest").assessment_id,
            "a0000000-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn a_bundle_is_reproducible_apart_from_its_signing_time() {
        let pair = key_pair();
        assert_eq!(bundle(&pair), bundle(&pair));
    }

    #[test]
    fn one_changed_byte_in_any_listed_file_fails_naming_that_file() {
        let pair = key_pair();
        let original = bundle(&pair);
        for file in files() {
            let tampered = rewritten(&original, flip_byte_of(&file.path));
            let verification = verify_bundle(tampered.as_slice(), &[verifying(&pair)]);
            assert_eq!(verification.problems.len(), 1, "{:?}", verification.problems);
            let problem = &verification.problems[0];
            assert!(matches!(problem, Problem::Altered { .. }), "{problem}");
            assert_eq!(problem.path(), Some(file.path.as_str()));
            assert!(problem.to_string().starts_with(&file.path), "{problem}");
        }
    }

    #[test]
    fn a_changed_manifest_fails_its_signature() {
        let pair = key_pair();
        let tampered = rewritten(&bundle(&pair), |files| {
            let manifest = files
                .iter_mut()
                .find(|f| f.path == MANIFEST_PATH)
                .expect("manifest");
            let text = String::from_utf8(manifest.bytes.clone()).expect("utf-8");
            manifest.bytes = text.replace("1.0.0", "9.0.0").into_bytes();
        });
        let verification = verify_bundle(tampered.as_slice(), &[verifying(&pair)]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::SignatureMismatch(_)]
        ));
        assert_eq!(verification.problems[0].path(), Some(MANIFEST_PATH));
    }

    #[test]
    fn a_changed_signature_fails() {
        let pair = key_pair();
        let tampered = rewritten(&bundle(&pair), |files| {
            let sig = files
                .iter_mut()
                .find(|f| f.path == SIGNATURE_PATH)
                .expect("signature");
            let mut raw = STANDARD.decode(sig.bytes.trim_ascii()).expect("base64");
            raw[10] ^= 0x01;
            sig.bytes = STANDARD.encode(raw).into_bytes();
        });
        let verification = verify_bundle(tampered.as_slice(), &[verifying(&pair)]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::SignatureMismatch(_)]
        ));
        let garbled = rewritten(&bundle(&pair), |files| {
            let sig = files
                .iter_mut()
                .find(|f| f.path == SIGNATURE_PATH)
                .expect("signature");
            sig.bytes = b"not a signature!".to_vec();
        });
        let verification = verify_bundle(garbled.as_slice(), &[verifying(&pair)]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::BadSignatureFile(_)]
        ));
    }

    #[test]
    fn an_added_file_is_named() {
        let pair = key_pair();
        let tampered = rewritten(&bundle(&pair), |files| {
            files.push(ArchiveFile {
                path: "evidence/extra.json".to_owned(),
                bytes: b"{}".to_vec(),
            });
        });
        let verification = verify_bundle(tampered.as_slice(), &[verifying(&pair)]);
        assert_eq!(
            verification.problems,
            vec![Problem::ExtraFile("evidence/extra.json".to_owned())]
        );
    }

    #[test]
    fn a_removed_file_is_named() {
        let pair = key_pair();
        let tampered = rewritten(&bundle(&pair), |files| {
            files.retain(|f| f.path != "report.html");
        });
        let verification = verify_bundle(tampered.as_slice(), &[verifying(&pair)]);
        assert_eq!(
            verification.problems,
            vec![Problem::MissingFile("report.html".to_owned())]
        );
        let unsigned = rewritten(&bundle(&pair), |files| {
            files.retain(|f| f.path != SIGNATURE_PATH);
        });
        let verification = verify_bundle(unsigned.as_slice(), &[verifying(&pair)]);
        assert_eq!(
            verification.problems,
            vec![Problem::Missing(SIGNATURE_PATH.to_owned())]
        );
    }

    #[test]
    fn another_key_does_not_verify_the_bundle() {
        let pair = key_pair();
        let other = key_pair();
        let original = bundle(&pair);
        let verification = verify_bundle(original.as_slice(), &[verifying(&other)]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::UnknownKey(_)]
        ));
        // A key presented under the signer's id still has to verify the signature.
        let impostor = VerifyingKey {
            key_id: verifying(&pair).key_id,
            public_key: verifying(&other).public_key,
        };
        let verification = verify_bundle(original.as_slice(), &[impostor]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::SignatureMismatch(_)]
        ));
    }

    #[test]
    fn something_that_is_not_a_bundle_is_unreadable() {
        let verification = verify_bundle(&b"plain text, not an archive"[..], &[]);
        assert!(matches!(
            verification.problems.as_slice(),
            [Problem::Unreadable(_)]
        ));
    }

    #[test]
    fn public_keys_round_trip_through_pem() {
        let pair = key_pair();
        let key = verifying(&pair);
        let pem = format!(
            "{}{}",
            public_key_pem(&key.public_key),
            public_key_pem(&verifying(&key_pair()).public_key)
        );
        let keys = VerifyingKey::from_pem(&pem).expect("pem");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], key);
        assert!(key.key_id.starts_with("ed25519:") && key.key_id.len() == 8 + 32);
        assert!(VerifyingKey::from_pem("nothing here").is_err());
    }
}
