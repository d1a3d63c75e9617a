//! AssessmentService: the pack's controls, starting and reading assessments, their findings, and
//! the per-tenant settings assessments are built with.

use posture_kit::ServiceError;
use posture_kit::error::page_size;
use posture_kit::grpc::principal;
use posture_kit::ids::{AssessmentId, RunId, TenantId};
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, from_optional_timestamp, micros};
use posture_proto::v1 as pb;
use posture_proto::v1::assessment_service_server::AssessmentService;
use tokio_util::task::TaskTracker;
use tonic::{Request, Response, Status};

use super::validate;
use crate::service::announce::Announce;
use crate::service::assess::{AssessError, Assessor, Request as NewRequest};
use crate::service::convert;
use crate::service::store::{AssessmentFilter, FindingFilter, SettingsRecord, StoreError, Trigger};

#[derive(Clone)]
pub struct AssessmentApi {
    pub assessor: Assessor,
    /// Manual assessments run as tasks here, so shutdown waits for them.
    pub tasks: TaskTracker,
}

impl AssessmentApi {
    fn store(&self) -> &crate::service::store::AssessmentStore {
        &self.assessor.store
    }

    async fn start(&self, tenant: TenantId, requested_by: String) -> Result<pb::Assessment, ServiceError> {
        let run = self
            .assessor
            .reader
            .latest_assessable_run(&tenant)
            .await
            .map_err(|e| {
                tracing::warn!(%tenant, error = %e, "cannot read the tenant's sync runs");
                ServiceError::Unavailable {
                    what: "the sync role".to_owned(),
                }
            })?
            .ok_or_else(|| ServiceError::FailedPrecondition {
                reason: format!("tenant {tenant} has no completed sync run to assess; run a sync first"),
            })?;
        // The sync role's answer: an id that does not parse is its defect, not the caller's.
        let run_id: RunId = run
            .run_id
            .parse()
            .map_err(|e| ServiceError::internal("reading the tenant's latest sync run", e))?;
        let request = NewRequest {
            tenant_id: tenant,
            trigger: Trigger::Manual,
            requested_by: &requested_by,
            sync_run_id: run_id,
        };
        let created = match self.assessor.create(&request).await {
            Ok(created) => created,
            Err(AssessError::Store(StoreError::AlreadyExists { .. })) => {
                let active = self
                    .store()
                    .active_assessment(&tenant)
                    .await?
                    .map(|a| a.assessment_id.to_string())
                    .unwrap_or_default();
                return Err(ServiceError::AlreadyExists {
                    what: "running assessment of the tenant",
                    id: active,
                });
            }
            Err(AssessError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(ServiceError::internal("starting an assessment", e)),
        };
        let assessor = self.assessor.clone();
        let record = created.clone();
        // Nothing redelivers a manual assessment: its announcement goes through the outbox.
        self.tasks.spawn(async move {
            if let Err(e) = assessor.execute(&record, &run, Announce::ThroughOutbox).await {
                tracing::error!(assessment = %record.assessment_id, error = %e, "manual assessment failed");
                if let Err(stored) = assessor.fail(&record, &e.failure(), Announce::ThroughOutbox).await {
                    tracing::error!(assessment = %record.assessment_id, error = %stored, "cannot record a failed assessment");
                }
            }
        });
        Ok(convert::assessment(&created))
    }

    /// The assessment `id` of the tenant, or the tenant's latest succeeded one when `id` is empty.
    async fn resolve(&self, tenant: &TenantId, id: &str) -> Result<AssessmentId, ServiceError> {
        if id.is_empty() {
            return self
                .store()
                .latest_succeeded(tenant)
                .await?
                .map(|a| a.assessment_id)
                .ok_or_else(|| ServiceError::not_found("succeeded assessment of tenant", tenant));
        }
        let id = validate::assessment_id(id)?;
        self.store()
            .assessment(tenant, &id)
            .await?
            .map(|a| a.assessment_id)
            .ok_or_else(|| ServiceError::not_found("assessment", id))
    }

    async fn findings(
        &self,
        body: pb::ListFindingsRequest,
    ) -> Result<pb::ListFindingsResponse, ServiceError> {
        let tenant = validate::tenant(&body.tenant_id)?;
        let control_id = validate::optional_identifier("control_id", &body.control_id)?;
        let framework = validate::optional_identifier("framework", &body.framework)?;
        let results = validate::results(&body.results)?;
        let min_severity = pb::Severity::try_from(body.min_severity)
            .map_err(|_| ServiceError::invalid("min_severity", "is not a Severity"))?;
        let limit = page_size(body.page_size, 100, 1000)?;
        let listing = Keyset::new(
            "findings",
            format!(
                "{tenant}|{}|{}|{:?}|{}|{}|{:?}",
                body.assessment_id.trim(),
                control_id.as_deref().unwrap_or_default(),
                results.iter().map(|r| *r as i32).collect::<Vec<_>>(),
                min_severity as i32,
                framework.as_deref().unwrap_or_default(),
                body.accepted,
            ),
        );
        // A finding's position is its severity as the contract numbers it, then its control id.
        let after = listing
            .resume(&body.page_token)?
            .map(|p| {
                let severity = i32::try_from(p.int(0)?)
                    .ok()
                    .and_then(|s| pb::Severity::try_from(s).ok())
                    .ok_or_else(|| {
                        ServiceError::invalid("page_token", "is not a page token returned by this API")
                    })?;
                Ok::<_, ServiceError>((convert::engine_severity(severity), p.text(1)?.to_owned()))
            })
            .transpose()?;
        let assessment_id = self.resolve(&tenant, &body.assessment_id).await?;
        let mut findings = self
            .store()
            .list_findings(&FindingFilter {
                assessment_id,
                control_id,
                results: results.into_iter().map(convert::status).collect(),
                min_severity: convert::engine_severity(min_severity),
                framework,
                accepted: body.accepted,
                after,
                limit: limit + 1,
            })
            .await?;
        let next_page_token = listing.page(&mut findings, limit as usize, |f| {
            [
                (convert::finding_severity(f.severity) as i32).to_string(),
                f.control_id.clone(),
            ]
        });
        Ok(pb::ListFindingsResponse {
            findings: findings.into_iter().map(convert::finding_message).collect(),
            next_page_token,
            assessment_id: assessment_id.to_string(),
        })
    }

    async fn settings_message(&self, tenant: &TenantId) -> Result<pb::AssessmentSettings, ServiceError> {
        let saved = self.store().settings(tenant).await?;
        Ok(convert::settings(
            &saved,
            validate::effective_parameters(&saved.parameters),
        ))
    }
}

#[tonic::async_trait]
impl AssessmentService for AssessmentApi {
    async fn list_controls(
        &self,
        request: Request<pb::ListControlsRequest>,
    ) -> Result<Response<pb::ListControlsResponse>, Status> {
        let body = request.into_inner();
        let framework = validate::optional_identifier("framework", &body.framework)?;
        let severity = pb::Severity::try_from(body.severity)
            .map_err(|_| ServiceError::invalid("severity", "is not a Severity"))?;
        let limit = page_size(body.page_size, 100, 1000)? as usize;
        let offset = validate::offset_token(&body.page_token)?;
        let mut controls: Vec<pb::Control> = self
            .assessor
            .pack
            .controls()
            .into_iter()
            .map(convert::control)
            .filter(|c| severity == pb::Severity::Unspecified || c.severity == severity as i32)
            .filter(|c| {
                framework
                    .as_deref()
                    .is_none_or(|f| c.references.iter().any(|r| r.framework == f))
            })
            .collect();
        controls.sort_by(|a, b| a.control_id.cmp(&b.control_id));
        let end = offset.saturating_add(limit).min(controls.len());
        let next = (end < controls.len()).then_some(end);
        let page = controls.get(offset.min(end)..end).unwrap_or_default().to_vec();
        Ok(Response::new(pb::ListControlsResponse {
            controls: page,
            next_page_token: validate::next_offset(next),
        }))
    }

