//! Test doubles of the backend roles, served over real gRPC: a credentials role with in-memory
//! connections and a sync role with runs and a watch stream (the assessment role's services are in
//! `assessment.rs`). Each records what the gateway sent it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use posture_proto::v1;
use posture_proto::v1::assessment_service_server::AssessmentServiceServer;
use posture_proto::v1::drift_service_server::DriftServiceServer;
use posture_proto::v1::score_service_server::ScoreServiceServer;
use posture_proto::v1::sync_service_server::{SyncService, SyncServiceServer};
use posture_proto::v1::tenant_connection_service_server::{
    TenantConnectionService, TenantConnectionServiceServer,
};
use tonic::{Request, Response, Status};

/// Metadata a backend saw on the last call.
#[derive(Debug, Clone, Default)]
pub struct SeenCall {
    pub principal: Option<String>,
    pub api_key_id: Option<String>,
    pub traceparent: Option<String>,
    pub grpc_timeout: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Debug, Default)]
pub struct BackendState {
    pub connections: Mutex<BTreeMap<String, v1::Connection>>,
    pub seen: Mutex<Vec<SeenCall>>,
    /// Source tenant of each baseline id.
    pub baselines: Mutex<BTreeMap<String, String>>,
    /// When set, ListDrift answers only after this long (a backend that hangs).
    pub drift_delay: Mutex<Option<std::time::Duration>>,
}

/// One double implementing every backend service it is mounted as.
#[derive(Debug, Clone, Default)]
pub struct Backend {
    pub state: Arc<BackendState>,
}

impl Backend {
    pub(super) fn record<T>(&self, request: &Request<T>) {
        let text = |key: &str| {
            request
                .metadata()
                .get(key)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let principal = text(posture_kit::grpc::PRINCIPAL_METADATA);
        let call = SeenCall {
            principal,
            api_key_id: text("x-posture-api-key-id"),
            traceparent: text("traceparent"),
            grpc_timeout: text("grpc-timeout"),
            authorization: text("authorization"),
        };
        self.state.seen.lock().expect("lock").push(call);
    }

    pub fn last_call(&self) -> Option<SeenCall> {
        self.state.seen.lock().expect("lock").last().cloned()
    }

    pub fn calls(&self) -> usize {
        self.state.seen.lock().expect("lock").len()
    }

    pub fn add_connection(&self, tenant_id: &str, display_name: &str) {
        let connection = v1::Connection {
            tenant_id: tenant_id.to_owned(),
            display_name: display_name.to_owned(),
            health: Some(v1::ConnectionHealth::default()),
            ..Default::default()
        };
        self.state
            .connections
            .lock()
            .expect("lock")
            .insert(tenant_id.to_owned(), connection);
    }

    pub fn add_baseline(&self, baseline_id: &str, source_tenant_id: &str) {
        self.state
            .baselines
            .lock()
            .expect("lock")
            .insert(baseline_id.to_owned(), source_tenant_id.to_owned());
    }

    pub fn credentials(&self) -> TenantConnectionServiceServer<Backend> {
        TenantConnectionServiceServer::new(self.clone())
    }

    pub fn sync(&self) -> SyncServiceServer<Backend> {
        SyncServiceServer::new(self.clone())
    }

    pub fn assessment(&self) -> AssessmentServiceServer<Backend> {
        AssessmentServiceServer::new(self.clone())
    }

    pub fn scores(&self) -> ScoreServiceServer<Backend> {
        ScoreServiceServer::new(self.clone())
    }

    pub fn drift(&self) -> DriftServiceServer<Backend> {
        DriftServiceServer::new(self.clone())
    }
}

pub(super) fn not_here() -> Status {
    Status::unimplemented("not part of this test double")
}

#[tonic::async_trait]
impl TenantConnectionService for Backend {
    async fn create_connection(
        &self,
        request: Request<v1::CreateConnectionRequest>,
    ) -> Result<Response<v1::CreateConnectionResponse>, Status> {
        self.record(&request);
        let input = request.into_inner();
        let mut connections = self.state.connections.lock().expect("lock");
        if connections.contains_key(&input.tenant_id) {
            return Err(Status::already_exists(format!(
                "connection `{}` already exists",
                input.tenant_id
            )));
        }
        let connection = v1::Connection {
            tenant_id: input.tenant_id.clone(),
            display_name: input.display_name,
            client_id: input.client_id,
            ..Default::default()
        };
        connections.insert(input.tenant_id, connection.clone());
        Ok(Response::new(v1::CreateConnectionResponse {
            connection: Some(connection),
        }))
    }

