//! What the gateway costs a call: latency of GetConnection straight to a backend versus through
//! the gateway (key lookup, role and scope checks, forwarding), with the key store on SQLite and
//! PostgreSQL, sequentially and with 16 concurrent callers. Prints a table and writes
//! `target/bench-results/gateway_forwarding.json`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use posture_kit::db::Backend as DbBackend;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use support::{Backend, TENANT_A, TestGateway, serve_backend, with_key};
use tonic::transport::Channel;

const SEQUENTIAL_CALLS: usize = 2_000;
const CONCURRENT_CALLERS: usize = 16;
const CALLS_PER_CALLER: usize = 250;

struct Row {
    path: String,
    p50_us: f64,
    p99_us: f64,
    calls_per_sec: f64,
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

async fn measure(name: &str, channel: Channel, key: Option<String>) -> Row {
    let request = |key: &Option<String>| {
        let message = v1::GetConnectionRequest {
            tenant_id: TENANT_A.into(),
        };
        match key {
            Some(key) => with_key(key, message),
            None => tonic::Request::new(message),
        }
    };
    let mut client = TenantConnectionServiceClient::new(channel.clone());
    for _ in 0..100 {
        client.get_connection(request(&key)).await.expect("warm-up call");
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let started = Instant::now();
        client.get_connection(request(&key)).await.expect("call");
        latencies.push(started.elapsed());
    }
    latencies.sort();

    let started = Instant::now();
    let callers: Vec<_> = (0..CONCURRENT_CALLERS)
        .map(|_| {
            let mut client = TenantConnectionServiceClient::new(channel.clone());
            let key = key.clone();
            tokio::spawn(async move {
                for _ in 0..CALLS_PER_CALLER {
                    client.get_connection(request(&key)).await.expect("call");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller finished");
    }
    let elapsed = started.elapsed().as_secs_f64();
    Row {
        path: name.to_owned(),
        p50_us: percentile(&latencies, 0.5),
        p99_us: percentile(&latencies, 0.99),
        calls_per_sec: (CONCURRENT_CALLERS * CALLS_PER_CALLER) as f64 / elapsed,
    }
}

async fn channel_to(address: &str) -> Channel {
    Channel::from_shared(address.to_owned())
        .expect("address")
        .connect()
        .await
        .expect("reachable")
}

#[tokio::main]
async fn main() {
    let backend = Backend::default();
    backend.add_connection(TENANT_A, "Contoso");
    let served = serve_backend(&backend).await;

    let mut rows = vec![measure("direct to backend", channel_to(&served.address).await, None).await];
    for store in [DbBackend::Sqlite, DbBackend::Postgres] {
        let db = TestDatabase::new(store).await.expect("test database");
        let gateway = TestGateway::start(db, support::all_roles_at(&served.address)).await;
        let name = format!("through gateway ({store:?} keys)");
        rows.push(measure(&name, gateway.channel().await, Some(gateway.admin_key.clone())).await);
    }

    println!(
        "{:<34} {:>10} {:>10} {:>14}",
        "path", "p50 µs", "p99 µs", "calls/s (x16)"
    );
    for row in &rows {
        println!(
            "{:<34} {:>10.0} {:>10.0} {:>14.0}",
            row.path, row.p50_us, row.p99_us, row.calls_per_sec
        );
    }
    let entries: Vec<String> = rows
        .iter()
        .map(|row| {
            format!(
                "{{\"path\":\"{}\",\"p50_us\":{:.1},\"p99_us\":{:.1},\"calls_per_sec\":{:.1}}}",
                row.path, row.p50_us, row.p99_us, row.calls_per_sec
            )
        })
        .collect();
    let json = format!(
        "{{\"bench\":\"gateway_forwarding\",\"sequential_calls\":{SEQUENTIAL_CALLS},\"concurrent_callers\":{CONCURRENT_CALLERS},\"rows\":[{}]}}\n",
        entries.join(",")
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results");
    if std::fs::create_dir_all(&dir).is_ok() {
        let path = dir.join("gateway_forwarding.json");
        match std::fs::write(&path, json) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(error) => eprintln!("could not write {}: {error}", path.display()),
        }
    }
}
