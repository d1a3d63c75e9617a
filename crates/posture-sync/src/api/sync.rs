//! SyncService: start, read, list, follow and cancel runs. Following a run polls the store, so a
//! watcher sees the progress of workers in any process.

use std::collections::HashMap;
use std::time::Duration;

use posture_kit::grpc::principal;
use posture_kit::ids::{RunId, TenantId};
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, from_optional_timestamp, micros, timestamp};
use posture_proto::v1 as pb;
use posture_proto::v1::sync_service_server::SyncService;
use posture_proto::v1::watch_sync_run_response::Update;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::validate;
use crate::connection::{ConnectionError, TenantDirectory};
use crate::convert;
use crate::error::SyncError;
use crate::runs::{RunRequest, Runs};
use crate::state::{RunState, Trigger};
use crate::store::{RunFilter, RunRecord};

const MAX_KINDS: usize = 64;
const WATCH_POLL: Duration = Duration::from_millis(200);

#[derive(Clone)]
pub struct SyncApi {
    pub runs: Runs,
    pub directory: TenantDirectory,
    pub shutdown: CancellationToken,
}

impl SyncApi {
    /// The run, if it exists and belongs to the tenant (another tenant's run is NOT_FOUND).
    async fn tenant_run(&self, tenant: &str, run: &str) -> Result<RunRecord, SyncError> {
        let tenant = validate::tenant(tenant)?;
        let run_id = validate::run_id(run)?;
        match self.runs.store.run(&run_id).await? {
            Some(run) if run.tenant_id == tenant => Ok(run),
            _ => Err(SyncError::NotFound {
                what: "sync run",
                id: run_id.to_string(),
            }),
        }
    }
}

#[tonic::async_trait]
impl SyncService for SyncApi {
    async fn start_sync(
        &self,
        request: Request<pb::StartSyncRequest>,
    ) -> Result<Response<pb::StartSyncResponse>, Status> {
        let requested_by = principal(request.metadata());
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        if body.entity_kinds.len() > MAX_KINDS {
            return Err(SyncError::invalid("entity_kinds", format!("at most {MAX_KINDS} kinds")).into());
        }
        let mut kinds = Vec::with_capacity(body.entity_kinds.len());
        for name in &body.entity_kinds {
            kinds.push(validate::kind("entity_kinds", name)?.name.to_owned());
        }
        match self.directory.connection(&tenant).await {
            Ok(_) => {}
            Err(ConnectionError::NotConnected { .. }) => {
                return Err(
                    SyncError::FailedPrecondition(format!("tenant {tenant} has no connection")).into(),
                );
            }
            Err(ConnectionError::Unavailable { .. }) => {
                return Err(SyncError::Unavailable("the credentials role".into()).into());
            }
            Err(e @ ConnectionError::Unusable { .. }) => {
                return Err(SyncError::FailedPrecondition(e.to_string()).into());
            }
        }
        let run = self
            .runs
            .start(&RunRequest {
                run_id: RunId::new_random(),
                tenant_id: tenant,
                kinds,
                trigger: Trigger::Manual,
                requested_by,
            })
            .await?;
        Ok(Response::new(pb::StartSyncResponse {
            run: Some(convert::run(&run, self.runs.now())),
        }))
    }

    async fn get_sync_run(
        &self,
        request: Request<pb::GetSyncRunRequest>,
    ) -> Result<Response<pb::GetSyncRunResponse>, Status> {
        let body = request.into_inner();
        let run = self.tenant_run(&body.tenant_id, &body.run_id).await?;
        Ok(Response::new(pb::GetSyncRunResponse {
            run: Some(convert::run(&run, self.runs.now())),
        }))
    }

