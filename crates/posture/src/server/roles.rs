//! Starting each role with what it needs from the process: its database schema, the bus, the
//! clock, channels to the roles it calls, and its share of the shutdown.

use std::sync::Arc;
use std::time::Duration;

use super::bus::ProcessBus;
use anyhow::Context;
use posture_kit::PostureConfig;
use posture_kit::ServiceRole;
use posture_kit::clock::{SharedClock, SystemClock};
use posture_kit::config::BusKind;
use posture_kit::db::Db;
use posture_kit::grpc::{GrpcServer, internal_channel};
use posture_kit::shutdown::Shutdown;
use posture_kit::tls::{InternalTls, PemFiles, ServerTls};

/// How long a crashed token-refresh lease holder can block the other replicas.
const TOKEN_LEASE_TTL: Duration = Duration::from_secs(30);
/// How often the credentials role re-reads the fleet for its gauges (health states, expiry).
const FLEET_METRICS_INTERVAL: Duration = Duration::from_secs(60);
/// How long a crashed active scheduler keeps a standby from taking over.
const SCHEDULER_LEASE_TTL: Duration = Duration::from_secs(30);

fn clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// Starts one role that lives on the internal server and mounts its services there.
pub async fn start_internal(
    role: ServiceRole,
    config: &PostureConfig,
    bus: &ProcessBus,
    shutdown: &Shutdown,
    tls: &InternalTls,
    server: GrpcServer,
) -> anyhow::Result<GrpcServer> {
    // Channels to the roles this one calls: mutual TLS as this process, each server verified to
    // hold the role it is called for.
    let channel = |callee: ServiceRole, address: &str| {
        internal_channel(address, callee, tls, &config.grpc).with_context(|| format!("endpoints.{callee}"))
    };
    match role {
        ServiceRole::Credentials => {
            let db = Db::connect(&config.database, "credentials")
                .await
                .context("credentials: database")?;
            let keyring = posture_credentials::keyring_from_config(&config.vault)
                .context("credentials: vault keyring")?;
            let token_broker = Some(channel(ServiceRole::Tokens, &config.endpoints.tokens)?);
            let role = posture_credentials::start(posture_credentials::CredentialsDeps {
                db,
                bus: Arc::clone(&bus.bus),
                clock: clock(),
                shutdown: shutdown.token(),
                tasks: shutdown.tracker("credentials"),
                keyring,
                token_broker,
                settings: posture_credentials::CredentialsSettings {
                    purge_grace: std::time::Duration::from_secs(config.credentials.purge_grace_secs),
                    purge_check_interval: std::time::Duration::from_secs(
                        config.credentials.purge_check_secs.max(1),
                    ),
                    ..posture_credentials::CredentialsSettings::default()
                },
            })
            .await
            .context("starting the credentials role")?;
            if let Some(registry) = server.metrics_registry() {
                role.record_fleet_metrics(
                    registry,
                    FLEET_METRICS_INTERVAL,
                    shutdown.token(),
                    &shutdown.tracker("credentials-metrics"),
                );
            }
            Ok(role.register(server))
        }
        ServiceRole::Tokens => {
            let vault = channel(ServiceRole::Credentials, &config.endpoints.credentials)?;
            let coordinator: Arc<dyn posture_tokens::RefreshCoordinator> = match config.bus.kind {
                BusKind::Memory => Arc::new(posture_tokens::InProcessCoordinator::new(TOKEN_LEASE_TTL)),
                BusKind::Nats => {
                    let (client, prefix) = bus.nats("tokens")?;
                    let seal = posture_tokens::TokenSealKey::from_vault_config(&config.vault)
                        .context("tokens: the token cache key comes from the vault keyring")?;
                    Arc::new(
                        posture_tokens::NatsKvCoordinator::connect(client, prefix, seal, TOKEN_LEASE_TTL)
                            .await
                            .context("tokens: NATS KV buckets")?,
                    )
                }
            };
            let role = posture_tokens::start(posture_tokens::TokensDeps {
                bus: Arc::clone(&bus.bus),
                clock: clock(),
                shutdown: shutdown.token(),
                tasks: shutdown.tracker("tokens"),
                vault,
                coordinator,
                settings: posture_tokens::BrokerSettings::from_config(&config.tokens),
            })
            .await
            .context("starting the tokens role")?;
            Ok(role.register(server))
        }
        ServiceRole::Sync => {
            let db = Db::connect(&config.database, "sync")
                .await
                .context("sync: database")?;
            let role = posture_sync::start(posture_sync::SyncDeps {
                db,
                bus: Arc::clone(&bus.bus),
                clock: clock(),
                shutdown: shutdown.token(),
                tasks: shutdown.tracker("sync"),
                credentials: channel(ServiceRole::Credentials, &config.endpoints.credentials)?,
                tokens: channel(ServiceRole::Tokens, &config.endpoints.tokens)?,
                metrics: server.metrics_registry().cloned().unwrap_or_default(),
                settings: posture_sync::SyncSettings {
                    backup: posture_sync::backup::BackupSettings::from_config(&config.backup),
                    ..posture_sync::SyncSettings::from_config(&config.sync)
                },
            })
            .await
            .context("starting the sync role")?;
            Ok(role.register(server))
        }
        ServiceRole::Scheduler => {
            let db = Db::connect(&config.database, "scheduler")
                .await
                .context("scheduler: database")?;
            let lease: Arc<dyn posture_scheduler::SchedulerLease> = match config.bus.kind {
                BusKind::Memory => Arc::new(posture_scheduler::InProcessLease::new(
                    clock(),
                    SCHEDULER_LEASE_TTL,
                )),
                BusKind::Nats => {
                    let (client, prefix) = bus.nats("scheduler")?;
                    Arc::new(
                        posture_scheduler::NatsKvLease::connect(client, prefix, SCHEDULER_LEASE_TTL)
                            .await
                            .context("scheduler: NATS KV lease")?,
                    )
                }
            };
            let mut settings = posture_scheduler::SchedulerSettings::from_config(&config.scheduler)
                .context("scheduler settings")?;
            settings.notifications.allow_http_loopback = config.notifications.allow_http_loopback;
            settings.notifications.max_attempts = config.notifications.max_attempts.max(1);
            settings.notifications.expiry_check =
                Duration::from_secs(config.notifications.expiry_check_secs.max(1));
            // Signing secrets stay in the vault; the scheduler only asks for them per delivery.
            let vault = channel(ServiceRole::Credentials, &config.endpoints.credentials)?;
            let webhook_secrets: Arc<dyn posture_scheduler::notify::WebhookSecrets> =
                Arc::new(posture_scheduler::notify::VaultSecrets::new(vault.clone()));
            let role = posture_scheduler::start(posture_scheduler::SchedulerDeps {
                db,
                bus: Arc::clone(&bus.bus),
                clock: clock(),
                shutdown: shutdown.token(),
                tasks: shutdown.tracker("scheduler"),
                lease,
                settings,
                webhook_secrets: Some(webhook_secrets),
                credentials: Some(vault),
            })
            .await
            .context("starting the scheduler role")?;
            Ok(role.register(server))
        }
        ServiceRole::Assessment => {
            let db = Db::connect(&config.database, "assessment")
                .await
                .context("assessment: database")?;
            let role = posture_assessment::service::start(posture_assessment::service::AssessmentDeps {
                db,
                bus: Arc::clone(&bus.bus),
                clock: clock(),
                shutdown: shutdown.token(),
                tasks: shutdown.tracker("assessment"),
                sync: channel(ServiceRole::Sync, &config.endpoints.sync)?,
                credentials: channel(ServiceRole::Credentials, &config.endpoints.credentials)?,
                metrics: server.metrics_registry().cloned().unwrap_or_default(),
                settings: posture_assessment::service::RoleSettings {
                    max_message_bytes: config.grpc.max_message_bytes,
                    extra_packs: config.assessment.extra_packs.clone(),
                    ..posture_assessment::service::RoleSettings::default()
                },
            })
            .await
            .context("starting the assessment role")?;
            Ok(role.register(server))
        }
        other => anyhow::bail!("the {other} role is not part of this build yet"),
    }
}

