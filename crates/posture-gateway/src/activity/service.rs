//! `posture.v1.ActivityService`: the activity log as the caller may see it. Recorded calls come
//! from the gateway's own store, secret reads from the credentials role; both are read from the
//! page token's position and merged by time (see [`super::page`]).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use posture_kit::ServiceError;
use posture_kit::clock::Clock;
use posture_kit::error::{page_size, require_uuid};
use posture_kit::paging::Keyset;
use posture_kit::time::{from_optional_timestamp, micros, timestamp};
use posture_proto::v1;
use posture_proto::v1::activity_service_server::ActivityService;
use tonic::{Request, Response, Status};

use super::page::{Cursor, Entry, Source, merge};
use super::secret_reads::{self, ReadQuery, ReadTenants};
use super::store::{ActivityStore, CallQuery, ResultFilter, StoredCall, Visible};
use crate::auth::{AccessRole, Principal, TenantScope, principal_of};
use crate::edge::checks::{optional_tenant, paging};
use crate::forward::Forwarder;

/// Longest rpc name accepted as a filter (longer ones name no rpc).
const MAX_RPC_LEN: usize = 200;

/// The ActivityService implementation mounted on the gateway.
#[derive(Debug, Clone)]
pub struct ActivityApi {
    store: ActivityStore,
    forwarder: Arc<Forwarder>,
    clock: Arc<dyn Clock>,
    retention: Duration,
}

/// A request's filters, checked.
struct Filters {
    tenant: Option<posture_kit::ids::TenantId>,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    api_key_id: Option<String>,
    rpc: Option<String>,
    result: ResultFilter,
    calls: bool,
    reads: bool,
}

impl Filters {
    fn of(request: &v1::ListActivityRequest) -> Result<Self, ServiceError> {
        paging(request.page_size, &request.page_token)?;
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let range = request.occurred.unwrap_or_default();
        let from = from_optional_timestamp("occurred.start_at", range.start_at.as_ref())?;
        let until = from_optional_timestamp("occurred.end_at", range.end_at.as_ref())?;
        if let (Some(from), Some(until)) = (from, until)
            && from > until
        {
            return Err(ServiceError::invalid(
                "occurred",
                "start_at must not be after end_at",
            ));
        }
        let api_key_id = match request.api_key_id.trim() {
            "" => None,
            id => Some(require_uuid("api_key_id", id)?.hyphenated().to_string()),
        };
        let rpc = match request.rpc.trim().trim_start_matches('/') {
            "" => None,
            rpc if rpc.len() > MAX_RPC_LEN || !rpc.contains('/') || rpc.chars().any(char::is_control) => {
                return Err(ServiceError::invalid(
                    "rpc",
                    "must be a full rpc name such as `posture.v1.SyncService/StartSync`",
                ));
            }
            rpc => Some(rpc.to_owned()),
        };
        let result = match v1::ActivityResult::try_from(request.result) {
            Ok(v1::ActivityResult::Unspecified) => ResultFilter::Any,
            Ok(v1::ActivityResult::Ok) => ResultFilter::Ok,
            Ok(v1::ActivityResult::Failed) => ResultFilter::Failed,
            Err(_) => {
                return Err(ServiceError::invalid(
                    "result",
                    "must be one of the ActivityResult values",
                ));
            }
        };
        let (calls, reads) = match v1::ActivityKind::try_from(request.kind) {
            Ok(v1::ActivityKind::Unspecified) => (true, true),
            Ok(v1::ActivityKind::Call) => (true, false),
            Ok(v1::ActivityKind::SecretRead) => (false, true),
            Err(_) => {
                return Err(ServiceError::invalid(
                    "kind",
                    "must be one of the ActivityKind values",
                ));
            }
        };
        // Secret reads have no key, rpc or failure.
        let reads = reads && api_key_id.is_none() && rpc.is_none() && result != ResultFilter::Failed;
        Ok(Filters {
            tenant,
            from,
            until,
            api_key_id,
            rpc,
            result,
            calls,
            reads,
        })
    }

    /// The filters as the page token pins them.
    fn listing(&self, request: &v1::ListActivityRequest) -> Keyset {
        let optional =
            |at: Option<DateTime<Utc>>| at.map(micros).map(|us| us.to_string()).unwrap_or_default();
        Keyset::new(
            "activity",
            format!(
                "{}|{}|{}|{}|{}|{}|{}",
                self.tenant.map(|t| t.to_string()).unwrap_or_default(),
                optional(self.from),
                optional(self.until),
                self.api_key_id.as_deref().unwrap_or_default(),
                self.rpc.as_deref().unwrap_or_default(),
                request.result,
                request.kind,
            ),
        )
    }
}

