//! Security signals counted in the inventory an assessment judges: what the tenant overview
//! shows beside the scores. Counted from the same collections the controls read, so the overview
//! and the findings never disagree about the data they rest on.

use serde_json::Value;

use super::store::Signals;
use crate::document::{Collection, CollectionKind};

/// Alert severities counted as high.
const HIGH: [&str; 2] = ["high", "critical"];
/// Device compliance states that are not compliant (as control `posture.devices.noncompliant`).
const NOT_COMPLIANT: [&str; 3] = ["noncompliant", "conflict", "error"];

fn field<'a>(item: &'a Value, name: &str) -> &'a str {
    item.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts each signal whose collection was read.
pub fn count_signals(collections: &[(CollectionKind, Collection)]) -> Signals {
    let read = |kind: CollectionKind| {
        collections
            .iter()
            .find(|(k, c)| *k == kind && c.is_ok())
            .map(|(_, c)| c.items.as_slice())
    };
    let mut signals = Signals::default();
    if let Some(alerts) = read(CollectionKind::SecurityAlerts) {
        signals.open_high_alerts = Some(count(
            alerts
                .iter()
                .filter(|a| HIGH.contains(&field(a, "severity").to_ascii_lowercase().as_str()))
                .filter(|a| !field(a, "status").eq_ignore_ascii_case("resolved"))
                .count(),
        ));
    }
    if let Some(devices) = read(CollectionKind::ManagedDevices) {
        signals.managed_devices = Some(count(devices.len()));
        signals.noncompliant_devices = Some(count(
            devices
                .iter()
                .filter(|d| NOT_COMPLIANT.contains(&field(d, "complianceState")))
                .count(),
        ));
    }
    if let Some(vulnerabilities) = read(CollectionKind::DefenderVulnerabilities) {
        let critical: std::collections::HashSet<&str> = vulnerabilities
            .iter()
            .filter(|v| field(v, "severity").eq_ignore_ascii_case("critical"))
            .map(|v| field(v, "cveId"))
            .filter(|cve| !cve.is_empty())
            .collect();
        signals.critical_vulnerabilities = Some(count(critical.len()));
    }
    signals
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn open_high_alerts_and_noncompliant_devices_are_counted_and_unread_kinds_stay_unknown() {
        let alerts = Collection::ok(vec![
            json!({"severity": "high", "status": "new"}),
            json!({"severity": "High", "status": "inProgress"}),
            json!({"severity": "high", "status": "resolved"}),
            json!({"severity": "medium", "status": "new"}),
        ]);
        let devices = Collection::ok(vec![
            json!({"complianceState": "compliant"}),
            json!({"complianceState": "noncompliant"}),
            json!({"complianceState": "error"}),
            json!({"complianceState": "inGracePeriod"}),
        ]);
        let vulnerabilities = Collection::ok(vec![
            json!({"cveId": "CVE-2024-1", "severity": "Critical", "machineId": "m1"}),
            json!({"cveId": "CVE-2024-1", "severity": "Critical", "machineId": "m2"}),
            json!({"cveId": "CVE-2024-2", "severity": "High", "machineId": "m1"}),
            json!({"cveId": "CVE-2024-3", "severity": "Critical", "machineId": "m3"}),
        ]);
        let signals = count_signals(&[
            (CollectionKind::SecurityAlerts, alerts),
            (CollectionKind::ManagedDevices, devices),
            (CollectionKind::DefenderVulnerabilities, vulnerabilities),
        ]);
        assert_eq!(signals.open_high_alerts, Some(2));
        assert_eq!(signals.managed_devices, Some(4));
        assert_eq!(signals.noncompliant_devices, Some(2));
        assert_eq!(
            signals.critical_vulnerabilities,
            Some(2),
            "distinct critical CVEs"
        );

        let unread = count_signals(&[(CollectionKind::ManagedDevices, Collection::missing("403"))]);
        assert_eq!(unread, Signals::default());
    }
}
