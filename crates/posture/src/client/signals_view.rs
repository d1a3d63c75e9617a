//! `posture inventory list` for the security-signal kinds: the columns a person triages by, worst
//! first (noncompliant and stale devices, open high alerts, critical vulnerabilities with public
//! exploits, risky machines), instead of ids and versions.

use std::cmp::Reverse;

use posture_proto::v1::InventoryObject;
use serde_json::Value;

use super::output::Table;
use super::progress::shorten;

/// The kinds this view knows.
pub const KINDS: [&str; 5] = [
    "managed_devices",
    "security_alerts",
    "defender_alerts",
    "defender_machines",
    "defender_vulnerabilities",
];

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The date part of an ISO 8601 instant (`2026-05-31T08:00:00Z` → `2026-05-31`).
fn date(v: &Value, field: &str) -> String {
    text(v, field).chars().take(10).collect()
}

fn severity_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "informational" => 1,
        _ => 0,
    }
}

fn is_open(status: &str) -> bool {
    !status.eq_ignore_ascii_case("resolved")
}

/// The first `limit` rows of the table for `kind`, worst first, or `None` for kinds without a
/// dedicated view.
pub fn table(kind: &str, objects: &[InventoryObject], limit: usize) -> Option<String> {
    let mut items: Vec<Value> = objects
        .iter()
        .filter(|o| !o.removed)
        .filter_map(|o| serde_json::from_str(&o.content_json).ok())
        .collect();
    let table = match kind {
        "managed_devices" => {
            // Not compliant first, then the longest without a check-in.
            items.sort_by_key(|d| {
                let state = text(d, "complianceState");
                (
                    !matches!(state, "noncompliant" | "conflict" | "error"),
                    text(d, "lastSyncDateTime").to_owned(),
                )
            });
            let mut t = Table::new(vec!["DEVICE", "OS", "COMPLIANCE", "LAST SYNC", "USER"]);
            for d in items.iter().take(limit) {
                t.row(vec![
                    shorten(text(d, "deviceName"), 24),
                    shorten(
                        &format!("{} {}", text(d, "operatingSystem"), text(d, "osVersion")),
                        26,
                    ),
                    text(d, "complianceState").to_owned(),
                    date(d, "lastSyncDateTime"),
                    shorten(text(d, "userPrincipalName"), 34),
                ]);
            }
            t
        }
        "security_alerts" | "defender_alerts" => {
            let (created, source) = if kind == "security_alerts" {
                ("createdDateTime", "serviceSource")
            } else {
                ("alertCreationTime", "detectionSource")
            };
            // Open before resolved, most severe first, newest first.
            items.sort_by_key(|a| {
                (
                    !is_open(text(a, "status")),
                    Reverse(severity_rank(text(a, "severity"))),
                    Reverse(text(a, created).to_owned()),
                )
            });
            let mut t = Table::new(vec!["SEVERITY", "STATUS", "CREATED", "SOURCE", "TITLE"]);
            for a in items.iter().take(limit) {
                t.row(vec![
                    text(a, "severity").to_owned(),
                    text(a, "status").to_owned(),
                    date(a, created),
                    shorten(text(a, source), 24),
                    shorten(text(a, "title"), 56),
                ]);
            }
            t
        }
        "defender_machines" => {
            items.sort_by_key(|m| {
                (
                    Reverse(severity_rank(text(m, "riskScore"))),
                    Reverse(severity_rank(text(m, "exposureLevel"))),
                    text(m, "computerDnsName").to_owned(),
                )
            });
            let mut t = Table::new(vec!["MACHINE", "OS", "HEALTH", "RISK", "EXPOSURE", "LAST SEEN"]);
            for m in items.iter().take(limit) {
                t.row(vec![
                    shorten(text(m, "computerDnsName"), 40),
                    shorten(&format!("{} {}", text(m, "osPlatform"), text(m, "version")), 24),
                    text(m, "healthStatus").to_owned(),
                    text(m, "riskScore").to_owned(),
                    text(m, "exposureLevel").to_owned(),
                    date(m, "lastSeen"),
                ]);
            }
            t
        }
        "defender_vulnerabilities" => {
            // Most severe first; among them, those with a public exploit.
            items.sort_by_key(|v| {
                (
                    Reverse(severity_rank(text(v, "severity"))),
                    !v.get("publicExploit").and_then(Value::as_bool).unwrap_or(false),
                    text(v, "cveId").to_owned(),
                )
            });
            let mut t = Table::new(vec![
                "SEVERITY",
                "CVE",
                "EXPLOIT",
                "FIXING KB",
                "PRODUCT",
                "MACHINE",
            ]);
            for v in items.iter().take(limit) {
                let exploit = match v.get("publicExploit").and_then(Value::as_bool) {
                    Some(true) => "public",
                    Some(false) => "no",
                    None => "?",
                };
                t.row(vec![
                    text(v, "severity").to_owned(),
                    text(v, "cveId").to_owned(),
                    exploit.to_owned(),
                    text(v, "fixingKbId").to_owned(),
                    shorten(
                        &format!("{} {}", text(v, "productName"), text(v, "productVersion")),
                        30,
                    ),
                    shorten(text(v, "machineId"), 40),
                ]);
            }
            t
        }
        _ => return None,
    };
    Some(table.render())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(content: Value) -> InventoryObject {
        InventoryObject {
            content_json: content.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn devices_list_the_noncompliant_first_and_fit_120_columns() {
        let objects = [
            object(
                json!({"deviceName": "OK-1", "operatingSystem": "Windows", "osVersion": "10.0.22631.4460",
                "complianceState": "compliant", "lastSyncDateTime": "2026-05-01T00:00:00Z", "userPrincipalName": "ada@contoso.com"}),
            ),
            object(
                json!({"deviceName": "BAD-1", "operatingSystem": "Windows", "osVersion": "10.0.19045.1",
                "complianceState": "noncompliant", "lastSyncDateTime": "2026-05-30T00:00:00Z",
                "userPrincipalName": "someone.with.a.very.long.name@a-very-long-customer-domain.onmicrosoft.com"}),
            ),
        ];
        let text = table("managed_devices", &objects, 100).expect("a view");
        let rows: Vec<&str> = text.lines().collect();
        assert!(rows[1].starts_with("BAD-1"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 120), "{text}");
    }

    #[test]
    fn open_severe_alerts_and_exploited_critical_cves_come_first() {
        let alerts = [
            object(
                json!({"severity": "low", "status": "new", "createdDateTime": "2026-05-30T00:00:00Z", "title": "low"}),
            ),
            object(
                json!({"severity": "high", "status": "resolved", "createdDateTime": "2026-05-31T00:00:00Z", "title": "closed"}),
            ),
            object(
                json!({"severity": "high", "status": "inProgress", "createdDateTime": "2026-05-20T00:00:00Z", "title": "open high"}),
            ),
        ];
        let text = table("security_alerts", &alerts, 100).expect("a view");
        assert!(
            text.lines().nth(1).is_some_and(|l| l.contains("open high")),
            "{text}"
        );
        let vulns = [
            object(json!({"severity": "High", "cveId": "CVE-1", "publicExploit": true})),
            object(json!({"severity": "Critical", "cveId": "CVE-2", "publicExploit": false})),
            object(json!({"severity": "Critical", "cveId": "CVE-3", "publicExploit": true})),
        ];
        let text = table("defender_vulnerabilities", &vulns, 2).expect("a view");
        let order: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap_or(""))
            .collect();
        assert_eq!(order, ["CVE-3", "CVE-2"], "the worst two of all three: {text}");
        assert!(table("users", &vulns, 10).is_none());
    }
}
