//! Compiles every `.proto` under the workspace's `proto/` folder with protox (pure Rust, no system
//! `protoc`), writes the encoded descriptor sets for gRPC reflection, and generates prost messages
//! with tonic clients and servers.

use std::error::Error;
use std::path::{Path, PathBuf};

use prost::Message;

/// Messages that carry secret material: prost must not derive `Debug` for them, `src/redact.rs`
/// implements it with the secret fields redacted.
const REDACTED_DEBUG: &[&str] = &[
    ".posture.v1.ClientSecretCredential",
    ".posture.v1.CertificateCredential",
    ".posture.v1.CreateApiKeyResponse",
    ".posture.internal.v1.GetTokenResponse",
    ".posture.v1.CreateSubscriptionResponse",
    ".posture.internal.v1.PutWebhookSecretRequest",
    ".posture.internal.v1.GetWebhookSecretResponse",
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut files = Vec::new();
    collect_protos(&proto_root, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(format!("no .proto files under {}", proto_root.display()).into());
    }

    // tonic-prost-build's own rerun setting is not applied when compiling from descriptors, so the
    // folder (new files) and every file (edits) are declared here.
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let fds = protox::compile(&files, [&proto_root])?;
    std::fs::write(out_dir.join("posture_descriptor.bin"), fds.encode_to_vec())?;

    // The gateway serves reflection for the public API only: internal services and bus payloads
    // must not be discoverable through it.
    let mut public = fds.clone();
    public
        .file
        .retain(|file| matches!(file.package(), "posture.v1" | "google.protobuf"));
    std::fs::write(
        out_dir.join("posture_public_descriptor.bin"),
        public.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .skip_debug(REDACTED_DEBUG.iter().copied())
        .compile_fds(fds)?;
    Ok(())
}

/// Every `.proto` file below `dir`, recursively.
fn collect_protos(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