    async fn list_sync_runs(
        &self,
        request: Request<pb::ListSyncRunsRequest>,
    ) -> Result<Response<pb::ListSyncRunsResponse>, Status> {
        let body = request.into_inner();
        let tenant = if body.tenant_id.is_empty() {
            None
        } else {
            Some(validate::tenant(&body.tenant_id)?)
        };
        let limit = validate::page_size(body.page_size, 50, 500)?;
        let state = pb::SyncRunState::try_from(body.state)
            .map(convert::run_state_filter)
            .map_err(|_| SyncError::invalid("state", "is not a SyncRunState"))?;
        let range = body.requested.unwrap_or_default();
        let from = from_optional_timestamp("requested.start_at", range.start_at.as_ref())?;
        let to = from_optional_timestamp("requested.end_at", range.end_at.as_ref())?;
        let listing = Keyset::new("sync-runs", run_filters(tenant, state, from, to));
        let before = match listing.resume(&body.page_token)? {
            None => None,
            Some(position) => {
                let run_id: RunId = position.text(1)?.parse().map_err(|_| {
                    SyncError::invalid("page_token", "is not a page token returned by this API")
                })?;
                Some((from_micros(position.int(0)?), run_id))
            }
        };
        let mut runs = self
            .runs
            .store
            .list_runs(&RunFilter {
                tenant_id: tenant,
                state,
                from,
                to,
                before,
                limit: limit + 1,
            })
            .await
            .map_err(SyncError::from)?;
        let next_page_token = listing.page(&mut runs, limit as usize, |r| {
            [micros(r.requested_at).to_string(), r.run_id.to_string()]
        });
        let now = self.runs.now();
        Ok(Response::new(pb::ListSyncRunsResponse {
            runs: runs.iter().map(|r| convert::run(r, now)).collect(),
            next_page_token,
        }))
    }

    type WatchSyncRunStream = ReceiverStream<Result<pb::WatchSyncRunResponse, Status>>;

    async fn watch_sync_run(
        &self,
        request: Request<pb::WatchSyncRunRequest>,
    ) -> Result<Response<Self::WatchSyncRunStream>, Status> {
        let body = request.into_inner();
        let run = self.tenant_run(&body.tenant_id, &body.run_id).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(32);
        let api = self.clone();
        tokio::spawn(async move { api.follow(run, tx).await });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn cancel_sync_run(
        &self,
        request: Request<pb::CancelSyncRunRequest>,
    ) -> Result<Response<pb::CancelSyncRunResponse>, Status> {
        let body = request.into_inner();
        let run = self.tenant_run(&body.tenant_id, &body.run_id).await?;
        let run = self.runs.cancel(&run).await?;
        Ok(Response::new(pb::CancelSyncRunResponse {
            run: Some(convert::run(&run, self.runs.now())),
        }))
    }
}

type WatchSender = tokio::sync::mpsc::Sender<Result<pb::WatchSyncRunResponse, Status>>;

/// The filters of a ListSyncRuns request as a page token pins them.
fn run_filters(
    tenant: Option<TenantId>,
    state: Option<RunState>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let text = |v: Option<String>| v.unwrap_or_default();
    format!(
        "{}|{}|{}|{}",
        text(tenant.map(|t| t.to_string())),
        text(state.map(|s| format!("{s:?}"))),
        text(from.map(|t| micros(t).to_string())),
        text(to.map(|t| micros(t).to_string())),
    )
}

impl SyncApi {
    /// Sends the snapshot, then each entity change, then the final snapshot.
    async fn follow(&self, mut run: RunRecord, tx: WatchSender) {
        let message = |update: Update, state: RunState, api: &SyncApi| pb::WatchSyncRunResponse {
            update: Some(update),
            run_state: convert::run_state(state) as i32,
            observed_at: Some(timestamp(api.runs.now())),
        };
        let now = self.runs.now();
        if tx
            .send(Ok(message(
                Update::Snapshot(convert::run(&run, now)),
                run.state,
                self,
            )))
            .await
            .is_err()
            || !run.is_active()
        {
            return;
        }
        let mut last: HashMap<String, crate::store::EntityStatus> =
            run.entities.iter().map(|e| (e.kind.clone(), e.clone())).collect();
        while run.is_active() {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tx.closed() => return,
                _ = tokio::time::sleep(WATCH_POLL) => {}
            }
            run = match self.runs.store.run(&run.run_id).await {
                Ok(Some(r)) => r,
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(SyncError::from(e).into())).await;
                    return;
                }
            };
            let now = self.runs.now();
            for entity in &run.entities {
                if last.get(&entity.kind) != Some(entity) {
                    last.insert(entity.kind.clone(), entity.clone());
                    let update = Update::Entity(convert::entity(entity, now));
                    if tx.send(Ok(message(update, run.state, self))).await.is_err() {
                        return;
                    }
                }
            }
        }
        let now = self.runs.now();
        let _ = tx
            .send(Ok(message(
                Update::Snapshot(convert::run(&run, now)),
                run.state,
                self,
            )))
            .await;
    }
}
