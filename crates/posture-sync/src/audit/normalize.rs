//! Each source's records turned into the fields every audit event has: when, what, who, which
//! workload, the outcome and the client address. The record itself is kept as it came.

use chrono::{DateTime, NaiveDateTime, Utc};
use posture_kit::ids::TenantId;
use serde_json::Value;

use crate::store::AuditEvent;

/// `DirectoryAudits` and `SignIns` are Entra ID's; Management Activity names it this way too.
const ENTRA_WORKLOAD: &str = "AzureActiveDirectory";

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// ISO 8601 with or without the `Z` (Management Activity's `CreationTime` has none and is UTC).
fn instant(value: &Value, field: &str) -> Option<DateTime<Utc>> {
    let s = value.get(field)?.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// A Management Activity record (PascalCase) of `content_type`; `None` without an `Id` or a
/// readable `CreationTime`.
pub fn activity_record(
    tenant: TenantId,
    content_type: &str,
    record: &Value,
    raw: &str,
) -> Option<AuditEvent> {
    let record_id = record.get("Id")?.as_str()?.to_owned();
    Some(AuditEvent {
        tenant_id: tenant,
        source: content_type.to_owned(),
        record_id,
        occurred_at: instant(record, "CreationTime")?,
        operation: text(record, "/Operation"),
        user: text(record, "/UserId"),
        workload: text(record, "/Workload"),
        result: text(record, "/ResultStatus"),
        client_ip: text(record, "/ClientIP"),
        targets: [text(record, "/ObjectId")]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect(),
        raw: raw.to_owned(),
    })
}

/// An Entra directory audit (`auditLogs/directoryAudits`).
pub fn directory_audit(tenant: TenantId, record: &Value, raw: &str) -> Option<AuditEvent> {
    let user = [
        "/initiatedBy/user/userPrincipalName",
        "/initiatedBy/app/displayName",
        "/initiatedBy/app/appId",
    ]
    .iter()
    .map(|p| text(record, p))
    .find(|s| !s.is_empty())
    .unwrap_or_default();
    Some(AuditEvent {
        tenant_id: tenant,
        source: super::DIRECTORY_AUDITS.to_owned(),
        record_id: record.get("id")?.as_str()?.to_owned(),
        occurred_at: instant(record, "activityDateTime")?,
        operation: text(record, "/activityDisplayName"),
        user,
        workload: ENTRA_WORKLOAD.to_owned(),
        result: text(record, "/result"),
        client_ip: text(record, "/initiatedBy/user/ipAddress"),
        targets: record
            .get("targetResources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("id")?.as_str())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect(),
        raw: raw.to_owned(),
    })
}

/// An Entra sign-in (`auditLogs/signIns`) stored under `source`.
pub fn sign_in(tenant: TenantId, source: &str, record: &Value, raw: &str) -> Option<AuditEvent> {
    let service_principal = source == super::SERVICE_PRINCIPAL_SIGN_INS;
    let user = if service_principal {
        ["/servicePrincipalName", "/appDisplayName", "/appId"]
    } else {
        ["/userPrincipalName", "/userId", "/userDisplayName"]
    }
    .iter()
    .map(|p| text(record, p))
    .find(|s| !s.is_empty())
    .unwrap_or_default();
    let result = match record.pointer("/status/errorCode").and_then(Value::as_i64) {
        Some(0) => "success".to_owned(),
        Some(code) => format!("failure ({code})"),
        None => String::new(),
    };
    Some(AuditEvent {
        tenant_id: tenant,
        source: source.to_owned(),
        record_id: record.get("id")?.as_str()?.to_owned(),
        occurred_at: instant(record, "createdDateTime")?,
        operation: if service_principal {
            "Service principal sign-in"
        } else {
            "Sign-in"
        }
        .to_owned(),
        user,
        workload: ENTRA_WORKLOAD.to_owned(),
        result,
        client_ip: text(record, "/ipAddress"),
        targets: Vec::new(),
        raw: raw.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_activity_times_without_a_zone_are_utc() {
        let tenant: TenantId = "11111111-1111-1111-1111-111111111111"
            .parse()
            .expect("a tenant id");
        let record = serde_json::json!({"Id": "r1", "CreationTime": "2026-06-01T10:00:05", "Operation": "FileAccessed", "UserId": "a@b.c", "Workload": "SharePoint"});
        let event = activity_record(tenant, "Audit.SharePoint", &record, "{}").expect("a record");
        assert_eq!(event.occurred_at.to_rfc3339(), "2026-06-01T10:00:05+00:00");
        assert_eq!(event.workload, "SharePoint");
        assert!(activity_record(tenant, "Audit.SharePoint", &serde_json::json!({"Id": "x"}), "{}").is_none());
    }
}
