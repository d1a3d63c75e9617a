//! `posture policy`: the controls a pack holds, and a custom pack's Rego unit tests, without a
//! running server (the same engine and built-in library the assessment role uses).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use posture_assessment::PolicyPack;

use crate::client::output::{OutputFormat, Table, framework_short, print_json};
use crate::client::progress::shorten;

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run a custom pack's unit tests: every `test_*` rule in its `*_test.rego` files, with the
    /// built-in `data.posture.lib` loaded. Exits 1 when a test fails or a module does not parse.
    Test {
        /// The pack folder (as named in `assessment.extra_packs`).
        dir: PathBuf,
        /// List passing tests too.
        #[arg(long, short)]
        verbose: bool,
    },
    /// The controls judged: the built-in pack plus each `--pack` folder. Exits 1 when a module does
    /// not load (the assessment role would refuse to start).
    List {
        /// A custom pack folder to add (repeatable).
        #[arg(long = "pack", value_name = "DIR")]
        packs: Vec<PathBuf>,
        #[arg(long, short = 'o', value_enum, default_value = "table")]
        output: OutputFormat,
    },
}

pub fn run(command: PolicyCommand) -> anyhow::Result<i32> {
    match command {
        PolicyCommand::Test { dir, verbose } => test(&dir, verbose),
        PolicyCommand::List { packs, output } => list(&packs, output),
    }
}

fn test(dir: &std::path::Path, verbose: bool) -> anyhow::Result<i32> {
    let report = posture_assessment::test_custom_pack(dir)?;
    for (file, error) in &report.load_errors {
        outln!("ERROR {file}: {error}");
    }
    for outcome in &report.outcomes {
        match &outcome.failure {
            Some(why) => outln!("FAIL  {} ({}): {why}", outcome.rule, outcome.file),
            None if verbose => outln!("PASS  {} ({})", outcome.rule, outcome.file),
            None => {}
        }
    }
    let failed = report.failed().count();
    if !report.load_errors.is_empty() {
        outln!("{} module(s) do not parse; no test ran", report.load_errors.len());
        return Ok(1);
    }
    if report.outcomes.is_empty() {
        outln!("no test_* rules in any *_test.rego under {}", dir.display());
        return Ok(1);
    }
    outln!("{} passed, {failed} failed", report.passed());
    Ok(if failed == 0 { 0 } else { 1 })
}

fn list(packs: &[PathBuf], output: OutputFormat) -> anyhow::Result<i32> {
    let pack = PolicyPack::builtin_with(packs).context("loading the policy packs")?;
    let broken = pack.broken_modules();
    match output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "version": pack.version(),
            "controls": pack.controls().iter().map(|c| serde_json::json!({
                "id": c.id,
                "title": c.title,
                "severity": severity(c.severity),
                "frameworks": c.frameworks.iter().map(|f| serde_json::json!({
                    "framework": f.framework, "reference": f.reference,
                })).collect::<Vec<_>>(),
                "required_collections": c.required_collections,
            })).collect::<Vec<_>>(),
            "broken": broken.iter().map(|(path, error)| serde_json::json!({
                "module": path, "error": error,
            })).collect::<Vec<_>>(),
        }))?,
        OutputFormat::Table => {
            let mut table = Table::new(vec!["CONTROL", "SEVERITY", "FRAMEWORKS", "TITLE"]);
            // 120 columns: ids as long as they are (up to 48), frameworks up to 30, the title the rest.
            let id_width = pack
                .controls()
                .iter()
                .map(|c| c.id.chars().count())
                .max()
                .unwrap_or(0)
                .min(48);
            let title_width = 120 - id_width - 30 - 8 - 6;
            for c in pack.controls() {
                // Posture's own signals reference themselves; only other frameworks are shown.
                let frameworks: Vec<String> = c
                    .frameworks
                    .iter()
                    .filter(|f| f.reference != c.id)
                    .map(|f| format!("{} {}", framework_short(&f.framework), f.reference))
                    .collect();
                table.row(vec![
                    shorten(&c.id, id_width),
                    severity(c.severity),
                    shorten(&frameworks.join(", "), 30),
                    shorten(&c.title, title_width),
                ]);
            }
            outln!("{}", table.render().trim_end());
            outln!("{} controls, pack {}", pack.controls().len(), pack.version());
            for (path, error) in &broken {
                outln!("ERROR {path}: {error}");
            }
        }
    }
    Ok(if broken.is_empty() { 0 } else { 1 })
}

fn severity(s: posture_assessment::Severity) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
