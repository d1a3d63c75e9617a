//! The backup archive: `objects/<kind>/<encoded object id>.json`, one file per object, then
//! `manifest.json` (format and version, tenant, time, kinds with their counts, every file's
//! SHA-256), all in a deterministic `posture_kit::archive` tar.gz. Reading treats the archive as
//! untrusted: bounded sizes, a known format version, every file listed with its hash, every
//! object under the kind and id its path names, and the tenant the caller expects.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use posture_kit::archive::{self, ArchiveEntry, ArchiveError, ArchiveWriter, ReadLimits};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` a manifest names.
pub const FORMAT: &str = "posture-configuration-backup";
/// The one version of the format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const JSON: &str = "application/json";

/// Bounds on reading an archive: a configuration backup is a few thousand small objects; these
/// leave room for the largest tenants and stop a gzip bomb long before memory runs out.
const LIMITS: ReadLimits = ReadLimits {
    max_files: 200_000,
    max_file_bytes: 16 * 1024 * 1024,
    max_total_bytes: 1024 * 1024 * 1024,
};

/// One configuration object as a backup keeps it (`objects/<kind>/<id>.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupObject {
    /// Entity kind, e.g. `conditional_access_policies`.
    pub entity_kind: String,
    /// The object's id in the tenant.
    pub object_id: String,
    /// The object's display name (as the inventory shows it).
    pub display_name: String,
    /// The inventory's version number of this content.
    pub version: u64,
    /// Lower-case hex SHA-256 of the content's canonical JSON, as the inventory computed it.
    pub content_hash: String,
    /// When a sync first observed this version.
    pub observed_at: DateTime<Utc>,
    /// The object as Graph returned it.
    pub content: Value,
}

/// A tenant's configuration at one time: what an archive holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Entra tenant id.
    pub tenant_id: String,
    /// The time the objects are as of.
    pub as_of: DateTime<Utc>,
    /// The kinds the snapshot covers, objects or not: an object missing from a covered kind did
    /// not exist, one of an uncovered kind is unknown.
    pub kinds: BTreeSet<String>,
    /// The objects, by (kind, id).
    pub objects: BTreeMap<(String, String), BackupObject>,
}

impl Snapshot {
    /// An empty snapshot covering `kinds`.
    pub fn new(
        tenant_id: impl Into<String>,
        as_of: DateTime<Utc>,
        kinds: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            as_of,
            kinds: kinds.into_iter().collect(),
            objects: BTreeMap::new(),
        }
    }

    /// Adds an object, covering its kind.
    pub fn insert(&mut self, object: BackupObject) {
        self.kinds.insert(object.entity_kind.clone());
        self.objects
            .insert((object.entity_kind.clone(), object.object_id.clone()), object);
    }

    /// Objects per covered kind.
    pub fn counts(&self) -> Vec<KindCount> {
        self.kinds
            .iter()
            .map(|kind| KindCount {
                entity_kind: kind.clone(),
                objects: self.objects.keys().filter(|(k, _)| k == kind).count() as u64,
            })
            .collect()
    }
}

/// A kind and how many objects of it an archive holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    /// Entity kind.
    pub entity_kind: String,
    /// Number of objects.
    pub objects: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// Entra tenant id.
    pub tenant_id: String,
    /// The time the objects are as of (RFC 3339).
    pub as_of: DateTime<Utc>,
    /// Every covered kind with its object count, ordered by kind.
    pub kinds: Vec<KindCount>,
    /// Every other file of the archive with its SHA-256, in archive order.
    pub files: Vec<ArchiveEntry>,
}

/// Why a backup could not be written or read; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The bytes are not a readable archive, or break its bounds.
    #[error("not a readable backup archive: {0}")]
    Archive(#[from] ArchiveError),
    /// The archive has no `manifest.json`.
    #[error("the archive has no manifest.json: it is not a Posture configuration backup")]
    NoManifest,
    /// The manifest is not the format or a version this build reads.
    #[error(
        "unsupported backup format {format:?} version {version} (this build reads {FORMAT:?} version {FORMAT_VERSION})"
    )]
    Unsupported { format: String, version: u32 },
    /// The archive belongs to another tenant than the one named.
    #[error("the backup is of tenant {found}, not of {expected}")]
    TenantMismatch { expected: String, found: String },
    /// A file is malformed, unlisted, altered or inconsistent with the manifest.
    #[error("invalid backup: {0}")]
    Invalid(String),
    /// Serializing failed (only on writing).
    #[error("cannot serialize the backup: {0}")]
    Json(#[from] serde_json::Error),
}

