//! `posture.v1.OverviewService`, answered by the gateway itself: a tenant's connection and
//! health, last sync run, latest assessment, latest scores and open drift, fetched from the
//! backends concurrently. A part whose backend is down, slow or not deployed is named in
//! `unavailable_parts` instead of failing the whole view.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use posture_kit::ServiceError;
use posture_kit::ServiceRole;
use posture_kit::error::page_size;
use posture_proto::v1;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::drift_service_client::DriftServiceClient;
use posture_proto::v1::overview_service_server::OverviewService;
use posture_proto::v1::score_service_client::ScoreServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status};

use crate::auth::{Principal, principal_of};
use crate::edge::{EdgeRequest, Touches};
use crate::forward::{Forwarder, outgoing, upstream_status};

/// Open drift is counted over at most this many pages of 500, so one tenant with runaway drift
/// cannot stall an overview; the count then reads as "at least".
const MAX_DRIFT_PAGES: usize = 20;
/// Overviews of one page built at the same time.
const CONCURRENT_OVERVIEWS: usize = 8;

pub const PART_CONNECTION: &str = "connection";
pub const PART_LAST_RUN: &str = "last_run";
pub const PART_ASSESSMENT: &str = "assessment";
pub const PART_SCORES: &str = "scores";
pub const PART_DRIFT: &str = "drift";

#[derive(Debug, Clone)]
pub struct OverviewApi {
    forwarder: Arc<Forwarder>,
    part_timeout: Duration,
}

/// One fetched part: `Ok(None)` when the backend says there is nothing yet, `Err` when it could
/// not say.
type Part<T> = Result<Option<T>, ()>;

impl OverviewApi {
    pub fn new(forwarder: Arc<Forwarder>, part_timeout: Duration) -> Self {
        Self {
            forwarder,
            part_timeout,
        }
    }

    fn channel(&self, role: ServiceRole) -> Result<posture_kit::grpc::TracedChannel, Status> {
        self.forwarder.upstreams().channel(role)
    }

    /// Runs one backend call with the part timeout, sorting its outcome into found, absent or
    /// unavailable.
    async fn part<T>(&self, name: &str, call: impl Future<Output = Result<Option<T>, Status>>) -> Part<T> {
        match tokio::time::timeout(self.part_timeout, call).await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(status)) if matches!(status.code(), Code::NotFound | Code::FailedPrecondition) => Ok(None),
            Ok(Err(status)) => {
                tracing::warn!(part = name, code = ?status.code(), message = status.message(), "overview part unavailable");
                Err(())
            }
            Err(_) => {
                tracing::warn!(part = name, timeout = ?self.part_timeout, "overview part timed out");
                Err(())
            }
        }
    }

    /// The overview of `tenant`; `known` is its connection when the caller already has it.
    async fn overview(
        &self,
        principal: &Principal,
        incoming: &MetadataMap,
        tenant: &str,
        known: Option<v1::Connection>,
    ) -> Result<v1::TenantOverview, Status> {
        let connection = async {
            if let Some(connection) = known.clone() {
                return Ok(Some(connection));
            }
            let role = ServiceRole::Credentials;
            let mut client = TenantConnectionServiceClient::new(self.channel(role)?);
            let get = v1::GetConnectionRequest {
                tenant_id: tenant.to_owned(),
            };
            match client.get_connection(outgoing(incoming, principal, get)).await {
                Ok(response) => Ok(response.into_inner().connection),
                // A tenant without a connection is not a tenant Posture knows.
                Err(status) if status.code() == Code::NotFound => Err(status),
                Err(status) => Err(upstream_status(role, status)),
            }
        };
        let connection = tokio::time::timeout(self.part_timeout, connection);
        let last_run = self.part(PART_LAST_RUN, async {
            let mut client = SyncServiceClient::new(self.channel(ServiceRole::Sync)?);
            let list = v1::ListSyncRunsRequest {
                tenant_id: tenant.to_owned(),
                page_size: 1,
                ..Default::default()
            };
            Ok(client
                .list_sync_runs(outgoing(incoming, principal, list))
                .await?
                .into_inner()
                .runs
                .into_iter()
                .next())
        });
        let assessment = self.part(PART_ASSESSMENT, async {
            let mut client = AssessmentServiceClient::new(self.channel(ServiceRole::Assessment)?);
            let latest = v1::GetLatestAssessmentRequest {
                tenant_id: tenant.to_owned(),
            };
            Ok(client
                .get_latest_assessment(outgoing(incoming, principal, latest))
                .await?
                .into_inner()
                .assessment)
        });
        let scores = self.part(PART_SCORES, async {
            let mut client = ScoreServiceClient::new(self.channel(ServiceRole::Assessment)?);
            let secure = v1::ListSecureScoresRequest {
                tenant_id: tenant.to_owned(),
                page_size: 1,
                ..Default::default()
            };
            let exposure = v1::ListExposureScoresRequest {
                tenant_id: tenant.to_owned(),
                page_size: 1,
                ..Default::default()
            };
            let mut second = client.clone();
            let (secure, exposure) = futures::try_join!(
                client.list_secure_scores(outgoing(incoming, principal, secure)),
                second.list_exposure_scores(outgoing(incoming, principal, exposure)),
            )?;
            Ok(Some((
                secure.into_inner().secure_scores.into_iter().next(),
                exposure.into_inner().exposure_scores.into_iter().next(),
            )))
        });
        let drift = self.part(PART_DRIFT, self.open_drift(principal, incoming, tenant));

        let (connection, last_run, assessment, scores, drift) =
            futures::join!(connection, last_run, assessment, scores, drift);

        let mut unavailable_parts = Vec::new();
        let connection = match connection {
            Ok(Ok(connection)) => connection,
            Ok(Err(status)) if status.code() == Code::NotFound => {
                return Err(ServiceError::not_found("tenant", tenant).into());
            }
            Ok(Err(_)) | Err(_) => {
                unavailable_parts.push(PART_CONNECTION.to_owned());
                None
            }
        };
        let missing = &mut unavailable_parts;
        let last_run = take(missing, PART_LAST_RUN, last_run);
        let latest_assessment = take(missing, PART_ASSESSMENT, assessment);
        let (latest_secure_score, latest_exposure_score) =
            take(missing, PART_SCORES, scores).unwrap_or((None, None));
        let open_drift_count = take(missing, PART_DRIFT, drift).unwrap_or(0);
        Ok(v1::TenantOverview {
            connection,
            last_run,
            latest_assessment,
            latest_secure_score,
            latest_exposure_score,
            open_drift_count,
            unavailable_parts,
        })
    }

    async fn open_drift(
        &self,
        principal: &Principal,
        incoming: &MetadataMap,
        tenant: &str,
    ) -> Result<Option<u32>, Status> {
        let mut client = DriftServiceClient::new(self.channel(ServiceRole::Assessment)?);
        let mut count: u32 = 0;
        let mut page_token = String::new();
        for _ in 0..MAX_DRIFT_PAGES {
            let list = v1::ListDriftRequest {
                tenant_id: tenant.to_owned(),
                states: vec![v1::DriftState::New as i32],
                page_size: 500,
                page_token,
                ..Default::default()
            };
            let page = client
                .list_drift(outgoing(incoming, principal, list))
                .await?
                .into_inner();
            count = count.saturating_add(u32::try_from(page.drift.len()).unwrap_or(u32::MAX));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Ok(Some(count))
    }
}

