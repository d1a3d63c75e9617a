//! Deterministic gzip-compressed tar archives with a SHA-256 per file: the format of configuration
//! backups and evidence bundles.
//!
//! Writing is reproducible: the same files in the same order with the same timestamp give the same
//! bytes (fixed modes, owner 0, no user names, a gzip header without time or name), so an archive's
//! digest identifies its content. Reading treats the archive as untrusted input: only regular files,
//! relative paths without `..`, no path twice, and bounds on the number of files and on the bytes
//! each and all of them decompress to (a gzip bomb stops at the bound, not at the end of memory).

use std::collections::BTreeSet;
use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One file of an archive as a manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveEntry {
    /// Relative path inside the archive, `/`-separated.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Media type, e.g. `application/json`.
    pub media_type: String,
}

/// A file read back from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Relative path inside the archive.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl ArchiveFile {
    /// Lower-case hex SHA-256 of the bytes.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }
}

/// Why an archive could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Writing or decompressing failed, or the bytes are not a tar.gz archive.
    #[error("archive I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A path is absolute, empty, has `..`, `.`, a backslash or a NUL.
    #[error("archive path {0:?} is not a plain relative path")]
    BadPath(String),
    /// The same path appears twice.
    #[error("archive holds {0:?} twice")]
    Duplicate(String),
    /// An entry is a link, device or anything but a regular file or directory.
    #[error("archive entry {0:?} is not a regular file")]
    NotAFile(String),
    /// A bound of [`ReadLimits`] was reached.
    #[error("archive exceeds its limit: {0}")]
    TooLarge(String),
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a deterministic tar.gz archive file by file, recording each file's hash.
pub struct ArchiveWriter<W: Write> {
    tar: tar::Builder<GzEncoder<W>>,
    mtime: u64,
    entries: Vec<ArchiveEntry>,
    paths: BTreeSet<String>,
}

impl<W: Write> ArchiveWriter<W> {
    /// An archive written to `out` whose files all carry `mtime` (seconds since the epoch; pass the
    /// time the archive documents, not the time of writing, to keep it reproducible).
    pub fn new(out: W, mtime: i64) -> Self {
        let gz = GzBuilder::new().mtime(0).write(out, Compression::default());
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        Self {
            tar,
            mtime: u64::try_from(mtime).unwrap_or(0),
            entries: Vec::new(),
            paths: BTreeSet::new(),
        }
    }

    /// Adds one file. Paths are relative and `/`-separated; a path already written is refused.
    pub fn add(&mut self, path: &str, bytes: &[u8], media_type: &str) -> Result<(), ArchiveError> {
        check_path(path)?;
        if !self.paths.insert(path.to_owned()) {
            return Err(ArchiveError::Duplicate(path.to_owned()));
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(self.mtime);
        self.tar.append_data(&mut header, path, bytes)?;
        self.entries.push(ArchiveEntry {
            path: path.to_owned(),
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
            media_type: media_type.to_owned(),
        });
        Ok(())
    }

    /// The files written so far, in the order written.
    pub fn entries(&self) -> &[ArchiveEntry] {
        &self.entries
    }

    /// Ends the archive and returns the writer with every file's entry.
    pub fn finish(self) -> Result<(W, Vec<ArchiveEntry>), ArchiveError> {
        let gz = self.tar.into_inner()?;
        let out = gz.finish()?;
        Ok((out, self.entries))
    }
}

/// Bounds on what reading an archive may take.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Most files.
    pub max_files: usize,
    /// Most bytes of one file.
    pub max_file_bytes: u64,
    /// Most bytes of all files together (decompressed).
    pub max_total_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_files: 1_000_000,
            max_file_bytes: 64 * 1024 * 1024,
            max_total_bytes: 4 * 1024 * 1024 * 1024,
        }
    }
}

