//! Test doubles of the backend roles, served over real gRPC: a credentials role with in-memory
//! connections, a sync role with runs and a watch stream, and an assessment role with an
//! assessment, scores, drift and baselines. Each records what the gateway sent it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use posture_proto::v1;
use posture_proto::v1::assessment_service_server::{AssessmentService, AssessmentServiceServer};
use posture_proto::v1::drift_service_server::{DriftService, DriftServiceServer};
use posture_proto::v1::score_service_server::{ScoreService, ScoreServiceServer};
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
}

/// One double implementing every backend service it is mounted as.
#[derive(Debug, Clone, Default)]
pub struct Backend {
    pub state: Arc<BackendState>,
}

impl Backend {
    fn record<T>(&self, request: &Request<T>) {
        let text = |key: &str| {
            request
                .metadata()
                .get(key)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let principal = text("x-posture-principal");
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

fn not_here() -> Status {
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

#[tonic::async_trait]
impl AssessmentService for Backend {
    async fn list_controls(
        &self,
        _: Request<v1::ListControlsRequest>,
    ) -> Result<Response<v1::ListControlsResponse>, Status> {
        Err(not_here())
    }

    async fn start_assessment(
        &self,
        _: Request<v1::StartAssessmentRequest>,
    ) -> Result<Response<v1::StartAssessmentResponse>, Status> {
        Err(not_here())
    }

    async fn get_assessment(
        &self,
        _: Request<v1::GetAssessmentRequest>,
    ) -> Result<Response<v1::GetAssessmentResponse>, Status> {
        Err(not_here())
    }

    async fn get_latest_assessment(
        &self,
        request: Request<v1::GetLatestAssessmentRequest>,
    ) -> Result<Response<v1::GetLatestAssessmentResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::GetLatestAssessmentResponse {
            assessment: Some(v1::Assessment {
                assessment_id: "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b".into(),
                tenant_id: request.into_inner().tenant_id,
                state: v1::AssessmentState::Succeeded as i32,
                ..Default::default()
            }),
        }))
    }

    async fn list_assessments(
        &self,
        _: Request<v1::ListAssessmentsRequest>,
    ) -> Result<Response<v1::ListAssessmentsResponse>, Status> {
        Err(not_here())
    }

    async fn list_findings(
        &self,
        _: Request<v1::ListFindingsRequest>,
    ) -> Result<Response<v1::ListFindingsResponse>, Status> {
        Err(not_here())
    }
}

#[tonic::async_trait]
impl ScoreService for Backend {
    async fn list_secure_scores(
        &self,
        request: Request<v1::ListSecureScoresRequest>,
    ) -> Result<Response<v1::ListSecureScoresResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::ListSecureScoresResponse {
            secure_scores: vec![v1::SecureScore {
                tenant_id: request.into_inner().tenant_id,
                current_score: 42.0,
                max_score: 100.0,
                ..Default::default()
            }],
            next_page_token: String::new(),
        }))
    }

    async fn list_exposure_scores(
        &self,
        request: Request<v1::ListExposureScoresRequest>,
    ) -> Result<Response<v1::ListExposureScoresResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::ListExposureScoresResponse {
            exposure_scores: vec![v1::ExposureScore {
                tenant_id: request.into_inner().tenant_id,
                exposure_score: 30.0,
                ..Default::default()
            }],
            next_page_token: String::new(),
        }))
    }
}

#[tonic::async_trait]
impl DriftService for Backend {
    async fn create_baseline(
        &self,
        _: Request<v1::CreateBaselineRequest>,
    ) -> Result<Response<v1::CreateBaselineResponse>, Status> {
        Err(not_here())
    }

    async fn get_baseline(
        &self,
        request: Request<v1::GetBaselineRequest>,
    ) -> Result<Response<v1::GetBaselineResponse>, Status> {
        self.record(&request);
        let id = request.into_inner().baseline_id;
        let source = self.state.baselines.lock().expect("lock").get(&id).cloned();
        match source {
            Some(source_tenant_id) => Ok(Response::new(v1::GetBaselineResponse {
                baseline: Some(v1::Baseline {
                    baseline_id: id,
                    source_tenant_id,
                    ..Default::default()
                }),
            })),
            None => Err(Status::not_found(format!("baseline `{id}` not found"))),
        }
    }

    async fn list_baselines(
        &self,
        _: Request<v1::ListBaselinesRequest>,
    ) -> Result<Response<v1::ListBaselinesResponse>, Status> {
        Err(not_here())
    }

    async fn apply_baseline(
        &self,
        request: Request<v1::ApplyBaselineRequest>,
    ) -> Result<Response<v1::ApplyBaselineResponse>, Status> {
        self.record(&request);
        let input = request.into_inner();
        Ok(Response::new(v1::ApplyBaselineResponse {
            baseline: Some(v1::Baseline {
                baseline_id: input.baseline_id,
                applied_tenant_ids: input.tenant_ids,
                ..Default::default()
            }),
        }))
    }

    async fn delete_baseline(
        &self,
        _: Request<v1::DeleteBaselineRequest>,
    ) -> Result<Response<v1::DeleteBaselineResponse>, Status> {
        Err(not_here())
    }

    async fn list_drift(
        &self,
        request: Request<v1::ListDriftRequest>,
    ) -> Result<Response<v1::ListDriftResponse>, Status> {
        self.record(&request);
        let input = request.into_inner();
        let drift = (0..3)
            .map(|n| v1::Drift {
                drift_id: format!("drift-{n}"),
                tenant_id: input.tenant_id.clone(),
                state: v1::DriftState::New as i32,
                ..Default::default()
            })
            .collect();
        Ok(Response::new(v1::ListDriftResponse {
            drift,
            next_page_token: String::new(),
        }))
    }

    async fn update_drift_state(
        &self,
        _: Request<v1::UpdateDriftStateRequest>,
    ) -> Result<Response<v1::UpdateDriftStateResponse>, Status> {
        Err(not_here())
    }
}
