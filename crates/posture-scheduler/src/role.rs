//! The role's entry points for the binary: `start` migrates the `scheduler` schema, follows
//! connection changes, runs the tick loop (lease, then due slots) and, with a vault to keep
//! signing secrets in, the notification consumers and sender until shutdown; `register` mounts
//! ScheduleService (and NotificationService) on the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use posture_bus::Bus;
use posture_kit::clock::SharedClock;
use posture_kit::db::Db;
use posture_kit::grpc::GrpcServer;
use posture_proto::v1::notification_service_server::NotificationServiceServer;
use posture_proto::v1::schedule_service_server::ScheduleServiceServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::ScheduleApi;
use crate::connections;
use crate::error::SchedulerError;
use crate::lease::SchedulerLease;
use crate::notify::{NotificationApi, NotificationStore, Notifier, Sender, WebhookSecrets};
use crate::scheduler::{Scheduler, TickOutcome};
use crate::settings::SchedulerSettings;
use crate::store::ScheduleStore;

pub struct SchedulerDeps {
    pub db: Db,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// `InProcessLease` in standalone, `NatsKvLease` when several scheduler pods run.
    pub lease: Arc<dyn SchedulerLease>,
    pub settings: SchedulerSettings,
    /// Where webhook signing secrets are kept (the vault's WebhookSecretService); without it
    /// notifications are off and NotificationService is not mounted.
    pub webhook_secrets: Option<Arc<dyn WebhookSecrets>>,
    /// The credentials role, whose connection list the credential expiry watch reads.
    pub credentials: Option<tonic::transport::Channel>,
}

#[derive(Clone)]
pub struct SchedulerRole {
    scheduler: Scheduler,
    active: Arc<AtomicBool>,
    notifications: Option<NotificationApi>,
}

pub async fn start(deps: SchedulerDeps) -> Result<SchedulerRole, SchedulerError> {
    let store = ScheduleStore::new(deps.db.clone());
    store.migrate().await?;
    posture_bus::spawn_tenant_purge(
        deps.bus.as_ref(),
        "scheduler",
        posture_bus::topics::durable::SCHEDULER_PURGES,
        deps.db.clone(),
        crate::store::PURGE_TENANT,
        &deps.shutdown,
        &deps.tasks,
    )
    .await
    .map_err(|source| SchedulerError::Bus {
        context: "creating the tenant purge consumer",
        source,
    })?;
    let notifications = match deps.webhook_secrets {
        Some(secrets) => {
            let sender = Sender::new(
                NotificationStore::new(deps.db),
                secrets,
                deps.clock.clone(),
                deps.settings.notifications.clone(),
            )
            .map_err(|e| SchedulerError::Config {
                key: "notifications",
                reason: format!("cannot build the webhook HTTP client: {e}"),
            })?;
            let notifier = Notifier {
                store: sender.store.clone(),
                sender: sender.clone(),
                clock: deps.clock.clone(),
            };
            if let Some(credentials) = deps.credentials {
                deps.tasks.spawn(crate::notify::expiry::watch(
                    notifier.clone(),
                    credentials,
                    deps.settings.notifications.expiry_check,
                    deps.shutdown.clone(),
                ));
            }
            crate::notify::events::spawn_consumers(deps.bus.as_ref(), notifier, &deps.shutdown, &deps.tasks)
                .await?;
            deps.tasks.spawn(sender.clone().run(deps.shutdown.clone()));
            Some(NotificationApi { sender })
        }
        None => None,
    };
    let scheduler = Scheduler {
        store,
        bus: deps.bus.clone(),
        clock: deps.clock,
        defaults: deps.settings.defaults,
    };
    connections::spawn_consumer(deps.bus.as_ref(), scheduler.clone(), &deps.shutdown, &deps.tasks).await?;
    let active = Arc::new(AtomicBool::new(false));
    deps.tasks.spawn(run_ticks(
        scheduler.clone(),
        deps.lease,
        deps.settings,
        active.clone(),
        deps.shutdown,
    ));
    Ok(SchedulerRole {
        scheduler,
        active,
        notifications,
    })
}

/// Renews the lease and fires due slots every tick; gives the lease back on shutdown so a
/// standby takes over at once instead of after the TTL.
async fn run_ticks(
    scheduler: Scheduler,
    lease: Arc<dyn SchedulerLease>,
    settings: SchedulerSettings,
    active: Arc<AtomicBool>,
    shutdown: CancellationToken,
) {
    let holder = settings.holder.as_str();
    tracing::info!(holder, lease = ?lease, "scheduler started");
    loop {
        match scheduler.tick(lease.as_ref(), holder, settings.batch).await {
            Ok(TickOutcome::Standby) => {
                if active.swap(false, Ordering::SeqCst) {
                    tracing::warn!(holder, "scheduler lease lost; standing by");
                }
            }
            Ok(TickOutcome::Active { fired }) => {
                if !active.swap(true, Ordering::SeqCst) {
                    tracing::info!(holder, "scheduler lease taken; this scheduler is active");
                }
                if fired > 0 {
                    tracing::debug!(holder, fired, "due schedules fired");
                }
            }
            Err(error) => {
                // Without a confirmed lease this scheduler must not count itself active.
                if matches!(error, SchedulerError::Lease(_)) {
                    active.store(false, Ordering::SeqCst);
                }
                tracing::warn!(holder, %error, "scheduler tick failed; retrying next tick");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(settings.tick) => {}
        }
    }
    if active.swap(false, Ordering::SeqCst)
        && let Err(error) = lease.release(holder).await
    {
        tracing::warn!(holder, %error, "could not release the scheduler lease; it will expire");
    }
    tracing::info!(holder, "scheduler stopped");
}

impl SchedulerRole {
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        let service = ScheduleServiceServer::new(self.api())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let server = server.add_service(service);
        match &self.notifications {
            Some(api) => server.add_service(
                NotificationServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
            ),
            None => server,
        }
    }

    /// The notification service, when notifications are on.
    pub fn notifications(&self) -> Option<&NotificationApi> {
        self.notifications.as_ref()
    }

    pub fn api(&self) -> ScheduleApi {
        ScheduleApi::new(self.scheduler.clone())
    }

    /// The firing core (store, bus, clock), e.g. to create a schedule without waiting for the bus.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Whether this scheduler held the lease at its last tick.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }
}