    async fn start_assessment(
        &self,
        request: Request<pb::StartAssessmentRequest>,
    ) -> Result<Response<pb::StartAssessmentResponse>, Status> {
        let requested_by = principal(request.metadata());
        let tenant = validate::tenant(&request.get_ref().tenant_id)?;
        let assessment = self.start(tenant, requested_by).await?;
        Ok(Response::new(pb::StartAssessmentResponse {
            assessment: Some(assessment),
        }))
    }

    async fn get_assessment(
        &self,
        request: Request<pb::GetAssessmentRequest>,
    ) -> Result<Response<pb::GetAssessmentResponse>, Status> {
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let id = validate::assessment_id(&body.assessment_id)?;
        let found = self
            .store()
            .assessment(&tenant, &id)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::not_found("assessment", id))?;
        Ok(Response::new(pb::GetAssessmentResponse {
            assessment: Some(convert::assessment(&found)),
        }))
    }

    async fn get_latest_assessment(
        &self,
        request: Request<pb::GetLatestAssessmentRequest>,
    ) -> Result<Response<pb::GetLatestAssessmentResponse>, Status> {
        let tenant = validate::tenant(&request.get_ref().tenant_id)?;
        let found = self
            .store()
            .latest_succeeded(&tenant)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::not_found("succeeded assessment of tenant", tenant))?;
        Ok(Response::new(pb::GetLatestAssessmentResponse {
            assessment: Some(convert::assessment(&found)),
        }))
    }

    async fn list_assessments(
        &self,
        request: Request<pb::ListAssessmentsRequest>,
    ) -> Result<Response<pb::ListAssessmentsResponse>, Status> {
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let limit = page_size(body.page_size, 50, 500)?;
        let range = body.requested.unwrap_or_default();
        let from = from_optional_timestamp("requested.start_at", range.start_at.as_ref())?;
        let to = from_optional_timestamp("requested.end_at", range.end_at.as_ref())?;
        let listing = Keyset::new(
            "assessments",
            format!("{tenant}|{:?}|{:?}", from.map(micros), to.map(micros)),
        );
        let before = listing
            .resume(&body.page_token)?
            .map(|p| {
                let id = p.text(1)?.parse::<AssessmentId>()?;
                Ok::<_, ServiceError>((from_micros(p.int(0)?), id))
            })
            .transpose()?;
        let mut found = self
            .store()
            .list_assessments(&AssessmentFilter {
                tenant_id: tenant,
                from,
                to,
                before,
                limit: limit + 1,
            })
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = listing.page(&mut found, limit as usize, |a| {
            [micros(a.requested_at).to_string(), a.assessment_id.to_string()]
        });
        Ok(Response::new(pb::ListAssessmentsResponse {
            assessments: found.iter().map(convert::assessment).collect(),
            next_page_token,
        }))
    }

    async fn list_findings(
        &self,
        request: Request<pb::ListFindingsRequest>,
    ) -> Result<Response<pb::ListFindingsResponse>, Status> {
        Ok(Response::new(self.findings(request.into_inner()).await?))
    }

    async fn get_assessment_settings(
        &self,
        request: Request<pb::GetAssessmentSettingsRequest>,
    ) -> Result<Response<pb::GetAssessmentSettingsResponse>, Status> {
        let tenant = validate::tenant(&request.get_ref().tenant_id)?;
        Ok(Response::new(pb::GetAssessmentSettingsResponse {
            settings: Some(self.settings_message(&tenant).await?),
        }))
    }

    async fn update_assessment_settings(
        &self,
        request: Request<pb::UpdateAssessmentSettingsRequest>,
    ) -> Result<Response<pb::UpdateAssessmentSettingsResponse>, Status> {
        let updated_by = principal(request.metadata());
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let record = SettingsRecord {
            tenant_id: tenant,
            emergency_access_accounts: validate::emergency_accounts(&body.emergency_access_accounts)?,
            parameters: validate::parameters(&body.parameters)?,
            updated_at: None,
            updated_by,
        };
        self.store()
            .save_settings(&record, self.assessor.now())
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::UpdateAssessmentSettingsResponse {
            settings: Some(self.settings_message(&tenant).await?),
        }))
    }
}
