//! `posture.v1.ScheduleService`: read and change tenants' schedules. A change recomputes the
//! next run from the new settings; it never fires a run for a slot already past.

pub(crate) mod validate;

use posture_kit::grpc::principal;
use posture_kit::ids::TenantId;
use posture_proto::v1::schedule_service_server::ScheduleService;
use posture_proto::v1::{
    GetScheduleRequest, GetScheduleResponse, ListSchedulesRequest, ListSchedulesResponse,
    UpdateScheduleRequest, UpdateScheduleResponse,
};
use tonic::{Request, Response, Status};

use crate::convert;
use crate::error::SchedulerError;
use crate::scheduler::Scheduler;
use crate::store::ScheduleRecord;

pub use validate::ScheduleChange;

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;

#[derive(Clone)]
pub struct ScheduleApi {
    scheduler: Scheduler,
}

impl ScheduleApi {
    pub fn new(scheduler: Scheduler) -> Self {
        Self { scheduler }
    }

    async fn schedule_of(&self, tenant_id: &TenantId) -> Result<ScheduleRecord, SchedulerError> {
        self.scheduler
            .store
            .get(tenant_id)
            .await?
            .ok_or(SchedulerError::UnknownTenant {
                tenant_id: *tenant_id,
            })
    }

    /// Applies a validated change as `principal`.
    pub async fn update(
        &self,
        tenant_id: &TenantId,
        change: ScheduleChange,
        principal: &str,
    ) -> Result<ScheduleRecord, SchedulerError> {
        let mut record = self.schedule_of(tenant_id).await?;
        let now = self.scheduler.clock.now();
        let timing_changed = change.cadence.is_some_and(|c| c != record.cadence)
            || change.window.is_some_and(|w| w != record.window);
        // Re-enabling must not fire the slots that passed while the schedule was paused.
        let resumed = change.enabled == Some(true) && !record.enabled;
        if let Some(enabled) = change.enabled {
            record.enabled = enabled;
        }
        if let Some(cadence) = change.cadence {
            record.cadence = cadence;
        }
        if let Some(window) = change.window {
            record.window = window;
        }
        if let Some(kinds) = change.entity_kinds {
            record.entity_kinds = kinds;
        }
        if timing_changed || resumed {
            record.rearm(now);
        }
        record.updated_by = principal.to_owned();
        record.updated_at = Some(now);
        if !self.scheduler.store.replace(&record).await? {
            return Err(SchedulerError::UnknownTenant {
                tenant_id: *tenant_id,
            });
        }
        tracing::info!(%tenant_id, principal, next_run_at = %record.next_run_at, enabled = record.enabled, "schedule updated");
        Ok(record)
    }
}

#[tonic::async_trait]
impl ScheduleService for ScheduleApi {
    async fn get_schedule(
        &self,
        request: Request<GetScheduleRequest>,
    ) -> Result<Response<GetScheduleResponse>, Status> {
        let tenant_id = validate::tenant("tenant_id", &request.get_ref().tenant_id)?;
        let record = self.schedule_of(&tenant_id).await?;
        Ok(Response::new(GetScheduleResponse {
            schedule: Some(convert::schedule(&record)),
        }))
    }

    async fn list_schedules(
        &self,
        request: Request<ListSchedulesRequest>,
    ) -> Result<Response<ListSchedulesResponse>, Status> {
        let request = request.into_inner();
        let limit = posture_kit::error::page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
            .map_err(SchedulerError::from)?;
        let listing = validate::listing(request.enabled_only);
        let after = validate::page_start(&listing, &request.page_token)?;
        // One extra row tells whether another page follows.
        let mut records = self
            .scheduler
            .store
            .list(request.enabled_only, after.as_ref(), limit + 1)
            .await
            .map_err(SchedulerError::from)?;
        let next_page_token = listing.page(&mut records, limit as usize, validate::page_key);
        Ok(Response::new(ListSchedulesResponse {
            schedules: records.iter().map(convert::schedule).collect(),
            next_page_token,
        }))
    }

    async fn update_schedule(
        &self,
        request: Request<UpdateScheduleRequest>,
    ) -> Result<Response<UpdateScheduleResponse>, Status> {
        let principal = principal(request.metadata());
        let request = request.into_inner();
        let Some(schedule) = request.schedule else {
            return Err(SchedulerError::invalid("schedule", "must be set").into());
        };
        let tenant_id = validate::tenant("schedule.tenant_id", &schedule.tenant_id)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let change = validate::change(&schedule, &paths)?;
        let record = self.update(&tenant_id, change, &principal).await?;
        Ok(Response::new(UpdateScheduleResponse {
            schedule: Some(convert::schedule(&record)),
        }))
    }
}
