//! Per-rpc extraction: for each public request message, the checks of its fields and the tenants
//! it touches. "Tenant first" in the contract means almost every request names its tenant; the
//! exceptions (lists across tenants, baselines by id) say how they are scoped instead.

use posture_kit::ServiceError;
use posture_kit::ids::TenantId;
use posture_proto::v1;

use super::checks::{
    MAX_TEXT_LEN, entity_kind, entity_kinds, identifier, identifiers, optional_entity_kind,
    optional_identifier, optional_tenant, optional_uuid, paging, tenant, tenants, text, uuid,
};

/// Most emergency-access accounts a tenant may declare (the assessment role checks each id).
const MAX_EMERGENCY_ACCOUNTS: usize = 50;

fn emergency_accounts(field: &str, ids: &[String]) -> Result<(), ServiceError> {
    if ids.len() > MAX_EMERGENCY_ACCOUNTS {
        return Err(ServiceError::invalid(
            field,
            format!("must name at most {MAX_EMERGENCY_ACCOUNTS} accounts"),
        ));
    }
    ids.iter().try_for_each(|id| uuid(field, id))
}

/// Longest tag and most tags on a connection (the credentials role checks their charset).
const MAX_TAG_LEN: usize = 40;
const MAX_TAGS: usize = 20;

fn connection_tags(field: &str, tags: &[String]) -> Result<(), ServiceError> {
    if tags.len() > MAX_TAGS {
        return Err(ServiceError::invalid(
            field,
            format!("must name at most {MAX_TAGS} tags"),
        ));
    }
    tags.iter().try_for_each(|tag| text(field, tag, MAX_TAG_LEN))
}

/// The tenants a request touches, to be checked against the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touches {
    /// Every one of these must be in scope; none means the request reads no tenant data, or lists
    /// across tenants and has its response filtered to the scope.
    Tenants(Vec<TenantId>),
    /// A baseline known by id: its source tenant (looked up through the drift service) and every
    /// target tenant must be in scope.
    Baseline {
        baseline_id: String,
        targets: Vec<TenantId>,
    },
    /// Fleet configuration (webhook subscriptions may span every tenant and are known by id
    /// only): a key scoped to all tenants.
    Fleet,
}

impl Touches {
    fn one(tenant: TenantId) -> Self {
        Touches::Tenants(vec![tenant])
    }

    fn none() -> Self {
        Touches::Tenants(Vec::new())
    }

    fn maybe(tenant: Option<TenantId>) -> Self {
        Touches::Tenants(tenant.into_iter().collect())
    }
}

/// A public request the gateway can check before forwarding.
pub trait EdgeRequest {
    /// Checks the fields the gateway is responsible for and names the tenants touched.
    fn admit(&self) -> Result<Touches, ServiceError>;
}

/// For requests that are just `tenant_id` plus fields checked by `$extra`.
macro_rules! tenant_request {
    ($($message:ident $(=> |$r:ident| $extra:expr)?;)*) => {$(
        impl EdgeRequest for v1::$message {
            fn admit(&self) -> Result<Touches, ServiceError> {
                let tenant = tenant("tenant_id", &self.tenant_id)?;
                $( let $r = self; $extra?; )?
                Ok(Touches::one(tenant))
            }
        }
    )*};
}