/// Reads every regular file of a tar.gz archive, in archive order. Directory entries are skipped;
/// anything else that is not a regular file, a bad or repeated path, or a bound reached is an error.
pub fn read_archive(input: impl Read, limits: ReadLimits) -> Result<Vec<ArchiveFile>, ArchiveError> {
    // The decompressed stream itself is bounded, so headers and padding count too.
    let bound = limits.max_total_bytes.saturating_add(64 * 1024 * 1024);
    let mut archive = tar::Archive::new(GzDecoder::new(input).take(bound));
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    let mut total: u64 = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|e| ArchiveError::BadPath(String::from_utf8_lossy(e.as_bytes()).into_owned()))?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => return Err(ArchiveError::NotAFile(path)),
        }
        check_path(&path)?;
        if !seen.insert(path.clone()) {
            return Err(ArchiveError::Duplicate(path));
        }
        if files.len() >= limits.max_files {
            return Err(ArchiveError::TooLarge(format!(
                "more than {} files",
                limits.max_files
            )));
        }
        let size = entry.header().size()?;
        if size > limits.max_file_bytes {
            return Err(ArchiveError::TooLarge(format!(
                "{path} is {size} bytes, more than {}",
                limits.max_file_bytes
            )));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(ArchiveError::TooLarge(format!(
                "files add up to more than {} bytes",
                limits.max_total_bytes
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut entry).take(size).read_to_end(&mut bytes)?;
        files.push(ArchiveFile { path, bytes });
    }
    Ok(files)
}

fn check_path(path: &str) -> Result<(), ArchiveError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(ArchiveError::BadPath(path.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(mtime: i64) -> Vec<u8> {
        let mut writer = ArchiveWriter::new(Vec::new(), mtime);
        writer
            .add("manifest.json", br#"{"version":1}"#, "application/json")
            .expect("in-memory archive");
        let long = format!("objects/conditional_access_policies/{}.json", "a".repeat(120));
        writer
            .add(&long, b"{}", "application/json")
            .expect("in-memory archive");
        let (bytes, entries) = writer.finish().expect("in-memory archive");
        assert_eq!(entries.len(), 2);
        bytes
    }

    #[test]
    fn the_same_files_give_the_same_bytes() {
        assert_eq!(sample(1_700_000_000), sample(1_700_000_000));
        assert_ne!(sample(1_700_000_000), sample(1_700_000_001));
    }

    #[test]
    fn files_read_back_with_their_hashes_and_long_paths() {
        let files = read_archive(&sample(0)[..], ReadLimits::default()).expect("in-memory archive");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "manifest.json");
        assert_eq!(files[0].sha256(), sha256_hex(br#"{"version":1}"#));
        assert!(files[1].path.ends_with(&format!("{}.json", "a".repeat(120))));
    }

    #[test]
    fn paths_that_leave_the_archive_are_refused_when_writing() {
        for path in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            let mut writer = ArchiveWriter::new(Vec::new(), 0);
            assert!(
                matches!(
                    writer.add(path, b"x", "text/plain"),
                    Err(ArchiveError::BadPath(_))
                ),
                "{path:?}"
            );
        }
        let mut writer = ArchiveWriter::new(Vec::new(), 0);
        writer
            .add("a.json", b"1", "application/json")
            .expect("in-memory archive");
        assert!(matches!(
            writer.add("a.json", b"2", "application/json"),
            Err(ArchiveError::Duplicate(_))
        ));
    }

    fn raw_archive(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        build(&mut tar);
        let tar = tar.into_inner().expect("in-memory archive");
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&tar).expect("in-memory archive");
        gz.finish().expect("in-memory archive")
    }

    fn header(size: u64, kind: tar::EntryType) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header
    }

    #[test]
    fn hostile_archives_are_refused_when_reading() {
        // A traversal path written by another tool (the tar crate's own writer refuses `..`).
        let mut traversal = header(1, tar::EntryType::Regular);
        traversal.as_gnu_mut().expect("in-memory archive").name[..7].copy_from_slice(b"../evil");
        traversal.set_cksum();
        let bytes = raw_archive(|tar| tar.append(&traversal, &b"x"[..]).expect("in-memory archive"));
        assert!(matches!(
            read_archive(&bytes[..], ReadLimits::default()),
            Err(ArchiveError::BadPath(_))
        ));

        let bytes = raw_archive(|tar| {
            let mut link = header(0, tar::EntryType::Symlink);
            tar.append_link(&mut link, "link", "/etc/passwd")
                .expect("in-memory archive");
        });
        assert!(matches!(
            read_archive(&bytes[..], ReadLimits::default()),
            Err(ArchiveError::NotAFile(_))
        ));

        let bytes = raw_archive(|tar| {
            tar.append_data(&mut header(1, tar::EntryType::Regular), "a", &b"1"[..])
                .expect("in-memory archive");
            tar.append_data(&mut header(1, tar::EntryType::Regular), "a", &b"2"[..])
                .expect("in-memory archive");
        });
        assert!(matches!(
            read_archive(&bytes[..], ReadLimits::default()),
            Err(ArchiveError::Duplicate(_))
        ));

        assert!(matches!(
            read_archive(&b"not gzip at all"[..], ReadLimits::default()),
            Err(ArchiveError::Io(_))
        ));
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_bound() {
        let big = vec![0u8; 8 * 1024 * 1024];
        let mut writer = ArchiveWriter::new(Vec::new(), 0);
        writer
            .add("zeros.bin", &big, "application/octet-stream")
            .expect("in-memory archive");
        let (bytes, _) = writer.finish().expect("in-memory archive");
        assert!(bytes.len() < 64 * 1024, "compresses well: {}", bytes.len());
        let limits = ReadLimits {
            max_file_bytes: 1024 * 1024,
            ..ReadLimits::default()
        };
        assert!(matches!(
            read_archive(&bytes[..], limits),
            Err(ArchiveError::TooLarge(_))
        ));
        let limits = ReadLimits {
            max_total_bytes: 1024 * 1024,
            ..ReadLimits::default()
        };
        assert!(matches!(
            read_archive(&bytes[..], limits),
            Err(ArchiveError::TooLarge(_))
        ));
        let limits = ReadLimits {
            max_files: 0,
            ..ReadLimits::default()
        };
        assert!(matches!(
            read_archive(&bytes[..], limits),
            Err(ArchiveError::TooLarge(_))
        ));
    }
}