/// The path of an object's file. Ids keep ASCII letters, digits, `-`, `_` and `.` (not first);
/// every other byte is `%XX`, so any id is one safe path segment and the mapping is reversible.
pub fn object_path(kind: &str, object_id: &str) -> String {
    let mut encoded = String::with_capacity(object_id.len());
    for (i, byte) in object_id.bytes().enumerate() {
        let plain = byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || (byte == b'.' && i > 0);
        if plain {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("objects/{kind}/{encoded}.json")
}

/// A kind name as the inventory spells them: lower snake case, at most 64 bytes.
fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Writes `snapshot` as an archive to `out`; returns the manifest written. The same snapshot
/// always gives the same bytes (files in (kind, id) order, every timestamp the snapshot's time).
pub fn write_archive<W: Write>(snapshot: &Snapshot, out: W) -> Result<(W, Manifest), BackupError> {
    let mut writer = ArchiveWriter::new(out, snapshot.as_of.timestamp());
    for ((kind, id), object) in &snapshot.objects {
        if !valid_kind(kind) {
            return Err(BackupError::Invalid(format!(
                "entity kind {kind:?} is not a kind name"
            )));
        }
        let bytes = serde_json::to_vec_pretty(object)?;
        writer.add(&object_path(kind, id), &bytes, JSON)?;
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        tenant_id: snapshot.tenant_id.clone(),
        as_of: snapshot.as_of,
        kinds: snapshot.counts(),
        files: writer.entries().to_vec(),
    };
    writer.add(MANIFEST, &serde_json::to_vec_pretty(&manifest)?, JSON)?;
    let (out, _) = writer.finish()?;
    Ok((out, manifest))
}

/// Reads an archive as untrusted input. With `expected_tenant`, an archive of another tenant is
/// refused (ids compared case-insensitively, as Entra's GUIDs are).
pub fn read_archive(
    input: impl Read,
    expected_tenant: Option<&str>,
) -> Result<(Snapshot, Manifest), BackupError> {
    let files = archive::read_archive(input, LIMITS)?;
    let manifest_file = files
        .iter()
        .find(|f| f.path == MANIFEST)
        .ok_or(BackupError::NoManifest)?;
    let manifest = parse_manifest(&manifest_file.bytes)?;
    if let Some(expected) = expected_tenant
        && !expected.eq_ignore_ascii_case(&manifest.tenant_id)
    {
        return Err(BackupError::TenantMismatch {
            expected: expected.to_owned(),
            found: manifest.tenant_id.clone(),
        });
    }
    let listed: BTreeMap<&str, &ArchiveEntry> = manifest.files.iter().map(|e| (e.path.as_str(), e)).collect();
    if listed.len() != manifest.files.len() {
        return Err(BackupError::Invalid("the manifest lists a file twice".into()));
    }
    let kinds: BTreeSet<String> = manifest.kinds.iter().map(|k| k.entity_kind.clone()).collect();
    if let Some(bad) = kinds.iter().find(|k| !valid_kind(k)) {
        return Err(BackupError::Invalid(format!(
            "the manifest names kind {bad:?}, which is not a kind name"
        )));
    }
    let mut snapshot = Snapshot::new(manifest.tenant_id.clone(), manifest.as_of, kinds);
    let mut seen = 0usize;
    for file in files.iter().filter(|f| f.path != MANIFEST) {
        let entry = listed
            .get(file.path.as_str())
            .ok_or_else(|| BackupError::Invalid(format!("{} is not listed in the manifest", file.path)))?;
        if entry.sha256 != file.sha256() || entry.size_bytes != file.bytes.len() as u64 {
            return Err(BackupError::Invalid(format!(
                "{} does not match its SHA-256 in the manifest: the archive was altered",
                file.path
            )));
        }
        seen += 1;
        let object: BackupObject = serde_json::from_slice(&file.bytes)
            .map_err(|e| BackupError::Invalid(format!("{} is not a backup object: {e}", file.path)))?;
        if object_path(&object.entity_kind, &object.object_id) != file.path {
            return Err(BackupError::Invalid(format!(
                "{} holds object {:?} of kind {:?}, which belongs elsewhere",
                file.path, object.object_id, object.entity_kind
            )));
        }
        if !snapshot.kinds.contains(&object.entity_kind) {
            return Err(BackupError::Invalid(format!(
                "{} is of kind {}, which the manifest does not cover",
                file.path, object.entity_kind
            )));
        }
        snapshot.insert(object);
    }
    if seen != manifest.files.len() {
        return Err(BackupError::Invalid(format!(
            "the manifest lists {} files but the archive holds {seen} of them",
            manifest.files.len()
        )));
    }
    if snapshot.counts() != manifest.kinds {
        return Err(BackupError::Invalid(
            "the objects per kind differ from the manifest's counts".into(),
        ));
    }
    Ok((snapshot, manifest))
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, BackupError> {
    // The format and version first, so a future version is named as such rather than as a
    // malformed manifest.
    let head: Value = serde_json::from_slice(bytes)
        .map_err(|e| BackupError::Invalid(format!("manifest.json is not JSON: {e}")))?;
    let format = head.get("format").and_then(Value::as_str).unwrap_or_default();
    let version = head
        .get("format_version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0);
    if format != FORMAT || version != FORMAT_VERSION {
        return Err(BackupError::Unsupported {
            format: format.chars().take(64).collect(),
            version,
        });
    }
    serde_json::from_value(head).map_err(|e| BackupError::Invalid(format!("manifest.json: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TENANT: &str = "8d3c1f9e-0000-4000-8000-000000000001";

    fn snapshot() -> Snapshot {
        let at = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut s = Snapshot::new(TENANT, at, ["named_locations".to_owned()]);
        for (id, name) in [("p1", "Block legacy auth"), ("a/b\\..", "odd id")] {
            s.insert(BackupObject {
                entity_kind: "conditional_access_policies".into(),
                object_id: id.into(),
                display_name: name.into(),
                version: 2,
                content_hash: "00".repeat(32),
                observed_at: at,
                content: json!({"id": id, "displayName": name, "state": "enabled"}),
            });
        }
        s
    }

    fn written(s: &Snapshot) -> Vec<u8> {
        write_archive(s, Vec::new())
            .map(|(bytes, _)| bytes)
            .unwrap_or_default()
    }

    #[test]
    fn an_archive_reads_back_as_the_snapshot_written_byte_for_byte_reproducible() {
        let s = snapshot();
        let bytes = written(&s);
        assert_eq!(bytes, written(&s), "the same snapshot gives the same bytes");
        let (read, manifest) = read_archive(bytes.as_slice(), Some(&TENANT.to_uppercase())).expect("reads");
        assert_eq!(read, s);
        assert_eq!(manifest.files.len(), 2);
        assert_eq!(
            manifest.kinds,
            vec![
                KindCount {
                    entity_kind: "conditional_access_policies".into(),
                    objects: 2
                },
                KindCount {
                    entity_kind: "named_locations".into(),
                    objects: 0
                },
            ]
        );
        assert!(
            manifest
                .files
                .iter()
                .any(|f| f.path == "objects/conditional_access_policies/a%2Fb%5C...json")
        );
    }

    #[test]
    fn an_archive_of_another_tenant_is_refused_naming_both() {
        let bytes = written(&snapshot());
        let other = "11111111-0000-4000-8000-000000000002";
        let error = read_archive(bytes.as_slice(), Some(other))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(other) && error.contains(TENANT), "{error}");
    }

    /// Rewrites the archive's files through `change` and packs them again, manifest included.
    fn tampered(change: impl Fn(&str, &mut Vec<u8>)) -> Vec<u8> {
        let files = archive::read_archive(written(&snapshot()).as_slice(), LIMITS).expect("reads");
        let mut writer = ArchiveWriter::new(Vec::new(), 0);
        for mut file in files {
            change(&file.path, &mut file.bytes);
            writer.add(&file.path, &file.bytes, JSON).expect("adds");
        }
        writer.finish().map(|(bytes, _)| bytes).unwrap_or_default()
    }

    #[test]
    fn an_altered_object_file_is_refused_naming_it() {
        let bytes = tampered(|path, bytes| {
            if path.ends_with("p1.json") {
                *bytes = String::from_utf8_lossy(bytes)
                    .replace("enabled", "disabled")
                    .into_bytes();
            }
        });
        let error = read_archive(bytes.as_slice(), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("p1.json") && error.contains("SHA-256"), "{error}");
    }

    #[test]
    fn a_future_format_version_is_named_as_unsupported() {
        let bytes = tampered(|path, bytes| {
            if path == MANIFEST {
                *bytes = String::from_utf8_lossy(bytes)
                    .replace("\"format_version\": 1", "\"format_version\": 2")
                    .into_bytes();
            }
        });
        let error = read_archive(bytes.as_slice(), None).err();
        assert!(
            matches!(error, Some(BackupError::Unsupported { version: 2, .. })),
            "{error:?}"
        );
    }

    #[test]
    fn bytes_that_are_not_an_archive_are_a_clear_error() {
        let error = read_archive(&b"not a backup"[..], None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("not a readable backup archive"), "{error}");
    }
}
