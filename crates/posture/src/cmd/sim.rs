//! `posture sim`: run the Microsoft cloud simulator on one port with synthetic tenants and
//! print how to connect to each of them, until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use posture_graph_sim::{Profile, SimConfig, SimFile, Simulator, TenantSpec, ThrottleMode};

/// Options of `posture sim`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Number of tenants to create (ignored when the config file lists tenants).
    #[arg(long, default_value_t = 1)]
    pub tenants: u32,
    /// Users per tenant.
    #[arg(long, default_value_t = 50)]
    pub users: u32,
    /// Tenant profile: hardened, typical or neglected.
    #[arg(long, default_value = "typical")]
    pub profile: Profile,
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// TOML configuration (see crates/posture-graph-sim/examples/sim.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// PEM certificate for TLS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seed of the first tenant; the others use the following seeds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Serve without throttling (benchmarks).
    #[arg(long)]
    pub no_throttling: bool,
}

fn config_from(args: &SimArgs) -> anyhow::Result<SimConfig> {
    let file = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            SimFile::parse(&text)?
        }
        None => SimFile::default(),
    };
    let mut tenants = file.tenants.clone();
    if tenants.is_empty() {
        tenants = (0..args.tenants)
            .map(|i| TenantSpec {
                profile: args.profile,
                seed: args.seed + u64::from(i),
                users: args.users,
                throttling: if args.no_throttling {
                    ThrottleMode::Off
                } else {
                    ThrottleMode::Realistic
                },
                ..TenantSpec::default()
            })
            .collect();
    }
    let port_given =
        args.config.is_none() || std::env::args().any(|a| a == "--port" || a.starts_with("--port="));
    let bind = match file.bind {
        Some(b) if !port_given => b,
        _ => SocketAddr::new(args.host, args.port),
    };
    Ok(SimConfig {
        bind,
        dns_bind: file.dns_bind,
        tls_cert: args.tls_cert.clone().or(file.tls_cert.clone()),
        tls_key: args.tls_key.clone().or(file.tls_key.clone()),
        // Interactive use: data is relative to the current hour and the clock follows wall time.
        epoch: file.epoch_or(posture_graph_sim::hour_floor(chrono::Utc::now()))?,
        clock_runs: file.clock_runs.unwrap_or(true),
        tenants,
    })
}

pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let config = config_from(&args)?;
    let sim = Simulator::start(config).await.context("starting the simulator")?;
    let base = sim.base_url();
    println!("Microsoft cloud simulator listening on {base}");
    println!("  token:  {base}login/<tenant>/oauth2/v2.0/token");
    println!(
        "  graph:  {base}graph/v1.0/   mde: {base}mde/api/   management: {base}manage/api/v1.0/<tenant>/activity/feed/"
    );
    println!("  admin:  {base}_sim/tenants   (or use the Microsoft host names with this port)");
    println!(
        "  dns:    {} (UDP and TCP; set sync.dns_server to it)",
        sim.dns_addr()
    );
    for t in sim.tenants() {
        println!();
        println!(
            "tenant  {}  {} ({:?}, {} users)",
            t.tenant_id, t.default_domain, t.profile, t.users
        );
        println!("  client id      {}", t.client_id);
        println!(
            "  client secret  {}   (expires {})",
            t.client_secret.expose(),
            t.secret_expires_at.format("%Y-%m-%d")
        );
    }
    println!();
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}
