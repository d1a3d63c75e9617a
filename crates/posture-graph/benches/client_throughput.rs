//! Client throughput: objects per second for a 100,000-user tenant through the client alone
//! (simulator in-process, no latency, throttling off), requests made against the minimum for the
//! page size, and JSON parse throughput on one core. Prints a table and writes
//! target/bench-results/client_throughput.json.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use posture_graph::paging::parse_odata_page;
use posture_graph::{
    AccessToken, AppConnection, ClientCredential, Endpoints, EntityKind, GraphClient, GraphError, RequestIds,
    Resource, TokenAcquirer, TokenSource, entity_pages, models,
};
use posture_graph_sim::{SimConfig, Simulator, TenantSpec, ThrottleMode};
use secrecy::SecretString;
use tokio::sync::OnceCell;

const USERS: u32 = 100_000;

/// One token for the whole run: token caching is the tokens service's job, not what is measured.
struct OneToken {
    acquirer: TokenAcquirer,
    token: OnceCell<AccessToken>,
}

#[async_trait]
impl TokenSource for OneToken {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        self.token
            .get_or_try_init(|| self.acquirer.acquire(resource))
            .await
            .cloned()
    }
}

fn results_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    }
}

struct Measured {
    objects: usize,
    pages: usize,
    requests: usize,
    minimum_requests: usize,
    page_size: u32,
    end_to_end_secs: f64,
    parse_objects: usize,
    parse_secs: f64,
    bytes: usize,
}

async fn run() -> Result<Measured, Box<dyn std::error::Error>> {
    posture_graph::install_crypto_provider();
    let sim = Simulator::start(SimConfig::default()).await?;
    let spec = TenantSpec {
        users: USERS,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    };
    let tenant = sim.create_tenant(spec)?;
    let tenant_id = tenant.tenant_id.to_string();
    let endpoints = Endpoints::path_routed(&sim.base_url())?;
    let http = posture_graph::http_client()?;
    let connection = AppConnection {
        tenant_id: tenant_id.clone(),
        client_id: tenant.client_id.to_string(),
        credential: ClientCredential::Secret(SecretString::from(tenant.client_secret.expose().to_owned())),
        endpoints: endpoints.clone(),
    };
    let tokens = OneToken {
        acquirer: TokenAcquirer::new(http.clone(), connection),
        token: OnceCell::new(),
    };
    let client = GraphClient::new(
        http,
        Arc::new(tokens),
        endpoints,
        tenant_id.clone(),
        tenant.client_id.to_string(),
    );
    let users = EntityKind::Users.spec();
    let page_size = users.page_size.unwrap_or(100);

    // End to end: HTTP, paging and typed + raw parsing of every user.
    let start = Instant::now();
    let mut stream = std::pin::pin!(entity_pages::<models::User>(&client, &users)?);
    let (mut objects, mut pages) = (0, 0);
    while let Some(page) = stream.next().await {
        objects += page?.records.len();
        pages += 1;
    }
    let end_to_end_secs = start.elapsed().as_secs_f64();
    let requests = sim
        .request_log(&tenant_id)
        .iter()
        .filter(|r| !r.api.starts_with("login"))
        .count();

    // Parse only, on this one thread: the same page bodies fetched once, parsed three times.
    let mut bodies: Vec<Bytes> = Vec::new();
    let mut next = Some(users.first_page_url(&client)?);
    while let Some(url) = next.take() {
        let resp = client.execute(&users.request_at(url)).await?;
        let link = serde_json::from_slice::<serde_json::Value>(&resp.body)?["@odata.nextLink"]
            .as_str()
            .map(url::Url::parse)
            .transpose()?;
        bodies.push(resp.body);
        next = link;
    }
    let ids = RequestIds::default();
    let start = Instant::now();
    let mut parse_objects = 0;
    for _ in 0..3 {
        for body in &bodies {
            parse_objects += parse_odata_page::<models::User>(body, "GET /users", &ids)?
                .records
                .len();
        }
    }
    let parse_secs = start.elapsed().as_secs_f64();
    let bytes = bodies.iter().map(Bytes::len).sum();
    sim.shutdown().await;
    Ok(Measured {
        objects,
        pages,
        requests,
        minimum_requests: (USERS as usize).div_ceil(page_size as usize),
        page_size,
        end_to_end_secs,
        parse_objects,
        parse_secs,
        bytes,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let m = runtime.block_on(run())?;
    let e2e_rate = m.objects as f64 / m.end_to_end_secs;
    let parse_rate = m.parse_objects as f64 / m.parse_secs;
    let overhead = (m.requests as f64 / m.minimum_requests as f64 - 1.0) * 100.0;
    println!("client_throughput: {USERS} users, page size {}", m.page_size);
    println!("{:<40} {:>16}", "measure", "value");
    println!("{:<40} {:>16}", "objects streamed", m.objects);
    println!("{:<40} {:>16}", "pages", m.pages);
    println!("{:<40} {:>16}", "requests made", m.requests);
    println!(
        "{:<40} {:>16}",
        "minimum requests for page size", m.minimum_requests
    );
    println!("{:<40} {:>15.2}%", "requests above minimum", overhead);
    println!("{:<40} {:>16.0}", "objects/s end to end (client + sim)", e2e_rate);
    println!("{:<40} {:>16.0}", "objects/s parsed, one core", parse_rate);
    println!(
        "{:<40} {:>16.1}",
        "MB/s parsed, one core",
        m.bytes as f64 * 3.0 / m.parse_secs / 1e6
    );
    let json = serde_json::json!({
        "bench": "client_throughput",
        "users": USERS,
        "page_size": m.page_size,
        "objects": m.objects,
        "pages": m.pages,
        "requests": m.requests,
        "minimum_requests": m.minimum_requests,
        "requests_over_minimum_percent": overhead,
        "end_to_end_seconds": m.end_to_end_secs,
        "end_to_end_objects_per_second": e2e_rate,
        "parse_objects_per_second_one_core": parse_rate,
        "targets": {"requests_over_minimum_percent_max": 5.0, "parse_objects_per_second_min": 100_000},
    });
    let dir = results_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("client_throughput.json"),
        serde_json::to_vec_pretty(&json)?,
    )?;
    Ok(())
}
