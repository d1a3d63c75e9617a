//! Embeds the built-in pack: every `.rego` module under `policies/` except the `*_test.rego` unit
//! tests is listed in a generated table, so adding a control is adding one file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, found)?;
        } else {
            let name = path.to_string_lossy();
            if name.ends_with(".rego") && !name.ends_with("_test.rego") {
                found.push(path);
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let policies = manifest.join("policies");
    println!("cargo:rerun-if-changed={}", policies.display());

    let mut files = Vec::new();
    collect(&policies, &mut files)?;
    files.sort();

    let mut table = String::from("&[\n");
    for file in &files {
        // Directories are watched for added files; each file for edits.
        println!("cargo:rerun-if-changed={}", file.display());
        if let Some(parent) = file.parent() {
            println!("cargo:rerun-if-changed={}", parent.display());
        }
        let relative = file.strip_prefix(&policies)?.to_string_lossy().replace('\\', "/");
        writeln!(
            table,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )?;
    }
    table.push(']');

    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("builtin_policies.rs");
    std::fs::write(out, table)?;
    Ok(())
}
