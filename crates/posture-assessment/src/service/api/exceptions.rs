//! ExceptionService: recording, listing and withdrawing risk acceptances. Creation and
//! withdrawal are audited in the same transaction; the next assessment applies the change.

use std::sync::Arc;

use posture_kit::ServiceError;
use posture_kit::clock::SharedClock;
use posture_kit::error::page_size;
use posture_kit::grpc::principal;
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, micros, timestamp};
use posture_proto::v1 as pb;
use posture_proto::v1::exception_service_server::ExceptionService;
use tonic::{Request, Response, Status};

use super::validate;
use crate::pack::PolicyPack;
use crate::service::convert;
use crate::service::store::{AssessmentStore, ExceptionFilter, ExceptionRecord};

#[derive(Clone)]
pub struct ExceptionApi {
    pub store: AssessmentStore,
    pub pack: Arc<PolicyPack>,
    pub clock: SharedClock,
}

#[tonic::async_trait]
impl ExceptionService for ExceptionApi {
    async fn create_exception(
        &self,
        request: Request<pb::CreateExceptionRequest>,
    ) -> Result<Response<pb::CreateExceptionResponse>, Status> {
        let created_by = principal(request.metadata());
        let body = request.into_inner();
        let now = self.clock.now();
        let tenant = validate::tenant(&body.tenant_id)?;
        let control_id = validate::identifier("control_id", &body.control_id)?;
        let object_ids = validate::object_ids(&body.object_ids)?;
        let reason = validate::text("reason", &body.reason, 2000)?;
        let owner = validate::text("owner", &body.owner, 200)?;
        let expires_at = validate::expiry(body.expires_at.as_ref(), now)?;
        if !self.pack.controls().iter().any(|c| c.id == control_id) {
            return Err(ServiceError::not_found("control", control_id).into());
        }
        let record = ExceptionRecord {
            exception_id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant,
            control_id,
            object_ids,
            reason,
            owner,
            expires_at,
            created_by,
            created_at: now,
        };
        self.store
            .create_exception(&record)
            .await
            .map_err(ServiceError::from)?;
        tracing::info!(exception = %record.exception_id, tenant = %record.tenant_id, control = %record.control_id, by = %record.created_by, "risk exception recorded");
        Ok(Response::new(pb::CreateExceptionResponse {
            exception: Some(convert::exception(&record, now)),
        }))
    }

    async fn list_exceptions(
        &self,
        request: Request<pb::ListExceptionsRequest>,
    ) -> Result<Response<pb::ListExceptionsResponse>, Status> {
        let body = request.into_inner();
        let now = self.clock.now();
        let tenant = validate::tenant(&body.tenant_id)?;
        let control_id = validate::optional_identifier("control_id", &body.control_id)?;
        let limit = page_size(body.page_size, 50, 500)?;
        let listing = Keyset::new(
            "exceptions",
            format!(
                "{tenant}|{}|{}",
                control_id.as_deref().unwrap_or_default(),
                body.include_expired
            ),
        );
        let after = listing
            .resume(&body.page_token)?
            .map(|p| Ok::<_, ServiceError>((from_micros(p.int(0)?), p.text(1)?.to_owned())))
            .transpose()?;
        let mut found = self
            .store
            .list_exceptions(&ExceptionFilter {
                tenant_id: tenant,
                control_id,
                active_at: (!body.include_expired).then_some(now),
                after,
                limit: limit + 1,
            })
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = listing.page(&mut found, limit as usize, |e| {
            [micros(e.expires_at).to_string(), e.exception_id.clone()]
        });
        Ok(Response::new(pb::ListExceptionsResponse {
            exceptions: found.iter().map(|e| convert::exception(e, now)).collect(),
            next_page_token,
        }))
    }

    async fn delete_exception(
        &self,
        request: Request<pb::DeleteExceptionRequest>,
    ) -> Result<Response<pb::DeleteExceptionResponse>, Status> {
        let actor = principal(request.metadata());
        let body = request.into_inner();
        let now = self.clock.now();
        let tenant = validate::tenant(&body.tenant_id)?;
        let id = validate::id("exception_id", &body.exception_id)?;
        let reason = if body.reason.trim().is_empty() {
            String::new()
        } else {
            validate::text("reason", &body.reason, 2000)?
        };
        self.store
            .delete_exception(&tenant, &id, &actor, &reason, now)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::not_found("exception", &id))?;
        tracing::info!(exception = %id, tenant = %tenant, by = %actor, "risk exception withdrawn");
        Ok(Response::new(pb::DeleteExceptionResponse {
            deleted_at: Some(timestamp(now)),
        }))
    }
}
