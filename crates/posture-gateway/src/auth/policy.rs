//! The per-rpc table: the least role each public rpc needs, as its contract comment names it.
//! A method missing here is refused, so a new rpc cannot be served before someone decides who
//! may call it (a test checks the table against the descriptors and their `Role:` comments).

use super::AccessRole::{self, Admin, Operator, Viewer};

/// `(gRPC path, least role)` for every public rpc.
pub const RPC_ROLES: &[(&str, AccessRole)] = &[
    ("/posture.v1.TenantConnectionService/CreateConnection", Admin),
    ("/posture.v1.TenantConnectionService/GetConnection", Viewer),
    ("/posture.v1.TenantConnectionService/ListConnections", Viewer),
    ("/posture.v1.TenantConnectionService/UpdateConnection", Admin),
    ("/posture.v1.TenantConnectionService/UpdateCredentials", Admin),
    ("/posture.v1.TenantConnectionService/DeleteConnection", Admin),
    ("/posture.v1.TenantConnectionService/TestConnection", Operator),
    (
        "/posture.v1.TenantConnectionService/ListCredentialAccesses",
        Admin,
    ),
    ("/posture.v1.SyncService/StartSync", Operator),
    ("/posture.v1.SyncService/GetSyncRun", Viewer),
    ("/posture.v1.SyncService/ListSyncRuns", Viewer),
    ("/posture.v1.SyncService/WatchSyncRun", Viewer),
    ("/posture.v1.SyncService/CancelSyncRun", Operator),
    ("/posture.v1.InventoryService/ListEntityKinds", Viewer),
    ("/posture.v1.InventoryService/ListObjects", Viewer),
    ("/posture.v1.InventoryService/GetObject", Viewer),
    ("/posture.v1.InventoryService/ListObjectVersions", Viewer),
    ("/posture.v1.InventoryService/GetObjectVersion", Viewer),
    ("/posture.v1.AuditService/SearchAuditEvents", Viewer),
    ("/posture.v1.AuditService/ListAuditStreams", Viewer),
    ("/posture.v1.ScheduleService/GetSchedule", Viewer),
    ("/posture.v1.ScheduleService/ListSchedules", Viewer),
    ("/posture.v1.ScheduleService/UpdateSchedule", Operator),
    ("/posture.v1.AssessmentService/ListControls", Viewer),
    ("/posture.v1.AssessmentService/StartAssessment", Operator),
    ("/posture.v1.AssessmentService/GetAssessment", Viewer),
    ("/posture.v1.AssessmentService/GetLatestAssessment", Viewer),
    ("/posture.v1.AssessmentService/ListAssessments", Viewer),
    ("/posture.v1.AssessmentService/ListFindings", Viewer),
    ("/posture.v1.AssessmentService/GetAssessmentSettings", Viewer),
    ("/posture.v1.AssessmentService/UpdateAssessmentSettings", Admin),
    ("/posture.v1.ExceptionService/CreateException", Operator),
    ("/posture.v1.ExceptionService/ListExceptions", Viewer),
    ("/posture.v1.ExceptionService/DeleteException", Operator),
    ("/posture.v1.DriftService/CreateBaseline", Operator),
    ("/posture.v1.DriftService/GetBaseline", Viewer),
    ("/posture.v1.DriftService/ListBaselines", Viewer),
    ("/posture.v1.DriftService/ApplyBaseline", Operator),
    ("/posture.v1.DriftService/DeleteBaseline", Operator),
    ("/posture.v1.DriftService/ListDrift", Viewer),
    ("/posture.v1.DriftService/GetDrift", Viewer),
    ("/posture.v1.DriftService/UpdateDriftState", Operator),
    ("/posture.v1.ScoreService/ListSecureScores", Viewer),
    ("/posture.v1.ScoreService/ListExposureScores", Viewer),
    ("/posture.v1.EvidenceService/ExportEvidenceBundle", Viewer),
    ("/posture.v1.EvidenceService/GetEvidenceManifest", Viewer),
    ("/posture.v1.EvidenceService/ListSigningKeys", Viewer),
    ("/posture.v1.OverviewService/GetTenantOverview", Viewer),
    ("/posture.v1.OverviewService/ListTenantOverviews", Viewer),
    ("/posture.v1.ApiKeyService/CreateApiKey", Admin),
    ("/posture.v1.ApiKeyService/ListApiKeys", Admin),
    ("/posture.v1.ApiKeyService/RevokeApiKey", Admin),
    ("/posture.v1.ActivityService/ListActivity", Viewer),
    ("/posture.v1.NotificationService/CreateSubscription", Admin),
    ("/posture.v1.NotificationService/ListSubscriptions", Admin),
    ("/posture.v1.NotificationService/DeleteSubscription", Admin),
    ("/posture.v1.NotificationService/TestSubscription", Admin),
    ("/posture.v1.NotificationService/ListDeliveries", Admin),
];

/// The least role `path` needs; `None` for a method nobody may call.
pub fn required_role(path: &str) -> Option<AccessRole> {
    RPC_ROLES
        .iter()
        .find(|(known, _)| *known == path)
        .map(|(_, role)| *role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_internal_methods_need_a_role_nobody_has() {
        assert_eq!(
            required_role("/posture.internal.v1.VaultService/GetConnectionSecret"),
            None
        );
        assert_eq!(required_role("/posture.v1.SyncService/Nope"), None);
        assert_eq!(required_role("/posture.v1.SyncService/StartSync"), Some(Operator));
    }
}
