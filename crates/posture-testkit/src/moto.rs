//! moto's S3-compatible server for the tests of scheduled backups: started on a free loopback port
//! with the Python that `make py-sdk` installs it into (or any Python that has it), ended when
//! dropped. Tests skip, loudly, only when no interpreter with moto exists.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Interpreters that may hold moto: `POSTURE_PY_SDK_PYTHON`, the venv `make py-sdk` builds, then
/// the system's `python3`.
fn pythons() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(p) = std::env::var("POSTURE_PY_SDK_PYTHON") {
        found.push(p.into());
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    found.push(workspace.join(".tools/py-sdk/bin/python"));
    found.push("python3".into());
    found
}

/// Prints why the S3 part of a test did not run, where nobody can miss it.
pub fn announce_skip() {
    eprintln!(
        "\n\n*** SKIPPED: python moto was not found (run `make py-sdk`, which installs moto[server]); \
         the S3 backup destination is NOT tested ***\n"
    );
}

impl Moto {
    /// Starts moto with a bucket named `bucket` made, as an operator makes one beforehand; `None`
    /// when no Python with moto is installed.
    pub async fn start(bucket: &str) -> Option<Moto> {
        let python = pythons().into_iter().find(|python| {
            Command::new(python)
                .args(["-c", "import moto.server"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto's server starts");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                // moto accepts any credentials and makes a bucket on an unsigned PUT.
                use std::io::{Read, Write};
                let request = format!(
                    "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let mut answer = String::new();
                if stream.write_all(request.as_bytes()).is_ok() && stream.read_to_string(&mut answer).is_ok()
                {
                    let status = answer.lines().next().unwrap_or_default();
                    assert!(status.contains(" 200 "), "moto refused the bucket: {answer}");
                    return Some(moto);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto's server did not answer on {}", moto.endpoint);
    }
}