/// What a key may see: an all-tenants admin everything; other keys the entries of their tenants.
fn visible(
    principal: &Principal,
    tenant: Option<posture_kit::ids::TenantId>,
) -> Result<Visible, ServiceError> {
    if let Some(tenant) = tenant {
        principal.require_tenant(&tenant)?;
        return Ok(Visible::Tenants(vec![tenant]));
    }
    Ok(match (&principal.scope, principal.role) {
        (TenantScope::AllTenants, AccessRole::Admin) => Visible::Everything,
        (TenantScope::AllTenants, _) => Visible::AnyTenant,
        (TenantScope::Tenants(tenants), _) => Visible::Tenants(tenants.iter().copied().collect()),
    })
}

impl ActivityApi {
    pub fn new(
        store: ActivityStore,
        forwarder: Arc<Forwarder>,
        clock: Arc<dyn Clock>,
        retention: Duration,
    ) -> Self {
        Self {
            store,
            forwarder,
            clock,
            retention,
        }
    }

    async fn list(
        &self,
        request: Request<v1::ListActivityRequest>,
    ) -> Result<v1::ListActivityResponse, Status> {
        let principal = principal_of(&request)?;
        let message = request.get_ref();
        let filters = Filters::of(message)?;
        let visible = visible(&principal, filters.tenant)?;
        let size = page_size(message.page_size, 100, 1000)? as usize;
        let listing = filters.listing(message);
        let cursor = listing
            .resume(&message.page_token)?
            .map(|p| Cursor::resume(&p))
            .transpose()?;
        // Nothing older than the retention is shown, whichever source still holds it.
        let oldest = self.clock.now() - self.retention;
        let from = Some(filters.from.map_or(oldest, |from| from.max(oldest)));

        let calls = if filters.calls {
            let query = CallQuery {
                visible: visible.clone(),
                from,
                until: filters.until,
                api_key_id: filters.api_key_id.clone(),
                rpc: filters.rpc.clone(),
                result: filters.result,
                before: cursor.map(|c| c.before(Source::Call)),
                limit: i64::try_from(size + 1).unwrap_or(i64::MAX),
            };
            let stored = self
                .store
                .list(&query)
                .await
                .map_err(|error| ServiceError::internal("reading the activity log", error))?;
            stored.into_iter().map(call_entry).collect()
        } else {
            Vec::new()
        };
        let reads = if filters.reads {
            let tenants = match visible {
                Visible::Everything | Visible::AnyTenant => ReadTenants::All,
                Visible::Tenants(tenants) => ReadTenants::Only(tenants),
            };
            let query = ReadQuery {
                tenants,
                from,
                until: filters.until,
                before: cursor.map(|c| c.before(Source::SecretRead)),
                limit: size + 1,
            };
            secret_reads::list(&self.forwarder, &principal, request.metadata(), &query).await?
        } else {
            Vec::new()
        };
        let (mut activities, next_page_token) = merge(&listing, calls, reads, size);
        if let TenantScope::Tenants(_) = principal.scope {
            for activity in &mut activities {
                activity.tenant_ids.retain(|t| principal.scope.contains_str(t));
            }
        }
        Ok(v1::ListActivityResponse {
            activities,
            next_page_token,
        })
    }
}

fn call_entry((id, call): StoredCall) -> Entry {
    Entry {
        at: micros(call.occurred_at),
        source: Source::Call,
        id,
        activity: v1::Activity {
            activity_id: format!("call-{id}"),
            kind: v1::ActivityKind::Call as i32,
            occurred_at: Some(timestamp(call.occurred_at)),
            principal: Some(v1::ActivityPrincipal {
                api_key_id: call.api_key_id,
                api_key_name: call.api_key_name,
                role: call.role.to_proto() as i32,
                service_role: String::new(),
            }),
            tenant_ids: call.tenant_ids.iter().map(ToString::to_string).collect(),
            rpc: call.rpc,
            status_code: call.status_code,
            trace_id: call.trace_id,
            read_purpose: v1::CredentialAccessPurpose::Unspecified as i32,
            credential_version: 0,
        },
    }
}

#[tonic::async_trait]
impl ActivityService for ActivityApi {
    async fn list_activity(
        &self,
        request: Request<v1::ListActivityRequest>,
    ) -> Result<Response<v1::ListActivityResponse>, Status> {
        self.list(request).await.map(Response::new)
    }
}