tenant_request! {
    CreateConnectionRequest => |r| uuid("client_id", &r.client_id)
        .and_then(|()| text("display_name", &r.display_name, 200))
        .and_then(|()| connection_tags("tags", &r.tags));
    GetConnectionRequest;
    UpdateCredentialsRequest => |r| optional_uuid("client_id", &r.client_id);
    DeleteConnectionRequest => |r| text("confirm_tenant_id", &r.confirm_tenant_id, 64)
        .and_then(|()| text("reason", &r.reason, MAX_TEXT_LEN));
    TestConnectionRequest;
    StartSyncRequest => |r| entity_kinds("entity_kinds", &r.entity_kinds);
    GetSyncRunRequest => |r| uuid("run_id", &r.run_id);
    WatchSyncRunRequest => |r| uuid("run_id", &r.run_id);
    CancelSyncRunRequest => |r| uuid("run_id", &r.run_id);
    ListObjectsRequest => |r| entity_kind("entity_kind", &r.entity_kind)
        .and_then(|()| paging(r.page_size, &r.page_token));
    ListAuditStreamsRequest;
    SearchAuditEventsRequest => |r| text("operation", &r.operation, 256)
        .and_then(|()| text("user", &r.user, 256))
        .and_then(|()| text("workload", &r.workload, 256))
        .and_then(|()| paging(r.page_size, &r.page_token));
    GetObjectRequest => |r| entity_kind("entity_kind", &r.entity_kind)
        .and_then(|()| identifier("object_id", &r.object_id));
    ListObjectVersionsRequest => |r| entity_kind("entity_kind", &r.entity_kind)
        .and_then(|()| identifier("object_id", &r.object_id))
        .and_then(|()| paging(r.page_size, &r.page_token));
    GetObjectVersionRequest => |r| entity_kind("entity_kind", &r.entity_kind)
        .and_then(|()| identifier("object_id", &r.object_id));
    GetScheduleRequest;
    StartAssessmentRequest;
    GetAssessmentRequest => |r| uuid("assessment_id", &r.assessment_id);
    GetLatestAssessmentRequest;
    ListAssessmentsRequest => |r| paging(r.page_size, &r.page_token);
    ListFindingsRequest => |r| optional_uuid("assessment_id", &r.assessment_id)
        .and_then(|()| optional_identifier("control_id", &r.control_id))
        .and_then(|()| optional_identifier("framework", &r.framework))
        .and_then(|()| paging(r.page_size, &r.page_token));
    GetAssessmentSettingsRequest;
    UpdateAssessmentSettingsRequest => |r| emergency_accounts("emergency_access_accounts", &r.emergency_access_accounts);
    CreateExceptionRequest => |r| identifier("control_id", &r.control_id)
        .and_then(|()| identifiers("object_ids", &r.object_ids))
        .and_then(|()| text("reason", &r.reason, MAX_TEXT_LEN))
        .and_then(|()| text("owner", &r.owner, 200));
    ListExceptionsRequest => |r| optional_identifier("control_id", &r.control_id)
        .and_then(|()| paging(r.page_size, &r.page_token));
    DeleteExceptionRequest => |r| uuid("exception_id", &r.exception_id)
        .and_then(|()| text("reason", &r.reason, MAX_TEXT_LEN));
    ListDriftRequest => |r| optional_uuid("baseline_id", &r.baseline_id)
        .and_then(|()| optional_entity_kind("entity_kind", &r.entity_kind))
        .and_then(|()| paging(r.page_size, &r.page_token));
    GetDriftRequest => |r| uuid("drift_id", &r.drift_id);
    UpdateDriftStateRequest => |r| uuid("drift_id", &r.drift_id)
        .and_then(|()| text("comment", &r.comment, MAX_TEXT_LEN));
    ListSecureScoresRequest => |r| paging(r.page_size, &r.page_token);
    ListExposureScoresRequest => |r| paging(r.page_size, &r.page_token);
    ExportEvidenceBundleRequest => |r| optional_uuid("assessment_id", &r.assessment_id);
    GetEvidenceManifestRequest => |r| optional_uuid("assessment_id", &r.assessment_id);
    GetTenantOverviewRequest;
}

impl EdgeRequest for v1::ListConnectionsRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        text("tag", &self.tag, MAX_TAG_LEN)?;
        Ok(Touches::none())
    }
}

impl EdgeRequest for v1::UpdateConnectionRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        let connection = self
            .connection
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("connection", "is required"))?;
        text("connection.display_name", &connection.display_name, 200)?;
        connection_tags("connection.tags", &connection.tags)?;
        Ok(Touches::one(tenant(
            "connection.tenant_id",
            &connection.tenant_id,
        )?))
    }
}

impl EdgeRequest for v1::ListCredentialAccessesRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        let one = optional_tenant("tenant_id", &self.tenant_id)?;
        if one.is_some() && !self.tenant_ids.is_empty() {
            return Err(ServiceError::invalid(
                "tenant_ids",
                "must be empty when tenant_id is set",
            ));
        }
        // Without either, the listing spans every tenant and the response is cut to the scope.
        let mut touched = tenants("tenant_ids", &self.tenant_ids)?;
        touched.extend(one);
        Ok(Touches::Tenants(touched))
    }
}

impl EdgeRequest for v1::ListSyncRunsRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        Ok(Touches::maybe(optional_tenant("tenant_id", &self.tenant_id)?))
    }
}

impl EdgeRequest for v1::ListEntityKindsRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        Ok(Touches::none())
    }
}

/// The evidence signing keys are public and the same for every tenant.
impl EdgeRequest for v1::ListSigningKeysRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        Ok(Touches::none())
    }
}

impl EdgeRequest for v1::ListSchedulesRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        Ok(Touches::none())
    }
}

impl EdgeRequest for v1::UpdateScheduleRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        let schedule = self
            .schedule
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("schedule", "is required"))?;
        entity_kinds("schedule.entity_kinds", &schedule.entity_kinds)?;
        Ok(Touches::one(tenant("schedule.tenant_id", &schedule.tenant_id)?))
    }
}

impl EdgeRequest for v1::ListControlsRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        optional_identifier("framework", &self.framework)?;
        paging(self.page_size, &self.page_token)?;
        Ok(Touches::none())
    }
}

