//! The role's entry point, as the binary composes roles: `start` wires the broker, the connection
//! tester and the bus consumer and spawns the background tasks; `register` mounts the gRPC service.

use std::sync::Arc;

use futures::StreamExt;
use posture_bus::Bus;
use posture_kit::clock::SharedClock;
use posture_kit::grpc::GrpcServer;
use posture_proto::internal::v1::token_broker_service_server::TokenBrokerServiceServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Channel;

use crate::broker::{BrokerSettings, TokenBroker};
use crate::cached::RefreshPolicy;
use crate::connection_test::ConnectionTester;
use crate::coordinator::RefreshCoordinator;
use crate::error::TokensError;
use crate::events::{self, ConnectionChangedHandler};
use crate::service::TokenBrokerApi;
use crate::vault::Vault;

/// What the tokens role needs from the process.
pub struct TokensDeps {
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Channel to the credentials role's internal server (VaultService).
    pub vault: Channel,
    /// `InProcessCoordinator` in standalone, `NatsKvCoordinator` when replicas run apart.
    pub coordinator: Arc<dyn RefreshCoordinator>,
    pub settings: BrokerSettings,
}

impl BrokerSettings {
    /// The configured refresh lead and jitter, other settings at their defaults.
    pub fn from_config(config: &posture_kit::config::TokensConfig) -> BrokerSettings {
        BrokerSettings {
            refresh: RefreshPolicy::from_config(config),
            ..BrokerSettings::default()
        }
    }
}

/// A running tokens role.
#[derive(Debug, Clone)]
pub struct TokensRole {
    broker: TokenBroker,
    tester: ConnectionTester,
}

pub async fn start(deps: TokensDeps) -> Result<TokensRole, TokensError> {
    let http = posture_graph::http_client().map_err(|e| TokensError::Config(e.to_string()))?;
    let broker = TokenBroker::new(
        Vault::new(deps.vault),
        http,
        deps.clock,
        deps.coordinator.clone(),
        deps.settings,
    );
    let tester = ConnectionTester::new(broker.clone());

    // Drops this replica's copies whenever any replica drops a tenant's shared tokens.
    let mut forgotten = deps.coordinator.forgotten().await?;
    let listener = broker.clone();
    let stop = deps.shutdown.clone();
    deps.tasks.spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                key = forgotten.next() => match key {
                    Some(key) => {
                        listener.forget_locally(&key.tenant, Some(key.resource));
                    }
                    None => break,
                },
            }
        }
    });

    // Credentials refused during token requests become connection health.
    let (refusals, mut refused) = tokio::sync::mpsc::unbounded_channel();
    broker.refusals().report_to(refusals);
    let reporter = tester.clone();
    let stop = deps.shutdown.clone();
    deps.tasks.spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                refusal = refused.recv() => match refusal {
                    Some(refusal) => reporter.report_refusal(refusal).await,
                    None => break,
                },
            }
        }
    });

    let consumer = events::connection_changes(deps.bus.as_ref()).await?;
    let handler = ConnectionChangedHandler {
        broker: broker.clone(),
        tester: tester.clone(),
    };
    deps.tasks
        .spawn(events::consume(consumer, handler, deps.shutdown.clone()));
    Ok(TokensRole { broker, tester })
}

impl TokensRole {
    /// Mounts `TokenBrokerService` (internal server only).
    pub fn register(&self, server: GrpcServer) -> GrpcServer {
        let limit = server.max_message_bytes();
        let service =
            TokenBrokerServiceServer::new(TokenBrokerApi::new(self.broker.clone(), self.tester.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit);
        server
            .add_service(service)
            .descriptor_set(posture_proto::FILE_DESCRIPTOR_SET)
    }

    pub fn broker(&self) -> &TokenBroker {
        &self.broker
    }

    pub fn tester(&self) -> &ConnectionTester {
        &self.tester
    }
}
