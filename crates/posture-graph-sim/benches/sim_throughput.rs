//! Users served per second in 999-object pages over real HTTP on one core, and resident memory
//! with three 200,000-user tenants. Prints a table and writes
//! target/bench-results/sim_throughput.json.

use std::time::Instant;

use posture_graph_sim::{Profile, SimConfig, Simulator, TenantInfo, TenantSpec, ThrottleMode};
use serde::Deserialize;

const USERS: u32 = 200_000;

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
    value: Vec<serde::de::IgnoredAny>,
}

fn status_kib(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn token(client: &reqwest::Client, sim: &Simulator, info: &TenantInfo) -> String {
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        info.client_id,
        url::form_urlencoded::byte_serialize(info.client_secret.expose().as_bytes()).collect::<String>()
    );
    let r = client
        .post(format!(
            "{}login/{}/oauth2/v2.0/token",
            sim.base_url(),
            info.tenant_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token");
    let v: serde_json::Value = r.json().await.expect("token json");
    v["access_token"].as_str().expect("access_token").to_string()
}

/// Pages through every user; returns (users, pages, seconds).
async fn full_pass(
    client: &reqwest::Client,
    sim: &Simulator,
    token: &str,
    query: &str,
) -> (usize, usize, f64) {
    let mut next = Some(format!("{}graph/v1.0/users?{query}", sim.base_url()));
    let (mut users, mut pages) = (0, 0);
    let start = Instant::now();
    while let Some(url) = next {
        let bytes = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("body");
        let page: Page = serde_json::from_slice(&bytes).expect("page json");
        users += page.value.len();
        pages += 1;
        next = page.next;
    }
    (users, pages, start.elapsed().as_secs_f64())
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One thread runs both the simulator and the client: the figure is per core.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let rss_start = status_kib("VmRSS:");
        let sim = Simulator::start(SimConfig::default()).await.expect("sim");
        let mut tenants = Vec::new();
        for (seed, profile) in [(1, Profile::Hardened), (2, Profile::Typical), (3, Profile::Neglected)] {
            let spec = TenantSpec { seed, profile, users: USERS, throttling: ThrottleMode::Off, ..TenantSpec::default() };
            tenants.push(sim.create_tenant(spec).expect("tenant"));
        }
        let rss_created = status_kib("VmRSS:");
        let client = reqwest::Client::builder().build().expect("client");
        let mut rows = Vec::new();
        for (label, query) in [
            ("sync select", "$top=999&$select=id,displayName,userPrincipalName,accountEnabled,userType,onPremisesSyncEnabled"),
            ("default properties", "$top=999"),
            ("with signInActivity", "$top=500&$select=id,userPrincipalName,signInActivity"),
        ] {
            let info = &tenants[rows.len() % tenants.len()];
            let token = token(&client, &sim, info).await;
            let (users, pages, secs) = full_pass(&client, &sim, &token, query).await;
            assert_eq!(users, USERS as usize, "{label}: every user served");
            rows.push((label, users, pages, secs, users as f64 / secs));
        }
        // Serve the remaining tenants too, so memory reflects three tenants in use.
        for info in &tenants {
            let token = token(&client, &sim, info).await;
            full_pass(&client, &sim, &token, "$top=999&$select=id").await;
        }
        let rss_end = status_kib("VmRSS:");
        let hwm = status_kib("VmHWM:");
        // Other processes share the cores: record how busy the machine was.
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load1: f64 = load.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        println!("\nsim_throughput: users served over HTTP in pages, one thread (server and client)");
        println!("{:<22} {:>9} {:>7} {:>9} {:>12}", "query", "users", "pages", "seconds", "users/s");
        for (label, users, pages, secs, rate) in &rows {
            println!("{label:<22} {users:>9} {pages:>7} {secs:>9.2} {rate:>12.0}");
        }
        println!("machine load average (1 min) during the run: {load1:.2}");
        println!("\nresident memory (3 tenants x {USERS} users): start {} MiB, after creation {} MiB, after serving {} MiB, peak {} MiB",
            rss_start / 1024, rss_created / 1024, rss_end / 1024, hwm / 1024);
        let json = serde_json::json!({
            "bench": "sim_throughput",
            "tenants": 3,
            "users_per_tenant": USERS,
            "runs": rows.iter().map(|(label, users, pages, secs, rate)| serde_json::json!({
                "query": label, "users": users, "pages": pages, "seconds": secs, "users_per_second": rate,
            })).collect::<Vec<_>>(),
            "rss_kib": { "start": rss_start, "after_creation": rss_created, "after_serving": rss_end, "peak": hwm },
            "target_users_per_second": 200_000,
            "load_average_1m": load1,
            "target_rss_mib": 150,
        });
        let dir = std::env::var("CARGO_TARGET_DIR").map(std::path::PathBuf::from)
            .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
            .join("bench-results");
        std::fs::create_dir_all(&dir).expect("bench-results dir");
        std::fs::write(dir.join("sim_throughput.json"), serde_json::to_string_pretty(&json).expect("json")).expect("write");
        println!("written {}", dir.join("sim_throughput.json").display());
        sim.shutdown().await;
    });
}
