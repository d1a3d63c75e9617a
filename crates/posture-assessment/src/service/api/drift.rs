//! DriftService: baselines (captured from a tenant's current configuration, applied to tenants
//! with per-tenant overrides) and the drift from them with operators' verdicts. Applying a
//! baseline detects drift at once; the drift consumer does so after every sync.

use futures::StreamExt;

use posture_kit::ServiceError;
use posture_kit::clock::SharedClock;
use posture_kit::error::page_size;
use posture_kit::grpc::principal;
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, from_optional_timestamp, micros, timestamp};
use posture_proto::v1 as pb;
use posture_proto::v1::drift_service_server::DriftService;
use tonic::{Request, Response, Status};

use super::drift_input::{MAX_TARGETS, baseline_id, kinds, overrides, state};
use super::validate;
use crate::service::ReadError;
use crate::service::convert;
use crate::service::drift::{DetectError, DriftDetector};
use crate::service::store::{
    BaselineFilter, BaselineRecord, Deletion, DriftFilter, DriftState, StateChange, TargetRecord, Verdict,
};

/// Tenants whose drift ApplyBaseline detects at the same time.
const DETECTIONS_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct DriftApi {
    pub detector: DriftDetector,
    pub clock: SharedClock,
}

impl From<DetectError> for ServiceError {
    fn from(e: DetectError) -> Self {
        match e {
            DetectError::Store(e) => e.into(),
            DetectError::Read(ReadError::Sync { status, .. }) if status.code() == tonic::Code::NotFound => {
                ServiceError::FailedPrecondition {
                    reason: "the tenant has not been synced yet; sync it first".to_owned(),
                }
            }
            DetectError::Read(e) if e.is_transient() => ServiceError::Unavailable {
                what: "the inventory (sync role)".to_owned(),
            },
            other => ServiceError::internal("reading configuration for drift", other),
        }
    }
}

impl DriftApi {
    async fn baseline_or_not_found(&self, id: &str) -> Result<BaselineRecord, ServiceError> {
        self.detector
            .store
            .baseline(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("baseline", id))
    }
}

#[tonic::async_trait]
impl DriftService for DriftApi {
    async fn create_baseline(
        &self,
        request: Request<pb::CreateBaselineRequest>,
    ) -> Result<Response<pb::CreateBaselineResponse>, Status> {
        let created_by = principal(request.metadata());
        let body = request.into_inner();
        let display_name = validate::text("display_name", &body.display_name, 200)?;
        posture_kit::error::require_max_len("description", &body.description, 2000)?;
        let source = validate::tenant(&body.source_tenant_id)?;
        let configuration = self
            .detector
            .configuration_kinds()
            .await
            .map_err(ServiceError::from)?;
        let entity_kinds = kinds(&body.entity_kinds, &configuration)?;
        let pins = self
            .detector
            .capture(&source, &entity_kinds)
            .await
            .map_err(ServiceError::from)?;
        if pins.is_empty() {
            return Err(ServiceError::FailedPrecondition {
                reason: format!(
                    "tenant {source} has no synced objects of {}; sync it before taking a baseline",
                    entity_kinds.join(", ")
                ),
            }
            .into());
        }
        let record = BaselineRecord {
            baseline_id: uuid::Uuid::new_v4().to_string(),
            display_name,
            description: body.description.trim().to_owned(),
            source_tenant_id: source,
            entity_kinds,
            created_by,
            created_at: self.clock.now(),
            pinned_count: u32::try_from(pins.len()).unwrap_or(u32::MAX),
            targets: Vec::new(),
        };
        self.detector
            .store
            .create_baseline(&record, &pins)
            .await
            .map_err(ServiceError::from)?;
        tracing::info!(baseline = %record.baseline_id, source = %source, pinned = pins.len(), by = %record.created_by, "baseline created");
        Ok(Response::new(pb::CreateBaselineResponse {
            baseline: Some(convert::baseline(&record, Some(&pins))),
        }))
    }

    async fn get_baseline(
        &self,
        request: Request<pb::GetBaselineRequest>,
    ) -> Result<Response<pb::GetBaselineResponse>, Status> {
        let id = baseline_id(&request.get_ref().baseline_id)?;
        let record = self.baseline_or_not_found(&id).await?;
        let pins = self.detector.store.pins(&id).await.map_err(ServiceError::from)?;
        Ok(Response::new(pb::GetBaselineResponse {
            baseline: Some(convert::baseline(&record, Some(&pins))),
        }))
    }

