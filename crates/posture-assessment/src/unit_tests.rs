//! Runs a pack's Rego unit tests: every `test_*` rule of every `*_test.rego` module, evaluated with
//! all the pack's modules (and, for a custom pack, the built-in `posture.lib`) loaded into one
//! engine. `cargo nextest` runs the built-in pack's tests through this; `posture policy test DIR`
//! runs a custom pack's.

use std::path::Path;

use crate::error::AssessmentError;

/// One `test_*` rule and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoTestOutcome {
    /// `data.<package>.<rule>`
    pub rule: String,
    /// The `*_test.rego` file, relative to the pack's folder.
    pub file: String,
    /// `None` when the rule evaluated to `true`; otherwise what it evaluated to or the error.
    pub failure: Option<String>,
}

/// Every test of a pack, or the modules that did not even load.
#[derive(Debug, Clone, Default)]
pub struct RegoTestReport {
    pub outcomes: Vec<RegoTestOutcome>,
    /// `(file, error)` for each module that does not parse; no test runs when one is listed.
    pub load_errors: Vec<(String, String)>,
}

impl RegoTestReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.failure.is_none()).count()
    }

    pub fn failed(&self) -> impl Iterator<Item = &RegoTestOutcome> {
        self.outcomes.iter().filter(|o| o.failure.is_some())
    }

    /// True when every module loaded, at least one test ran and none failed.
    pub fn ok(&self) -> bool {
        self.load_errors.is_empty() && !self.outcomes.is_empty() && self.failed().next().is_none()
    }
}

/// The tests of a pack folder holding its own library (the built-in `policies/`).
pub fn test_pack_dir(dir: impl AsRef<Path>) -> Result<RegoTestReport, AssessmentError> {
    Ok(run(read_all(dir.as_ref())?, Vec::new()))
}

/// The tests of a custom pack folder, with the built-in library (`data.posture.lib`) loaded as it
/// is when the pack is judged.
pub fn test_custom_pack(dir: impl AsRef<Path>) -> Result<RegoTestReport, AssessmentError> {
    Ok(run(read_all(dir.as_ref())?, crate::pack::builtin_library()))
}

fn read_all(root: &Path) -> Result<Vec<(String, String)>, AssessmentError> {
    let mut files = Vec::new();
    collect(root, root, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<(String, String)>) -> Result<(), AssessmentError> {
    let read_error = |path: &Path, source| AssessmentError::PackRead {
        path: path.to_path_buf(),
        source_error: source,
    };
    for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
        let path = entry.map_err(|e| read_error(dir, e))?.path();
        if path.is_dir() {
            collect(root, &path, found)?;
        } else if path.extension().is_some_and(|e| e == "rego") {
            let source = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            found.push((relative, source));
        }
    }
    Ok(())
}

fn run(files: Vec<(String, String)>, library: Vec<(String, String)>) -> RegoTestReport {
    let mut report = RegoTestReport::default();
    let mut engine = regorus::Engine::new();
    for (path, source) in library {
        if let Err(e) = engine.add_policy(path.clone(), source) {
            report.load_errors.push((path, e.to_string()));
        }
    }
    let mut suites = Vec::new();
    for (path, source) in &files {
        if let Err(e) = engine.add_policy(path.clone(), source.clone()) {
            report.load_errors.push((path.clone(), e.to_string()));
        } else if path.ends_with("_test.rego") {
            suites.push((path.clone(), tests_in(source)));
        }
    }
    if !report.load_errors.is_empty() {
        return report;
    }
    for (file, (package, tests)) in suites {
        for test in tests {
            let rule = format!("data.{package}.{test}");
            let failure = match engine.eval_rule(rule.clone()) {
                Ok(value) if value == regorus::Value::from(true) => None,
                Ok(regorus::Value::Undefined) => Some("undefined (a condition did not hold)".to_string()),
                Ok(value) => Some(format!("evaluated to {value}")),
                Err(e) => Some(format!("error: {e}")),
            };
            report.outcomes.push(RegoTestOutcome {
                rule,
                file: file.clone(),
                failure,
            });
        }
    }
    report
}

/// The package of a module and the names of its `test_*` rules, read from the source text: a test
/// rule starts at column zero, as `opa fmt` writes it.
pub(crate) fn tests_in(source: &str) -> (String, Vec<String>) {
    let mut package = String::new();
    let mut tests = Vec::new();
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("package ") {
            package = rest.trim().to_string();
        } else if line.starts_with("test_") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !tests.contains(&name) {
                tests.push(name);
            }
        }
    }
    (package, tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rules_are_found_once_each_at_column_zero() {
        let (package, tests) = tests_in(
            "package custom.x_test\n\ntest_a if {\n\ttrue\n}\n\ntest_a if false\n  test_indented if true\ntest_b := true\n",
        );
        assert_eq!(package, "custom.x_test");
        assert_eq!(tests, ["test_a", "test_b"]);
    }
}
