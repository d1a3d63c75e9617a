//! Names the commit the binary is built from, for `posture --version` and `posture_build_info`:
//! `POSTURE_GIT_REVISION` when the build is given one (the container build does), else what
//! `git rev-parse --short=12 HEAD` says in a checkout, else `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=POSTURE_GIT_REVISION");
    let revision = std::env::var("POSTURE_GIT_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty())
        .or_else(git_revision)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=POSTURE_REVISION={}", revision.trim());
    println!(
        "cargo:rustc-env=POSTURE_VERSION_TEXT={} (commit {})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
        revision.trim()
    );
}

fn git_revision() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let revision = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Rebuild when HEAD moves: the HEAD file and the ref it points at (worktrees included).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--git-path", &reference])
    {
        println!("cargo:rerun-if-changed={path}");
    }
    Some(revision)
}
