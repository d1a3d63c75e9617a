//! Runs a set of roles in this process: binds the internal gRPC server (every role but the gateway),
//! the gateway's public server and the health/metrics endpoint, starts each role and serves until
//! shutdown. `posture run`, `posture standalone` and `posture demo` all come through here, so
//! standalone and distributed differ only in configuration (store, bus, addresses).

mod bus;
mod first_run;
mod roles;

use std::net::SocketAddr;

use anyhow::Context;
use posture_kit::PostureConfig;
use posture_kit::ServiceRole;
use posture_kit::grpc::GrpcServer;
use posture_kit::shutdown::Shutdown;
use posture_kit::telemetry::{MetricsRegistry, health};
use posture_kit::tls::{InternalTls, PemFiles};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use first_run::{ensure_sqlite_folder, prepare_standalone};

/// Roles this build can run.
pub const AVAILABLE_ROLES: [ServiceRole; 6] = [
    ServiceRole::Credentials,
    ServiceRole::Tokens,
    ServiceRole::Sync,
    ServiceRole::Scheduler,
    ServiceRole::Assessment,
    ServiceRole::Gateway,
];

/// A started set of roles.
pub struct RunningServer {
    /// Where the public gateway listens, if the gateway runs here.
    #[cfg_attr(
        not(feature = "simulator"),
        expect(dead_code, reason = "only the demo, a simulator command, reads it")
    )]
    pub gateway_addr: Option<SocketAddr>,
    servers: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl RunningServer {
    /// Waits until every server has stopped (after the shutdown token is cancelled).
    pub async fn wait(self) -> anyhow::Result<()> {
        for server in self.servers {
            server.await.context("a server task panicked")??;
        }
        Ok(())
    }
}

/// Starts `config.services` in this process. `strict` refuses roles this build cannot run (what an
/// explicit `--service` list asks for); otherwise they are skipped with a warning (standalone).
pub async fn start(
    config: &PostureConfig,
    shutdown: &Shutdown,
    strict: bool,
) -> anyhow::Result<RunningServer> {
    let mut config = config.clone();
    let config = &mut config;
    let mut roles = Vec::new();
    for role in &config.services {
        if AVAILABLE_ROLES.contains(role) {
            roles.push(*role);
        } else if strict {
            anyhow::bail!(
                "the {role} role is not part of this build yet; available roles: {}",
                ServiceRole::list(&AVAILABLE_ROLES)
            );
        } else {
            tracing::warn!(%role, "role not part of this build yet; skipped");
        }
    }
    if roles.is_empty() {
        anyhow::bail!("no role to run: set `services` in the config, POSTURE__SERVICES, or --service");
    }

    let metrics = MetricsRegistry::for_process(&crate::build_info());
    let readiness = health::Readiness::new(shutdown.token());
    let health_listener = bind(config.health.listen, "health").await?;
    let health_addr = health_listener.local_addr()?;
    let mut servers = Vec::new();
    let health_task = health::serve(
        health_listener,
        metrics.clone(),
        readiness.clone(),
        shutdown.token(),
    );
    servers.push(tokio::spawn(async move {
        health_task
            .await
            .context("the health server panicked")?
            .context("the health server failed")
    }));

    let tls = internal_identity(config, &roles)?;
    let bus = bus::connect(config).await?;
    let internal_roles: Vec<_> = roles
        .iter()
        .copied()
        .filter(|r| *r != ServiceRole::Gateway)
        .collect();
    let mut internal_addr = None;
    if !internal_roles.is_empty() {
        let listener = bind(config.grpc.listen, "internal gRPC").await?;
        let bound = listener.local_addr()?;
        follow_bound_port(config, bound);
        internal_addr = Some(bound);
        let mut server = GrpcServer::new(&config.grpc)
            .descriptor_set(posture_proto::FILE_DESCRIPTOR_SET)
            .internal_tls(&tls)
            .metrics(&metrics);
        for role in &internal_roles {
            server = roles::start_internal(*role, config, &bus, shutdown, &tls, server).await?;
        }
        let token = shutdown.token();
        servers.push(tokio::spawn(async move {
            server
                .serve(listener, token)
                .await
                .context("the internal gRPC server failed")
        }));
    }

    let mut gateway_addr = None;
    if roles.contains(&ServiceRole::Gateway) {
        let listener = bind(config.gateway.listen, "gateway").await?;
        gateway_addr = Some(listener.local_addr()?);
        let server = roles::start_gateway(config, &bus, shutdown, &tls)
            .await?
            .metrics(&metrics);
        let token = shutdown.token();
        servers.push(tokio::spawn(async move {
            server.serve(listener, token).await.context("the gateway failed")
        }));
    }

    readiness.mark_ready();
    tracing::info!(
        roles = %roles.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
        internal = ?internal_addr,
        gateway = ?gateway_addr,
        health = %health_addr,
        internal_tls = if tls.is_ephemeral() { "process CA" } else { "files" },
        gateway_tls = config.gateway.tls.cert_file.is_some(),
        "posture is serving"
    );
    Ok(RunningServer {
        gateway_addr,
        servers,
    })
}

