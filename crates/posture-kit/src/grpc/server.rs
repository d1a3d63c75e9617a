//! [`GrpcServer`]: collects a process's gRPC services and serves them on a listener with health,
//! reflection, tracing, limits and graceful shutdown. Descriptor sets come in as bytes so this
//! crate needs no generated code.

use std::convert::Infallible;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::GrpcError;
use super::metrics::{MethodTable, RpcMetrics, RpcMetricsLayer, Side};
use crate::config::GrpcConfig;
use crate::telemetry::MetricsRegistry;
use crate::tls::{InternalAuthzLayer, InternalPolicy, InternalTls, ServerTls, tls_incoming};
use crate::trace_context::grpc_server_trace_layer;

pub struct GrpcServer {
    routes: Routes,
    serving: Vec<String>,
    descriptor_sets: Vec<&'static [u8]>,
    health: HealthReporter,
    health_service: tonic_health::pb::health_server::HealthServer<tonic_health::server::HealthService>,
    max_message_bytes: usize,
    request_timeout: Duration,
    metrics: Option<MetricsRegistry>,
    tls: Option<ServerTls>,
    policy: Option<InternalPolicy>,
}

impl GrpcServer {
    pub fn new(config: &GrpcConfig) -> Self {
        let health = HealthReporter::new();
        let health_service = tonic_health::server::HealthService::from_health_reporter(health.clone());
        Self {
            routes: Routes::default(),
            serving: Vec::new(),
            descriptor_sets: Vec::new(),
            health_service: tonic_health::pb::health_server::HealthServer::new(health_service),
            health,
            max_message_bytes: config.max_message_bytes,
            request_timeout: config.request_timeout(),
            metrics: None,
            tls: None,
            policy: None,
        }
    }

    /// Serves mutual TLS with this process's role certificate and authorizes every call by the
    /// caller's verified role ([`InternalPolicy::posture`]). Every role's internal server in a
    /// Posture process runs this way; without it a server is plaintext and open (tests of a
    /// single service).
    pub fn internal_tls(mut self, tls: &InternalTls) -> Self {
        self.tls = Some(tls.server());
        self.policy = Some(InternalPolicy::posture());
        self
    }

    /// Serves TLS with `tls` (the public gateway: callers authenticate with API keys).
    pub fn edge_tls(mut self, tls: ServerTls) -> Self {
        self.tls = Some(tls);
        self.policy = None;
        self
    }

    /// The limit services should apply to their generated server with
    /// `.max_decoding_message_size(..)` and `.max_encoding_message_size(..)` (tonic sets it per
    /// service, not per server).
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }

    /// Handle to change a service's health later (e.g. NOT_SERVING while its store is down).
    pub fn health_reporter(&self) -> HealthReporter {
        self.health.clone()
    }

    /// Records the go-grpc-prometheus server metrics (`grpc_server_handled_total{grpc_type,
    /// grpc_service,grpc_method,grpc_code}`, `grpc_server_handling_seconds`, ...) into `registry`.
    pub fn metrics(mut self, registry: &MetricsRegistry) -> Self {
        self.metrics = Some(registry.clone());
        self
    }

    /// The registry given to [`GrpcServer::metrics`], for the roles mounted here to add theirs.
    pub fn metrics_registry(&self) -> Option<&MetricsRegistry> {
        self.metrics.as_ref()
    }

    /// Mounts a generated tonic server; it is reported SERVING under its fully-qualified name.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.serving.push(S::NAME.to_owned());
        self.routes = self.routes.add_service(service);
        self
    }

    /// An encoded `FileDescriptorSet` (from the proto crate's build) so reflection can describe
    /// the services; register every set the mounted services come from.
    pub fn descriptor_set(mut self, encoded: &'static [u8]) -> Self {
        self.descriptor_sets.push(encoded);
        self
    }

    /// Serves until `shutdown` is cancelled, then reports NOT_SERVING and lets calls in flight
    /// finish (the caller bounds that with its own drain deadline).
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> Result<(), GrpcError> {
        let reflection_v1alpha = reflection_builder(&self.descriptor_sets).build_v1alpha()?;
        let reflection_v1 = reflection_builder(&self.descriptor_sets).build_v1()?;

        for name in &self.serving {
            self.health.set_service_status(name, ServingStatus::Serving).await;
        }
        let routes = self
            .routes
            .add_service(
                self.health_service
                    .max_decoding_message_size(self.max_message_bytes),
            )
            .add_service(reflection_v1.max_decoding_message_size(self.max_message_bytes))
            .add_service(reflection_v1alpha.max_decoding_message_size(self.max_message_bytes));

        let address = listener.local_addr().ok();
        tracing::info!(?address, services = ?self.serving, "gRPC server listening");
        let metrics = self.metrics.as_ref().map(|registry| {
            let mut known = self.serving.clone();
            known.extend(
                [
                    "grpc.health.v1.Health",
                    "grpc.reflection.v1.ServerReflection",
                    "grpc.reflection.v1alpha.ServerReflection",
                ]
                .map(str::to_owned),
            );
            let mut sets = self.descriptor_sets.clone();
            sets.extend([
                tonic_health::pb::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            ]);
            RpcMetrics::register(registry, Side::Server, MethodTable::new(&known, &sets))
        });
        let health = self.health.clone();
        let serving = self.serving.clone();
        let signal = async move {
            shutdown.cancelled().await;
            for name in &serving {
                health.set_service_status(name, ServingStatus::NotServing).await;
            }
            health.set_service_status("", ServingStatus::NotServing).await;
        };
        let router = Server::builder()
            .timeout(self.request_timeout)
            .layer(grpc_server_trace_layer::<Body>())
            .layer(RpcMetricsLayer { metrics })
            .layer(InternalAuthzLayer::new(self.policy))
            .add_routes(routes);
        match self.tls {
            Some(tls) => {
                let accepting = CancellationToken::new();
                let incoming = tls_incoming(listener, tls, accepting.clone());
                let served = router.serve_with_incoming_shutdown(incoming, signal).await;
                accepting.cancel();
                served?;
            }
            None => {
                router
                    .serve_with_incoming_shutdown(
                        TcpIncoming::from(listener).with_nodelay(Some(true)),
                        signal,
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

fn reflection_builder(sets: &[&'static [u8]]) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for set in sets {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    builder
}