/// The part's value, or `None` with the part named unavailable.
fn take<T>(unavailable: &mut Vec<String>, name: &str, part: Part<T>) -> Option<T> {
    part.unwrap_or_else(|()| {
        unavailable.push(name.to_owned());
        None
    })
}

#[tonic::async_trait]
impl OverviewService for OverviewApi {
    async fn get_tenant_overview(
        &self,
        request: Request<v1::GetTenantOverviewRequest>,
    ) -> Result<Response<v1::GetTenantOverviewResponse>, Status> {
        let principal = principal_of(&request)?;
        let Touches::Tenants(tenants) = request.get_ref().admit()? else {
            return Err(Status::internal("an overview request touches one tenant"));
        };
        for tenant in &tenants {
            principal.require_tenant(tenant)?;
        }
        let tenant = tenants
            .first()
            .map(ToString::to_string)
            .ok_or_else(|| ServiceError::invalid("tenant_id", "must not be empty"))?;
        let overview = self
            .overview(&principal, request.metadata(), &tenant, None)
            .await?;
        Ok(Response::new(v1::GetTenantOverviewResponse {
            overview: Some(overview),
        }))
    }

    async fn list_tenant_overviews(
        &self,
        request: Request<v1::ListTenantOverviewsRequest>,
    ) -> Result<Response<v1::ListTenantOverviewsResponse>, Status> {
        let principal = principal_of(&request)?;
        request.get_ref().admit()?;
        let input = request.get_ref();
        let role = ServiceRole::Credentials;
        let mut client = TenantConnectionServiceClient::new(self.channel(role)?);
        let list = v1::ListConnectionsRequest {
            page_size: i32::try_from(page_size(input.page_size, 20, 100)?).unwrap_or(100),
            page_token: input.page_token.clone(),
            state: input.connection_state,
            expiring_soon_only: false,
            tag: input.tag.clone(),
        };
        let page = client
            .list_connections(outgoing(request.metadata(), &principal, list))
            .await
            .map_err(|status| upstream_status(role, status))?
            .into_inner();
        let incoming = request.metadata();
        let in_scope = page
            .connections
            .into_iter()
            .filter(|connection| principal.scope.contains_str(&connection.tenant_id));
        let overviews: Vec<Result<v1::TenantOverview, Status>> = futures::stream::iter(in_scope)
            .map(|connection| {
                let tenant = connection.tenant_id.clone();
                let principal = &principal;
                async move {
                    self.overview(principal, incoming, &tenant, Some(connection))
                        .await
                }
            })
            .buffered(CONCURRENT_OVERVIEWS)
            .collect()
            .await;
        let overviews = overviews.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(v1::ListTenantOverviewsResponse {
            overviews,
            next_page_token: page.next_page_token,
        }))
    }
}
