//! A policy pack: library modules plus one Rego module per control, each with its metadata. The
//! built-in pack is embedded at build time; custom packs load from a directory of the same layout.

use std::path::Path;

use crate::error::AssessmentError;
use crate::metadata::ControlMetadata;
use crate::module::{ControlModule, LIBRARY_DIR, load_controls};

/// A loaded set of controls ready to evaluate.
#[derive(Debug, Clone)]
pub struct PolicyPack {
    pub(crate) controls: Vec<ControlModule>,
    /// Which policies judged: the built-in pack's version, plus a digest of any custom modules.
    version: String,
}

const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

impl PolicyPack {
    /// The pack shipped with Posture. A module that does not load shows up as an erroring control
    /// rather than failing the whole pack.
    pub fn builtin() -> Self {
        // The embedded library is part of the binary and covered by the pack's own tests, so a
        // failure here is a build defect; still, report it per control instead of panicking.
        Self {
            version: Self::builtin_version(),
            ..Self::from_sources(BUILTIN.iter().map(|(p, s)| (p.to_string(), s.to_string())))
        }
    }

    /// The built-in pack with the controls of custom pack folders (`assessment.extra_packs`) added:
    /// each folder's `lib/` modules join the shared library, every other `.rego` file but
    /// `*_test.rego` is a control. A custom control cannot reuse a built-in control's id (it shows
    /// as a broken module naming both files). The version names the built-in pack and a digest of
    /// the custom modules, so an assessment records what judged it.
    pub fn builtin_with(extra_packs: &[impl AsRef<Path>]) -> Result<Self, AssessmentError> {
        if extra_packs.is_empty() {
            return Ok(Self::builtin());
        }
        let mut library: Vec<(String, String)> = Vec::new();
        let mut controls: Vec<(String, String)> = Vec::new();
        for (path, source) in BUILTIN {
            let entry = (path.to_string(), source.to_string());
            if is_library_path(path) {
                library.push(entry);
            } else {
                controls.push(entry);
            }
        }
        let mut custom = Vec::new();
        for root in extra_packs {
            let root = root.as_ref();
            let mut files = Vec::new();
            collect_rego(root, root, &mut files)?;
            files.sort();
            if !files.iter().any(|(p, _)| !is_library_path(p)) {
                return Err(AssessmentError::EmptyPack {
                    path: root.to_path_buf(),
                });
            }
            for (relative, source) in files {
                let shown = format!("{}/{relative}", root.display());
                custom.push((shown.clone(), source.clone()));
                if is_library_path(&relative) {
                    library.push((shown, source));
                } else {
                    controls.push((shown, source));
                }
            }
        }
        Ok(PolicyPack {
            controls: load_controls(&library, controls),
            version: format!("{}+custom-{:016x}", Self::builtin_version(), fnv(custom.iter())),
        })
    }

    /// A custom pack: `lib/**/*.rego` are library modules, every other `.rego` file (except
    /// `*_test.rego`) is one control. The built-in `posture.lib` functions are always available.
    pub fn load_dir(path: impl AsRef<Path>) -> Result<Self, AssessmentError> {
        let root = path.as_ref();
        let mut files = Vec::new();
        collect_rego(root, root, &mut files)?;
        files.sort();
        let mut sources = builtin_library();
        let version = format!("custom-{:016x}", fnv(files.iter()));
        sources.extend(files);
        let pack = Self {
            version,
            ..Self::from_sources(sources)
        };
        if pack.controls.is_empty() {
            return Err(AssessmentError::EmptyPack {
                path: root.to_path_buf(),
            });
        }
        Ok(pack)
    }

    /// Builds a pack from `(path, source)` pairs; paths under `lib/` (or `builtin/lib/`) are library
    /// modules shared by every control.
    pub fn from_sources(sources: impl IntoIterator<Item = (String, String)>) -> Self {
        let (library, controls): (Vec<_>, Vec<_>) =
            sources.into_iter().partition(|(path, _)| is_library_path(path));
        let controls = load_controls(&library, controls);
        PolicyPack {
            controls,
            version: "unversioned".to_string(),
        }
    }

    /// What judged an assessment: `builtin-<crate version>+<digest>`, with `+custom-<digest>` when
    /// custom packs are added.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The built-in pack's version: the crate version and a digest of every embedded module, so
    /// an assessment records exactly which policies judged it.
    pub fn builtin_version() -> String {
        let hash = fnv(BUILTIN.iter().map(|(p, s)| (p, s)));
        format!("builtin-{}+{hash:016x}", env!("CARGO_PKG_VERSION"))
    }

    /// Metadata of every control that loaded, in pack order.
    pub fn controls(&self) -> Vec<&ControlMetadata> {
        self.controls.iter().filter_map(|c| c.metadata()).collect()
    }

    /// The collections whose items some control of the pack receives (its `reads_items`, or
    /// its `required_collections`); no control sees the items of any other collection.
    pub fn collections_read(&self) -> std::collections::BTreeSet<&str> {
        self.controls
            .iter()
            .filter_map(|c| c.metadata())
            .flat_map(|m| m.collections_read().iter().map(String::as_str))
            .collect()
    }

    /// Controls whose module did not load, with the reason: `(source path, error)`.
    pub fn broken_modules(&self) -> Vec<(&str, &str)> {
        self.controls.iter().filter_map(|c| c.broken()).collect()
    }

    pub fn len(&self) -> usize {
        self.controls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.controls.is_empty()
    }
}

/// The built-in library modules, as a custom pack sees them.
pub(crate) fn builtin_library() -> Vec<(String, String)> {
    BUILTIN
        .iter()
        .filter(|(p, _)| p.starts_with(LIBRARY_DIR))
        .map(|(p, s)| (format!("builtin/{p}"), s.to_string()))
        .collect()
}

/// FNV-1a over paths and sources: stable across builds and platforms, no dependency.
fn fnv<P: AsRef<str>, S: AsRef<str>>(modules: impl Iterator<Item = impl std::borrow::Borrow<(P, S)>>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for module in modules {
        let (path, source) = module.borrow();
        for byte in path
            .as_ref()
            .bytes()
            .chain([0])
            .chain(source.as_ref().bytes())
            .chain([0])
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

fn is_library_path(path: &str) -> bool {
    path.starts_with(LIBRARY_DIR) || path.starts_with(&format!("builtin/{LIBRARY_DIR}"))
}

fn collect_rego(root: &Path, dir: &Path, found: &mut Vec<(String, String)>) -> Result<(), AssessmentError> {
    let read_error = |source| AssessmentError::PackRead {
        path: dir.to_path_buf(),
        source_error: source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_dir() {
            collect_rego(root, &path, found)?;
            continue;
        }
        let name = path.to_string_lossy();
        if !name.ends_with(".rego") || name.ends_with("_test.rego") {
            continue;
        }
        let source = std::fs::read_to_string(&path).map_err(|source| AssessmentError::PackRead {
            path: path.clone(),
            source_error: source,
        })?;
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        found.push((relative, source));
    }
    Ok(())
}