impl EdgeRequest for v1::CreateBaselineRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        text("display_name", &self.display_name, 200)?;
        text("description", &self.description, MAX_TEXT_LEN)?;
        entity_kinds("entity_kinds", &self.entity_kinds)?;
        Ok(Touches::one(tenant("source_tenant_id", &self.source_tenant_id)?))
    }
}

impl EdgeRequest for v1::GetBaselineRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        uuid("baseline_id", &self.baseline_id)?;
        // The response names the source tenant; it is checked there (see `ScopedResponse`).
        Ok(Touches::none())
    }
}

impl EdgeRequest for v1::ListBaselinesRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        let source = optional_tenant("source_tenant_id", &self.source_tenant_id)?;
        let applied = optional_tenant("applied_tenant_id", &self.applied_tenant_id)?;
        Ok(Touches::Tenants(source.into_iter().chain(applied).collect()))
    }
}

impl EdgeRequest for v1::ApplyBaselineRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        uuid("baseline_id", &self.baseline_id)?;
        if self.tenant_ids.is_empty() {
            return Err(ServiceError::invalid("tenant_ids", "must name 1 to 1000 tenants"));
        }
        Ok(Touches::Baseline {
            baseline_id: self.baseline_id.trim().to_owned(),
            targets: tenants("tenant_ids", &self.tenant_ids)?,
        })
    }
}

impl EdgeRequest for v1::DeleteBaselineRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        uuid("baseline_id", &self.baseline_id)?;
        Ok(Touches::Baseline {
            baseline_id: self.baseline_id.trim().to_owned(),
            targets: Vec::new(),
        })
    }
}

/// Notification calls name subscriptions by id and check them in the scheduler role; the gate
/// only needs the key to span the fleet.
macro_rules! fleet_request {
    ($($message:ident => |$r:ident| $check:expr;)*) => {$(
        impl EdgeRequest for v1::$message {
            fn admit(&self) -> Result<Touches, ServiceError> {
                let $r = self;
                $check?;
                Ok(Touches::Fleet)
            }
        }
    )*};
}

fleet_request! {
    CreateSubscriptionRequest => |r| r
        .subscription
        .as_ref()
        .ok_or_else(|| ServiceError::invalid("subscription", "is required"))
        .and_then(|s| optional_tenant("subscription.tenant_id", &s.tenant_id).map(drop));
    ListSubscriptionsRequest => |r| optional_tenant("tenant_id", &r.tenant_id).map(drop);
    DeleteSubscriptionRequest => |r| uuid("subscription_id", &r.subscription_id);
    TestSubscriptionRequest => |r| uuid("subscription_id", &r.subscription_id);
    ListDeliveriesRequest => |r| uuid("subscription_id", &r.subscription_id);
}

impl EdgeRequest for v1::ListTenantOverviewsRequest {
    fn admit(&self) -> Result<Touches, ServiceError> {
        paging(self.page_size, &self.page_token)?;
        text("tag", &self.tag, MAX_TAG_LEN)?;
        Ok(Touches::none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";

    #[test]
    fn tenant_scoped_requests_name_their_tenant() {
        let request = v1::GetSyncRunRequest {
            tenant_id: TENANT.into(),
            run_id: "1d8e7a52-5b4c-4f0e-9d3c-2a1b0c9d8e7f".into(),
        };
        let expected: TenantId = TENANT.parse().expect("guid");
        assert_eq!(request.admit().ok(), Some(Touches::one(expected)));
    }

    #[test]
    fn malformed_ids_are_invalid_arguments_naming_the_field() {
        let request = v1::GetSyncRunRequest {
            tenant_id: TENANT.into(),
            run_id: "run-42".into(),
        };
        let error = request.admit().expect_err("bad run id");
        assert!(error.to_string().starts_with("invalid run_id"), "{error}");
        let request = v1::UpdateScheduleRequest::default();
        assert!(
            request
                .admit()
                .expect_err("no schedule")
                .to_string()
                .contains("schedule")
        );
        let request = v1::ApplyBaselineRequest {
            baseline_id: "1d8e7a52-5b4c-4f0e-9d3c-2a1b0c9d8e7f".into(),
            tenant_ids: vec![],
            overrides: vec![],
        };
        assert!(request.admit().is_err());
    }

    #[test]
    fn cross_tenant_lists_touch_no_tenant_until_filtered() {
        let all = v1::ListSyncRunsRequest::default();
        assert_eq!(all.admit().ok(), Some(Touches::none()));
        let baselines = v1::ListBaselinesRequest {
            applied_tenant_id: TENANT.into(),
            ..Default::default()
        };
        assert!(matches!(baselines.admit(), Ok(Touches::Tenants(t)) if t.len() == 1));
    }
}
