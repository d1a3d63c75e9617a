//! AuditService: a tenant's stored audit events, newest first, by time range, operation, user,
//! workload and target object; and where each of its audit streams stands.

use posture_kit::paging::Keyset;
use posture_kit::time::{from_optional_timestamp, micros, timestamp};
use posture_proto::v1 as pb;
use posture_proto::v1::audit_service_server::AuditService;
use tonic::{Request, Response, Status};

use super::validate;
use crate::error::SyncError;
use crate::store::{AuditEvent, AuditQuery, InventoryStore};

/// Longest accepted operation, user or workload filter.
const MAX_FILTER_BYTES: usize = 256;

#[derive(Clone)]
pub struct AuditApi {
    pub store: InventoryStore,
}

/// An optional exact-match filter: empty is none, too long is refused.
fn filter(field: &'static str, value: &str) -> Result<Option<String>, SyncError> {
    let value = value.trim();
    if value.len() > MAX_FILTER_BYTES {
        return Err(SyncError::invalid(
            field,
            format!("must be at most {MAX_FILTER_BYTES} bytes"),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn event(e: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        tenant_id: e.tenant_id.to_string(),
        source: e.source,
        record_id: e.record_id,
        occurred_at: Some(timestamp(e.occurred_at)),
        operation: e.operation,
        user: e.user,
        workload: e.workload,
        result: e.result,
        client_ip: e.client_ip,
        raw_json: e.raw,
        target_ids: e.targets,
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_streams(
        &self,
        request: Request<pb::ListAuditStreamsRequest>,
    ) -> Result<Response<pb::ListAuditStreamsResponse>, Status> {
        let tenant = validate::tenant(&request.into_inner().tenant_id)?;
        if !self.store.tenant_known(&tenant).await.map_err(SyncError::from)? {
            return Err(SyncError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            }
            .into());
        }
        let mut streams = Vec::new();
        for source in crate::audit::streams() {
            let stream = self
                .store
                .audit_stream(&tenant, source)
                .await
                .map_err(SyncError::from)?;
            streams.push(pb::AuditStream {
                source: source.to_owned(),
                complete_until: stream.complete_until.map(timestamp),
                last_read_at: stream.last_read_at.map(timestamp),
                last_error: stream.last_error.unwrap_or_default(),
            });
        }
        Ok(Response::new(pb::ListAuditStreamsResponse { streams }))
    }

    async fn search_audit_events(
        &self,
        request: Request<pb::SearchAuditEventsRequest>,
    ) -> Result<Response<pb::SearchAuditEventsResponse>, Status> {
        let body = request.into_inner();
        let tenant = validate::tenant(&body.tenant_id)?;
        let limit = validate::page_size(body.page_size, 100, 1000)?;
        let range = body.occurred.unwrap_or_default();
        let since = from_optional_timestamp("occurred.start_at", range.start_at.as_ref())?;
        let until = from_optional_timestamp("occurred.end_at", range.end_at.as_ref())?;
        if let (Some(since), Some(until)) = (since, until)
            && until <= since
        {
            return Err(SyncError::invalid("occurred", "end_at must be after start_at").into());
        }
        let operation = filter("operation", &body.operation)?;
        let user = filter("user", &body.user)?;
        let workload = filter("workload", &body.workload)?;
        let target = filter("target_id", &body.target_id)?;
        if !self.store.tenant_known(&tenant).await.map_err(SyncError::from)? {
            return Err(SyncError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            }
            .into());
        }
        let listing = Keyset::new(
            "audit-events",
            format!(
                "{tenant}|{:?}|{:?}|{}|{}|{}|{}",
                since.map(micros),
                until.map(micros),
                operation.as_deref().unwrap_or_default().to_lowercase(),
                user.as_deref().unwrap_or_default().to_lowercase(),
                workload.as_deref().unwrap_or_default().to_lowercase(),
                target.as_deref().unwrap_or_default().to_lowercase(),
            ),
        );
        let after = match listing.resume(&body.page_token)? {
            None => None,
            Some(position) => Some((
                position.int(0)?,
                position.text(1)?.to_owned(),
                position.text(2)?.to_owned(),
            )),
        };
        let mut events = self
            .store
            .search_audit_events(&AuditQuery {
                tenant_id: Some(tenant),
                since,
                until,
                operation,
                user,
                workload,
                target,
                after,
                limit: limit + 1,
            })
            .await
            .map_err(SyncError::from)?;
        let next_page_token = listing.page(&mut events, limit as usize, |e| {
            [
                micros(e.occurred_at).to_string(),
                e.source.clone(),
                e.record_id.clone(),
            ]
        });
        Ok(Response::new(pb::SearchAuditEventsResponse {
            events: events.into_iter().map(event).collect(),
            next_page_token,
        }))
    }
}
