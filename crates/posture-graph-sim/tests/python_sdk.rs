//! Microsoft's own Python SDK (msgraph-sdk + azure-identity), unmodified, against the simulator
//! over TLS with Microsoft host names: the strongest check that the wire format is faithful.

mod common;

use std::path::PathBuf;

use posture_graph_sim::{Profile, SimConfig, Simulator, TenantSpec, ThrottleMode};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

fn interpreter() -> PathBuf {
    if let Ok(p) = std::env::var("POSTURE_PY_SDK_PYTHON") {
        return PathBuf::from(p);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A venv interpreter finds its packages from its own path: give it a clean one.
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    workspace.join(".tools/py-sdk/bin/python")
}

#[tokio::test]
async fn official_python_sdk_lists_users_groups_and_ca_policies() {
    let python = interpreter();
    assert!(
        python.exists(),
        "the Graph Python SDK interpreter {} is missing: run `make py-sdk` (or set POSTURE_PY_SDK_PYTHON)",
        python.display()
    );
    let _ = rustls::crypto::ring::default_provider().install_default();

    // A test CA and a server certificate for the Microsoft host names.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Posture simulator test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca");
    let hosts = [
        "login.microsoftonline.com",
        "graph.microsoft.com",
        "api.securitycenter.microsoft.com",
        "manage.office.com",
    ];
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(hosts.map(String::from).to_vec())
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    let cert_path = dir.path().join("sim-cert.pem");
    let key_path = dir.path().join("sim-key.pem");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&cert_path, format!("{}{}", leaf.pem(), ca.pem())).expect("write cert");
    std::fs::write(&key_path, leaf_key.serialize_pem()).expect("write key");
    std::fs::write(&ca_path, ca.pem()).expect("write ca");

    let config = SimConfig {
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await.expect("simulator with TLS");
    let info = sim
        .create_tenant(TenantSpec {
            users: 1_200,
            profile: Profile::Hardened,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .expect("tenant");
    let tid = info.tenant_id.to_string();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sdk_smoke.py");
    let output = tokio::process::Command::new(&python)
        .arg(&script)
        .env("SIM_PORT", sim.addr().port().to_string())
        .env("TENANT_ID", &tid)
        .env("CLIENT_ID", info.client_id.to_string())
        .env("CLIENT_SECRET", info.client_secret.expose())
        .env("SSL_CERT_FILE", &ca_path)
        .env("REQUESTS_CA_BUNDLE", &ca_path)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "SDK script failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("JSON line");
    assert_eq!(
        result["users"],
        sim.ground_truth(&tid, "users").expect("users").count
    );
    assert_eq!(result["user_pages"], 2);
    assert_eq!(
        result["groups"],
        sim.ground_truth(&tid, "groups").expect("groups").count
    );
    assert_eq!(
        result["ca_policies"],
        sim.ground_truth(&tid, "identity/conditionalAccess/policies")
            .expect("ca")
            .count
    );
    assert_eq!(result["ca_states"], serde_json::json!(["enabled"]));
    let log = sim.request_log(&tid);
    assert!(
        log.iter().any(|r| r.api == "login token" && r.status == 200),
        "the SDK fetched a token from the simulator"
    );
}