    async fn list_baselines(
        &self,
        request: Request<pb::ListBaselinesRequest>,
    ) -> Result<Response<pb::ListBaselinesResponse>, Status> {
        let body = request.into_inner();
        let source = (!body.source_tenant_id.is_empty())
            .then(|| validate::tenant(&body.source_tenant_id))
            .transpose()?;
        let applied = (!body.applied_tenant_id.is_empty())
            .then(|| validate::tenant(&body.applied_tenant_id))
            .transpose()?;
        let limit = page_size(body.page_size, 50, 500)?;
        let listing = Keyset::new(
            "baselines",
            format!(
                "{}|{}",
                source.map(|t| t.to_string()).unwrap_or_default(),
                applied.map(|t| t.to_string()).unwrap_or_default()
            ),
        );
        let after = listing
            .resume(&body.page_token)?
            .map(|p| Ok::<_, ServiceError>((from_micros(p.int(0)?), p.text(1)?.to_owned())))
            .transpose()?;
        let mut found = self
            .detector
            .store
            .list_baselines(&BaselineFilter {
                source_tenant_id: source,
                applied_tenant_id: applied,
                after,
                limit: limit + 1,
            })
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = listing.page(&mut found, limit as usize, |b| {
            [micros(b.created_at).to_string(), b.baseline_id.clone()]
        });
        Ok(Response::new(pb::ListBaselinesResponse {
            baselines: found.iter().map(|b| convert::baseline(b, None)).collect(),
            next_page_token,
        }))
    }

    async fn apply_baseline(
        &self,
        request: Request<pb::ApplyBaselineRequest>,
    ) -> Result<Response<pb::ApplyBaselineResponse>, Status> {
        let applied_by = principal(request.metadata());
        let body = request.into_inner();
        let id = baseline_id(&body.baseline_id)?;
        if body.tenant_ids.is_empty() || body.tenant_ids.len() > MAX_TARGETS {
            return Err(
                ServiceError::invalid("tenant_ids", format!("must name 1 to {MAX_TARGETS} tenants")).into(),
            );
        }
        let mut tenants = Vec::with_capacity(body.tenant_ids.len());
        for t in &body.tenant_ids {
            let tenant = validate::tenant(t)?;
            if !tenants.contains(&tenant) {
                tenants.push(tenant);
            }
        }
        let baseline = self.baseline_or_not_found(&id).await?;
        let overrides = overrides(&body.overrides, &tenants, &baseline.entity_kinds)?;
        let now = self.clock.now();
        let targets: Vec<TargetRecord> = tenants
            .iter()
            .map(|tenant| TargetRecord {
                tenant_id: *tenant,
                baseline_id: id.clone(),
                overrides: overrides
                    .iter()
                    .filter(|(t, _)| t == tenant)
                    .map(|(_, o)| o.clone())
                    .collect(),
                applied_by: applied_by.clone(),
                applied_at: now,
            })
            .collect();
        self.detector
            .store
            .apply_baseline(&targets, now)
            .await
            .map_err(ServiceError::from)?;
        tracing::info!(baseline = %id, tenants = targets.len(), by = %applied_by, "baseline applied");
        // Detected at once, a few tenants at a time; one that fails here (a tenant not synced
        // yet, the sync role restarting) is detected again after the tenant's next sync.
        futures::stream::iter(&targets)
            .for_each_concurrent(DETECTIONS_AT_ONCE, |target| async move {
                if let Err(e) = self.detector.detect_for(target, "").await {
                    tracing::warn!(tenant = %target.tenant_id, baseline = %target.baseline_id, error = %e, "drift not detected on apply; the next sync will");
                }
            })
            .await;
        let record = self.baseline_or_not_found(&id).await?;
        Ok(Response::new(pb::ApplyBaselineResponse {
            baseline: Some(convert::baseline(&record, None)),
        }))
    }

    async fn delete_baseline(
        &self,
        request: Request<pb::DeleteBaselineRequest>,
    ) -> Result<Response<pb::DeleteBaselineResponse>, Status> {
        let actor = principal(request.metadata());
        let id = baseline_id(&request.get_ref().baseline_id)?;
        match self
            .detector
            .store
            .delete_baseline(&id)
            .await
            .map_err(ServiceError::from)?
        {
            Deletion::Deleted => {
                tracing::info!(baseline = %id, by = %actor, "baseline deleted");
                Ok(Response::new(pb::DeleteBaselineResponse {
                    deleted_at: Some(timestamp(self.clock.now())),
                }))
            }
            Deletion::NotFound => Err(ServiceError::not_found("baseline", &id).into()),
            Deletion::Applied(n) => Err(ServiceError::FailedPrecondition {
                reason: format!(
                    "baseline {id} is applied to {n} tenant(s); apply another baseline to them first"
                ),
            }
            .into()),
        }
    }