    async fn get_connection(
        &self,
        request: Request<v1::GetConnectionRequest>,
    ) -> Result<Response<v1::GetConnectionResponse>, Status> {
        self.record(&request);
        let tenant = &request.get_ref().tenant_id;
        let connection = self.state.connections.lock().expect("lock").get(tenant).cloned();
        match connection {
            Some(connection) => Ok(Response::new(v1::GetConnectionResponse {
                connection: Some(connection),
            })),
            None => Err(Status::not_found(format!("connection `{tenant}` not found"))),
        }
    }

    async fn list_connections(
        &self,
        request: Request<v1::ListConnectionsRequest>,
    ) -> Result<Response<v1::ListConnectionsResponse>, Status> {
        self.record(&request);
        let connections = self
            .state
            .connections
            .lock()
            .expect("lock")
            .values()
            .cloned()
            .collect();
        Ok(Response::new(v1::ListConnectionsResponse {
            connections,
            next_page_token: String::new(),
        }))
    }

    async fn update_connection(
        &self,
        _: Request<v1::UpdateConnectionRequest>,
    ) -> Result<Response<v1::UpdateConnectionResponse>, Status> {
        Err(not_here())
    }

    async fn update_credentials(
        &self,
        _: Request<v1::UpdateCredentialsRequest>,
    ) -> Result<Response<v1::UpdateCredentialsResponse>, Status> {
        Err(not_here())
    }

    async fn delete_connection(
        &self,
        _: Request<v1::DeleteConnectionRequest>,
    ) -> Result<Response<v1::DeleteConnectionResponse>, Status> {
        Err(not_here())
    }

    async fn test_connection(
        &self,
        request: Request<v1::TestConnectionRequest>,
    ) -> Result<Response<v1::TestConnectionResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::TestConnectionResponse {
            health: Some(v1::ConnectionHealth {
                state: v1::ConnectionState::Connected as i32,
                ..Default::default()
            }),
        }))
    }

    async fn list_credential_accesses(
        &self,
        _: Request<v1::ListCredentialAccessesRequest>,
    ) -> Result<Response<v1::ListCredentialAccessesResponse>, Status> {
        Err(not_here())
    }
}

pub fn run(tenant_id: &str, state: v1::SyncRunState) -> v1::SyncRun {
    v1::SyncRun {
        run_id: "1d8e7a52-5b4c-4f0e-9d3c-2a1b0c9d8e7f".into(),
        tenant_id: tenant_id.to_owned(),
        state: state as i32,
        ..Default::default()
    }
}

type WatchStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<v1::WatchSyncRunResponse, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl SyncService for Backend {
    type WatchSyncRunStream = WatchStream;

    async fn start_sync(
        &self,
        _: Request<v1::StartSyncRequest>,
    ) -> Result<Response<v1::StartSyncResponse>, Status> {
        Err(not_here())
    }

    async fn get_sync_run(
        &self,
        _: Request<v1::GetSyncRunRequest>,
    ) -> Result<Response<v1::GetSyncRunResponse>, Status> {
        Err(not_here())
    }

    async fn list_sync_runs(
        &self,
        request: Request<v1::ListSyncRunsRequest>,
    ) -> Result<Response<v1::ListSyncRunsResponse>, Status> {
        self.record(&request);
        let tenant = request.into_inner().tenant_id;
        Ok(Response::new(v1::ListSyncRunsResponse {
            runs: vec![run(&tenant, v1::SyncRunState::Succeeded)],
            next_page_token: String::new(),
        }))
    }

    async fn watch_sync_run(
        &self,
        request: Request<v1::WatchSyncRunRequest>,
    ) -> Result<Response<Self::WatchSyncRunStream>, Status> {
        self.record(&request);
        let tenant = request.into_inner().tenant_id;
        let updates = [
            v1::SyncRunState::Pending,
            v1::SyncRunState::Running,
            v1::SyncRunState::Succeeded,
        ]
        .map(|state| {
            Ok(v1::WatchSyncRunResponse {
                update: Some(v1::watch_sync_run_response::Update::Snapshot(run(&tenant, state))),
                run_state: state as i32,
                observed_at: None,
            })
        });
        Ok(Response::new(Box::pin(futures::stream::iter(updates))))
    }

    async fn cancel_sync_run(
        &self,
        _: Request<v1::CancelSyncRunRequest>,
    ) -> Result<Response<v1::CancelSyncRunResponse>, Status> {
        Err(not_here())
    }
}
