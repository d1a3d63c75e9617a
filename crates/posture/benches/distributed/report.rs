//! The benchmark's output: one table row per measure with its target, and the JSON file beside the
//! other benchmarks' results.

use std::path::PathBuf;

use anyhow::Context;

/// One measured value against its target.
pub struct Row {
    pub measure: String,
    pub value: String,
    pub target: String,
    /// `None` when the measure has no target (context for the others).
    pub met: Option<bool>,
}

impl Row {
    pub fn new(measure: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            measure: measure.into(),
            value: value.into(),
            target: String::new(),
            met: None,
        }
    }

    pub fn target(mut self, target: impl Into<String>, met: bool) -> Row {
        self.target = target.into();
        self.met = Some(met);
        self
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "measure": self.measure,
            "value": self.value,
            "target": self.target,
            "met": self.met,
        })
    }
}

pub fn print_table(title: &str, rows: &[Row]) {
    let width = |f: fn(&Row) -> &str, header: &str| {
        rows.iter()
            .map(|r| f(r).len())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let (m, v, t) = (
        width(|r| &r.measure, "measure"),
        width(|r| &r.value, "value"),
        width(|r| &r.target, "target"),
    );
    println!("{title}");
    println!("{:<m$}  {:>v$}  {:<t$}  met?", "measure", "value", "target");
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!(
            "{:<m$}  {:>v$}  {:<t$}  {met}",
            row.measure, row.value, row.target
        );
    }
}

/// The workspace's target folder (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

pub fn write_json(name: &str, value: &serde_json::Value) -> anyhow::Result<PathBuf> {
    let dir = target_dir().join("bench-results");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
