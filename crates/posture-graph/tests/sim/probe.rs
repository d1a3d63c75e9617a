//! The permission probe behind a connection test.

use posture_graph::{EntityKind, HealthClass, Licence, PermissionState, probe_permissions};
use posture_graph_sim::{Licences, TenantSpec};

use crate::common::rig;

const SYNCED: &[EntityKind] = &[
    EntityKind::Users,
    EntityKind::Groups,
    EntityKind::ConditionalAccessPolicies,
    EntityKind::DirectoryAudits,
    EntityKind::SecureScores,
    EntityKind::AlertsV2,
    EntityKind::DefenderMachines,
    EntityKind::ActivityContent,
];

#[tokio::test]
async fn probe_names_missing_permissions() {
    let granted = [
        "User.Read.All",
        "Policy.Read.All",
        "SecurityEvents.Read.All",
        "SecurityAlert.Read.All",
        "mde:Machine.Read.All",
        "ActivityFeed.Read",
    ];
    let spec = TenantSpec {
        permissions: Some(granted.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    let r = rig(spec).await;
    let report = probe_permissions(&r.client(), SYNCED).await;
    let mut missing = report.missing();
    missing.sort();
    assert_eq!(missing, vec!["AuditLog.Read.All", "GroupMember.Read.All"]);
    let mut ok = report.granted();
    ok.sort();
    assert_eq!(
        ok,
        vec![
            "ActivityFeed.Read",
            "Machine.Read.All",
            "Policy.Read.All",
            "SecurityAlert.Read.All",
            "SecurityEvents.Read.All",
            "User.Read.All"
        ]
    );
    assert_eq!(report.health(), Some(HealthClass::PermissionError));
    assert!(
        report
            .checks
            .iter()
            .filter(|c| c.state == PermissionState::Granted)
            .all(|c| c.probed_with.is_some())
    );
}

#[tokio::test]
async fn probe_without_consent_reports_everything_missing_from_the_roles_claim() {
    let r = rig(TenantSpec {
        permissions: Some(vec![]),
        ..Default::default()
    })
    .await;
    let report = probe_permissions(&r.client(), SYNCED).await;
    assert!(
        report.token_failures.is_empty(),
        "tokens are issued even without consent"
    );
    assert_eq!(report.missing().len(), report.checks.len());
    assert!(
        r.api_log().is_empty(),
        "the roles claim alone proves the permissions are missing"
    );
}

#[tokio::test]
async fn probe_separates_licence_gates_from_permissions() {
    let r = rig(TenantSpec {
        licences: Licences {
            p1: true,
            ..Licences::none()
        },
        ..Default::default()
    })
    .await;
    let kinds = [
        EntityKind::Users,
        EntityKind::RoleEligibilityInstances,
        EntityKind::ManagedDevices,
        EntityKind::DefenderMachines,
    ];
    let report = probe_permissions(&r.client(), &kinds).await;
    assert!(report.missing().is_empty(), "{:?}", report.checks);
    assert!(report.token_failures.is_empty(), "{:?}", report.token_failures);
    let mut gated = report.licence_gated();
    gated.sort();
    assert_eq!(
        gated,
        vec![
            ("DeviceManagementManagedDevices.Read.All", Licence::Intune),
            ("Machine.Read.All", Licence::DefenderForEndpointP2),
            ("RoleEligibilitySchedule.Read.Directory", Licence::EntraIdP2),
        ]
    );
    assert_eq!(report.granted(), vec!["User.Read.All"]);
    assert_eq!(report.health(), None);
}