/// This process's identity among the roles. With `grpc.tls` files: the certificate there, which
/// must name every role the process runs. Without: a throwaway CA made in memory, which only works
/// when every role the process's roles call runs here too (standalone), since no other process
/// can obtain a certificate from it.
fn internal_identity(config: &PostureConfig, roles: &[ServiceRole]) -> anyhow::Result<InternalTls> {
    let files = &config.grpc.tls;
    if let (Some(ca), Some(certificate), Some(private_key)) =
        (&files.ca_file, &files.cert_file, &files.key_file)
    {
        let tls = InternalTls::from_files(PemFiles {
            certificate: certificate.clone(),
            private_key: private_key.clone(),
            ca: Some(ca.clone()),
        })
        .context("grpc.tls: this process's role certificate")?;
        let missing: Vec<_> = roles
            .iter()
            .copied()
            .filter(|role| !tls.roles().contains(role))
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "grpc.tls.cert_file ({}) names the roles {} but this process also runs {}: use a certificate \
                 naming every role it runs (`posture certs` issues one per role)",
                certificate.display(),
                ServiceRole::list(tls.roles()),
                ServiceRole::list(&missing)
            );
        }
        return Ok(tls);
    }
    let remote: Vec<String> = roles
        .iter()
        .flat_map(|role| roles::callees(*role).iter().map(move |callee| (*role, *callee)))
        .filter(|(_, callee)| !roles.contains(callee))
        .map(|(role, callee)| {
            format!(
                "{role} calls {callee} at {}",
                config.endpoints.for_role(callee).unwrap_or_default()
            )
        })
        .collect();
    if !remote.is_empty() {
        anyhow::bail!(
            "internal calls are mutual TLS and this process has no certificate ({}): set grpc.tls.ca_file, \
             cert_file and key_file (POSTURE__GRPC__TLS__*) to files from `posture certs` or cert-manager",
            remote.join("; ")
        );
    }
    InternalTls::ephemeral(roles).context("creating this process's internal CA")
}

/// Endpoints that name this process's own internal server follow the port it actually bound, so a
/// configuration with port 0 (tests, the demo) still lets the roles reach each other over loopback.
fn follow_bound_port(config: &mut PostureConfig, bound: SocketAddr) {
    if config.grpc.listen.port() != 0 {
        return;
    }
    let configured = [
        format!("http://{}", config.grpc.listen),
        format!("https://{}", config.grpc.listen),
    ];
    let actual = format!("https://{bound}");
    let endpoints = &mut config.endpoints;
    for endpoint in [
        &mut endpoints.credentials,
        &mut endpoints.tokens,
        &mut endpoints.sync,
        &mut endpoints.scheduler,
        &mut endpoints.assessment,
    ] {
        if configured.iter().any(|c| endpoint.trim_end_matches('/') == c) {
            endpoint.clone_from(&actual);
        }
    }
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} for the {what} server (is another Posture running?)")
    })
}
