//! Responses cut to the caller's scope: lists across tenants keep only the tenants the key may
//! see, and a baseline outside the scope is answered as not found (no existence leak). Filtering
//! after the backend paged keeps page tokens valid; a scoped key may see short pages.

use posture_kit::ServiceError;
use posture_proto::v1;

use crate::auth::TenantScope;

/// A public response the gateway may need to cut down to a scope before returning it.
pub trait ScopedResponse {
    fn scope_to(&mut self, _scope: &TenantScope) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// Responses about one tenant the request already named (and the gate checked).
macro_rules! single_tenant {
    ($($message:ident),* $(,)?) => {$( impl ScopedResponse for v1::$message {} )*};
}

single_tenant!(
    CreateConnectionResponse,
    GetConnectionResponse,
    UpdateConnectionResponse,
    UpdateCredentialsResponse,
    DeleteConnectionResponse,
    TestConnectionResponse,
    StartSyncResponse,
    GetSyncRunResponse,
    CancelSyncRunResponse,
    ListEntityKindsResponse,
    ListObjectsResponse,
    GetObjectResponse,
    ListObjectVersionsResponse,
    GetObjectVersionResponse,
    SearchAuditEventsResponse,
    ListAuditStreamsResponse,
    GetScheduleResponse,
    UpdateScheduleResponse,
    ListControlsResponse,
    StartAssessmentResponse,
    GetAssessmentResponse,
    GetLatestAssessmentResponse,
    ListAssessmentsResponse,
    ListFindingsResponse,
    GetAssessmentSettingsResponse,
    UpdateAssessmentSettingsResponse,
    CreateExceptionResponse,
    ListExceptionsResponse,
    DeleteExceptionResponse,
    DeleteBaselineResponse,
    ListDriftResponse,
    GetDriftResponse,
    UpdateDriftStateResponse,
    ListSecureScoresResponse,
    ListExposureScoresResponse,
    GetEvidenceManifestResponse,
    // Notification calls are admitted only for keys spanning every tenant.
    CreateSubscriptionResponse,
    ListSubscriptionsResponse,
    DeleteSubscriptionResponse,
    TestSubscriptionResponse,
    ListDeliveriesResponse,
);

/// The public keys that verify evidence bundles are the same for every tenant and hold no tenant
/// data: every viewer may read them.
impl ScopedResponse for v1::ListSigningKeysResponse {}

impl ScopedResponse for v1::ListConnectionsResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        self.connections.retain(|c| scope.contains_str(&c.tenant_id));
        Ok(())
    }
}

impl ScopedResponse for v1::ListCredentialAccessesResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        self.accesses
            .retain(|access| scope.contains_str(&access.tenant_id));
        Ok(())
    }
}

impl ScopedResponse for v1::ListSyncRunsResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        self.runs.retain(|run| scope.contains_str(&run.tenant_id));
        Ok(())
    }
}

impl ScopedResponse for v1::ListSchedulesResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        self.schedules.retain(|s| scope.contains_str(&s.tenant_id));
        Ok(())
    }
}

/// A baseline may be applied to tenants the key does not see (an MSP's standard across its
/// customers); those are cut from it, with their overrides.
fn cut_targets(baseline: &mut v1::Baseline, scope: &TenantScope) {
    baseline.applied_tenant_ids.retain(|t| scope.contains_str(t));
    baseline.overrides.retain(|o| scope.contains_str(&o.tenant_id));
}

impl ScopedResponse for v1::ListBaselinesResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        self.baselines.retain(|b| scope.contains_str(&b.source_tenant_id));
        for baseline in &mut self.baselines {
            cut_targets(baseline, scope);
        }
        Ok(())
    }
}

impl ScopedResponse for v1::CreateBaselineResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        if let Some(baseline) = &mut self.baseline {
            cut_targets(baseline, scope);
        }
        Ok(())
    }
}

impl ScopedResponse for v1::ApplyBaselineResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        if let Some(baseline) = &mut self.baseline {
            cut_targets(baseline, scope);
        }
        Ok(())
    }
}

impl ScopedResponse for v1::GetBaselineResponse {
    fn scope_to(&mut self, scope: &TenantScope) -> Result<(), ServiceError> {
        match &mut self.baseline {
            Some(baseline) if scope.contains_str(&baseline.source_tenant_id) => {
                cut_targets(baseline, scope);
                Ok(())
            }
            Some(baseline) => Err(ServiceError::not_found("baseline", &baseline.baseline_id)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_shows_only_the_targets_in_scope() {
        let a = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";
        let b = "4c1d7e3a-8f2b-4a6c-9e5d-1b0a2c3d4e5f";
        let scope = TenantScope::Tenants([a.parse().expect("guid")].into());
        let mut response = v1::GetBaselineResponse {
            baseline: Some(v1::Baseline {
                source_tenant_id: a.into(),
                applied_tenant_ids: vec![a.into(), b.into()],
                overrides: vec![v1::BaselineOverride {
                    tenant_id: b.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        response.scope_to(&scope).expect("in scope");
        let baseline = response.baseline.expect("kept");
        assert_eq!(baseline.applied_tenant_ids, [a]);
        assert!(baseline.overrides.is_empty());
    }

    #[test]
    fn lists_keep_only_tenants_in_scope() {
        let a = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";
        let b = "4c1d7e3a-8f2b-4a6c-9e5d-1b0a2c3d4e5f";
        let scope = TenantScope::Tenants([a.parse().expect("guid")].into());
        let mut response = v1::ListConnectionsResponse {
            connections: [a, b, "garbage"]
                .map(|tenant_id| v1::Connection {
                    tenant_id: tenant_id.into(),
                    ..Default::default()
                })
                .into(),
            next_page_token: "next".into(),
        };
        response.scope_to(&scope).expect("filtering never fails");
        let kept: Vec<_> = response
            .connections
            .iter()
            .map(|c| c.tenant_id.as_str())
            .collect();
        assert_eq!(kept, [a]);
        assert_eq!(response.next_page_token, "next");
    }
}