/// Starts the gateway on its own public server: TLS when `gateway.tls` names a certificate.
pub async fn start_gateway(
    config: &PostureConfig,
    bus: &ProcessBus,
    shutdown: &Shutdown,
    tls: &InternalTls,
) -> anyhow::Result<GrpcServer> {
    let db = Db::connect(&config.database, "gateway")
        .await
        .context("gateway: database")?;
    let purge_db = db.clone();
    let role = posture_gateway::start(posture_gateway::GatewayDeps {
        db,
        clock: clock(),
        shutdown: shutdown.token(),
        tasks: shutdown.tracker("gateway"),
        upstreams: posture_gateway::Upstreams::from_endpoints(&config.endpoints, &config.grpc, tls)
            .context("gateway: upstream endpoints")?,
        max_message_bytes: config.grpc.max_message_bytes,
        overview_part_timeout: posture_gateway::DEFAULT_OVERVIEW_PART_TIMEOUT,
        activity: posture_gateway::ActivitySettings::with_retention_days(
            config.gateway.activity_retention_days,
        ),
    })
    .await
    .context("starting the gateway")?;
    // After `start` migrated the schema: the activity log forgets a purged tenant's calls.
    posture_bus::spawn_tenant_purge(
        bus.bus.as_ref(),
        "gateway",
        posture_bus::topics::durable::GATEWAY_PURGES,
        purge_db,
        posture_gateway::activity::PURGE_TENANT,
        &shutdown.token(),
        &shutdown.tracker("gateway-purge"),
    )
    .await
    .context("gateway: tenant purge consumer")?;
    let mut server = GrpcServer::new(&config.grpc);
    let edge = &config.gateway.tls;
    if let (Some(certificate), Some(private_key)) = (&edge.cert_file, &edge.key_file) {
        let files = PemFiles {
            certificate: certificate.clone(),
            private_key: private_key.clone(),
            ca: edge.client_ca_file.clone(),
        };
        server = server.edge_tls(ServerTls::edge_from_files(files).context("gateway.tls")?);
    }
    Ok(role.register(server))
}

/// The roles each role calls over the internal network.
pub fn callees(role: ServiceRole) -> &'static [ServiceRole] {
    match role {
        ServiceRole::Credentials => &[ServiceRole::Tokens],
        ServiceRole::Tokens => &[ServiceRole::Credentials],
        ServiceRole::Sync => &[ServiceRole::Credentials, ServiceRole::Tokens],
        ServiceRole::Scheduler => &[ServiceRole::Credentials],
        ServiceRole::Assessment => &[ServiceRole::Sync],
        ServiceRole::Gateway => &[
            ServiceRole::Credentials,
            ServiceRole::Sync,
            ServiceRole::Scheduler,
            ServiceRole::Assessment,
        ],
    }
}