    async fn list_drift(
        &self,
        request: Request<pb::ListDriftRequest>,
    ) -> Result<Response<pb::ListDriftResponse>, Status> {
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let baseline = (!body.baseline_id.is_empty())
            .then(|| baseline_id(&body.baseline_id))
            .transpose()?;
        let states = body
            .states
            .iter()
            .map(|s| state(*s, "states"))
            .collect::<Result<Vec<_>, _>>()?;
        let entity_kind = validate::optional_identifier("entity_kind", &body.entity_kind)?;
        let limit = page_size(body.page_size, 50, 500)?;
        let mut codes: Vec<i32> = states.iter().map(|s| s.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        let listing = Keyset::new(
            "drift",
            format!(
                "{tenant}|{}|{codes:?}|{}|{}",
                baseline.as_deref().unwrap_or_default(),
                entity_kind.as_deref().unwrap_or_default(),
                body.include_resolved
            ),
        );
        let after = listing
            .resume(&body.page_token)?
            .map(|p| Ok::<_, ServiceError>((from_micros(p.int(0)?), p.text(1)?.to_owned())))
            .transpose()?;
        let mut found = self
            .detector
            .store
            .list_drift(&DriftFilter {
                tenant_id: tenant,
                baseline_id: baseline,
                states,
                entity_kind,
                include_resolved: body.include_resolved,
                after,
                limit: limit + 1,
            })
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = listing.page(&mut found, limit as usize, |d| {
            [micros(d.detected_at).to_string(), d.drift_id.clone()]
        });
        Ok(Response::new(pb::ListDriftResponse {
            drift: found.iter().map(convert::drift).collect(),
            next_page_token,
        }))
    }

    async fn get_drift(
        &self,
        request: Request<pb::GetDriftRequest>,
    ) -> Result<Response<pb::GetDriftResponse>, Status> {
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let id = validate::id("drift_id", &body.drift_id)?;
        let found = self
            .detector
            .store
            .drift(&tenant, &id)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::not_found("drift", &id))?;
        Ok(Response::new(pb::GetDriftResponse {
            drift: Some(convert::drift(&found)),
        }))
    }

    async fn update_drift_state(
        &self,
        request: Request<pb::UpdateDriftStateRequest>,
    ) -> Result<Response<pb::UpdateDriftStateResponse>, Status> {
        let actor = principal(request.metadata());
        let body = request.into_inner();
        let now = self.clock.now();
        let tenant = validate::tenant(&body.tenant_id)?;
        let id = validate::id("drift_id", &body.drift_id)?;
        let new_state = state(body.state, "state")?;
        let comment = if new_state == DriftState::New {
            posture_kit::error::require_max_len("comment", body.comment.trim(), 2000)?.to_owned()
        } else {
            validate::text("comment", &body.comment, 2000)?
        };
        let until = from_optional_timestamp("accepted_until", body.accepted_until.as_ref())?;
        if let Some(at) = until {
            if new_state != DriftState::Accepted {
                return Err(ServiceError::invalid("accepted_until", "applies to ACCEPTED only").into());
            }
            if at <= now {
                return Err(ServiceError::invalid("accepted_until", "must be in the future").into());
            }
        }
        match self
            .detector
            .store
            .update_drift_state(
                &tenant,
                &id,
                &Verdict {
                    state: new_state,
                    comment,
                    by: actor.clone(),
                    accepted_until: until,
                    at: now,
                },
            )
            .await
            .map_err(ServiceError::from)?
        {
            StateChange::Changed(record) => {
                tracing::info!(drift = %id, tenant = %tenant, state = ?new_state, by = %actor, "drift verdict recorded");
                Ok(Response::new(pb::UpdateDriftStateResponse {
                    drift: Some(convert::drift(&record)),
                }))
            }
            StateChange::NotFound => Err(ServiceError::not_found("drift", &id).into()),
            StateChange::Resolved => Err(ServiceError::FailedPrecondition {
                reason: format!("drift {id} is resolved: the object matches the baseline again"),
            }
            .into()),
        }
    }
}
