//! SyncService: start, read, list, follow and cancel runs. Following a run polls the store, so a
//! watcher sees the progress of workers in any process.

use std::collections::HashMap;
use std::time::Duration;

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
use crate::store::{RunFilter, RunRecord};

/// Metadata key the gateway sets to the authenticated principal (the API key's name).
pub const PRINCIPAL_METADATA: &str = "x-posture-principal";
const MAX_KINDS: usize = 64;
const WATCH_POLL: Duration = Duration::from_millis(200);

#[derive(Clone)]
pub struct SyncApi {
    pub runs: Runs,
    pub directory: TenantDirectory,
    pub shutdown: CancellationToken,
}

fn principal(request: &Request<impl Sized>) -> String {
    request
        .metadata()
        .get(PRINCIPAL_METADATA)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(128).collect())
        .unwrap_or_else(|| "anonymous".to_owned())
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
                id: run_id,
            }),
        }
    }
}

fn time(t: &Option<prost_types::Timestamp>) -> Option<chrono::DateTime<chrono::Utc>> {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

#[tonic::async_trait]
impl SyncService for SyncApi {
    async fn start_sync(
        &self,
        request: Request<pb::StartSyncRequest>,
    ) -> Result<Response<pb::StartSyncResponse>, Status> {
        let requested_by = principal(&request);
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
                run_id: uuid::Uuid::new_v4().to_string(),
                tenant_id: tenant,
                kinds,
                trigger: pb::SyncTrigger::Manual,
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
        if pb::SyncRunState::try_from(body.state).is_err() {
            return Err(SyncError::invalid("state", "is not a SyncRunState").into());
        }
        let before = match validate::cursor_token(&body.page_token)? {
            None => None,
            Some(c) => {
                let bad = || SyncError::invalid("page_token", "is not a page token returned by this API");
                let (at, id) = c.split_once('|').ok_or_else(bad)?;
                let at = at.parse::<i64>().map_err(|_| bad())?;
                Some((
                    chrono::DateTime::from_timestamp_micros(at).ok_or_else(bad)?,
                    id.to_owned(),
                ))
            }
        };
        let range = body.requested.unwrap_or_default();
        let mut runs = self
            .runs
            .store
            .list_runs(&RunFilter {
                tenant_id: tenant,
                state: (body.state != 0).then_some(body.state),
                from: time(&range.start_at),
                to: time(&range.end_at),
                before,
                limit: limit + 1,
            })
            .await
            .map_err(SyncError::from)?;
        let more = runs.len() > limit as usize;
        runs.truncate(limit as usize);
        let next = more
            .then(|| {
                runs.last()
                    .map(|r| format!("{}|{}", r.requested_at.timestamp_micros(), r.run_id))
            })
            .flatten();
        let now = self.runs.now();
        Ok(Response::new(pb::ListSyncRunsResponse {
            runs: runs.iter().map(|r| convert::run(r, now)).collect(),
            next_page_token: validate::next_token(next),
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
        if !run.is_active() {
            return Err(SyncError::FailedPrecondition(format!(
                "sync run {} is already finished",
                run.run_id
            ))
            .into());
        }
        let run = self.runs.cancel(&run).await?;
        Ok(Response::new(pb::CancelSyncRunResponse {
            run: Some(convert::run(&run, self.runs.now())),
        }))
    }
}

type WatchSender = tokio::sync::mpsc::Sender<Result<pb::WatchSyncRunResponse, Status>>;

impl SyncApi {
    /// Sends the snapshot, then each entity change, then the final snapshot.
    async fn follow(&self, mut run: RunRecord, tx: WatchSender) {
        let message = |update: Update, state: i32, api: &SyncApi| pb::WatchSyncRunResponse {
            update: Some(update),
            run_state: state,
            observed_at: Some(convert::timestamp(api.runs.now())),
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
