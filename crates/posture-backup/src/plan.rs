//! A restore plan, as a dry run: the Graph calls that would bring a tenant's configuration back to
//! a backup's state. Posture holds read permissions only, so it never sends them; an administrator
//! reviews them and applies them with their own tooling.
//!
//! Per writable kind: a changed object is PATCHed with only the changed writable top-level
//! properties, an object removed since the backup is POSTed again without read-only properties
//! (it gets a new id), an object added since is DELETEd. Kinds Graph cannot write this way
//! (Exchange, Defender, role assignments and the like) become manual steps.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diff::{ChangeKind, diff};
use crate::format::{BackupObject, Snapshot};

/// Where Graph writes a kind.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    /// A collection: items at `<path>/<id>`, created by POST to `<path>`.
    Collection(&'static str),
    /// A single object per tenant at `<path>`; only updated, never created or deleted.
    Singleton(&'static str),
}

/// A writable configuration kind: its endpoint and the properties Graph sets itself, besides the
/// volatile ones every kind has (ids, timestamps, `@odata.*` bookkeeping).
struct Writable {
    kind: &'static str,
    endpoint: Endpoint,
    read_only: &'static [&'static str],
}

const GRAPH: &str = "https://graph.microsoft.com/v1.0";

/// The kinds a restore plan writes, from Microsoft Graph v1.0's reference (each kind's update,
/// create and delete operations under application permissions).
const WRITABLE: &[Writable] = &[
    Writable {
        kind: "conditional_access_policies",
        endpoint: Endpoint::Collection("/identity/conditionalAccess/policies"),
        read_only: &["templateId"],
    },
    Writable {
        kind: "named_locations",
        endpoint: Endpoint::Collection("/identity/conditionalAccess/namedLocations"),
        read_only: &[],
    },
    Writable {
        kind: "activity_based_timeout_policies",
        endpoint: Endpoint::Collection("/policies/activityBasedTimeoutPolicies"),
        read_only: &[],
    },
    Writable {
        kind: "app_management_policies",
        endpoint: Endpoint::Collection("/policies/appManagementPolicies"),
        read_only: &[],
    },
    Writable {
        kind: "device_compliance_policies",
        endpoint: Endpoint::Collection("/deviceManagement/deviceCompliancePolicies"),
        read_only: &["version"],
    },
    Writable {
        kind: "directory_settings",
        endpoint: Endpoint::Collection("/groupSettings"),
        read_only: &[],
    },
    Writable {
        kind: "applications",
        endpoint: Endpoint::Collection("/applications"),
        read_only: &[
            "appId",
            "publisherDomain",
            "passwordCredentials",
            "keyCredentials",
        ],
    },
    Writable {
        kind: "authorization_policy",
        endpoint: Endpoint::Singleton("/policies/authorizationPolicy"),
        read_only: &[],
    },
    Writable {
        kind: "authentication_methods_policy",
        endpoint: Endpoint::Singleton("/policies/authenticationMethodsPolicy"),
        read_only: &[],
    },
    Writable {
        kind: "cross_tenant_access_default",
        endpoint: Endpoint::Singleton("/policies/crossTenantAccessPolicy/default"),
        read_only: &["isServiceDefault"],
    },
    Writable {
        kind: "default_app_management_policy",
        endpoint: Endpoint::Singleton("/policies/defaultAppManagementPolicy"),
        read_only: &[],
    },
];

/// One Graph request of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphCall {
    /// `PATCH`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The absolute Graph URL.
    pub url: String,
    /// The JSON body; `None` for DELETE.
    pub body: Option<Value>,
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    /// Why the call is there, e.g. `changed since the backup`.
    pub reason: &'static str,
}

/// A difference the plan cannot express as a Graph call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManualStep {
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    /// How the object differs from the backup now: `changed`, `removed` (in the backup, gone
    /// now) or `added` (new since the backup).
    pub change: &'static str,
    /// Why there is no call.
    pub reason: String,
}

/// The calls, in (kind, id) order, and the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestorePlan {
    pub calls: Vec<GraphCall>,
    pub manual: Vec<ManualStep>,
}

/// Whether a restore plan can write `kind` through Graph.
pub fn writable(kind: &str) -> bool {
    WRITABLE.iter().any(|w| w.kind == kind)
}

/// The plan from `current` back to `backup`.
pub fn plan(backup: &Snapshot, current: &Snapshot) -> RestorePlan {
    let mut calls = Vec::new();
    let mut manual = Vec::new();
    for change in diff(current, backup) {
        let key = (change.entity_kind.clone(), change.object_id.clone());
        let target = backup.objects.get(&key);
        let now = current.objects.get(&key);
        // Seen from the tenant now: an object the backup has and the tenant lacks was removed.
        let label = match change.change {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "removed",
            ChangeKind::Removed => "added",
        };
        let step = |reason: String| ManualStep {
            entity_kind: change.entity_kind.clone(),
            object_id: change.object_id.clone(),
            display_name: change.display_name.clone(),
            change: label,
            reason,
        };
        let Some(spec) = WRITABLE.iter().find(|w| w.kind == change.entity_kind) else {
            manual.push(step(format!(
                "{} cannot be written through Microsoft Graph; restore it in its admin center",
                change.entity_kind
            )));
            continue;
        };
        let call = |method, url, body, reason| GraphCall {
            method,
            url,
            body,
            entity_kind: change.entity_kind.clone(),
            object_id: change.object_id.clone(),
            display_name: change.display_name.clone(),
            reason,
        };
        match (change.change, spec.endpoint, target, now) {
            (ChangeKind::Changed, endpoint, Some(target), Some(now)) => {
                let url = match endpoint {
                    Endpoint::Collection(path) => {
                        format!("{GRAPH}{path}/{}", encode_segment(&target.object_id))
                    }
                    Endpoint::Singleton(path) => format!("{GRAPH}{path}"),
                };
                let body = changed_properties(spec, target, now);
                if body.is_empty() {
                    manual.push(step("only read-only properties differ".into()));
                } else {
                    calls.push(call(
                        "PATCH",
                        url,
                        Some(Value::Object(body)),
                        "changed since the backup",
                    ));
                }
            }
            (ChangeKind::Added, Endpoint::Collection(path), Some(target), None) => {
                let body = writable_properties(spec, &target.content);
                calls.push(call(
                    "POST",
                    format!("{GRAPH}{path}"),
                    Some(Value::Object(body)),
                    "removed since the backup; re-created with a new id",
                ));
            }
            (ChangeKind::Removed, Endpoint::Collection(path), None, Some(now)) => {
                calls.push(call(
                    "DELETE",
                    format!("{GRAPH}{path}/{}", encode_segment(&now.object_id)),
                    None,
                    "added since the backup",
                ));
            }
            _ => manual.push(step(format!(
                "{} is a single object per tenant: Graph updates it but does not create or delete it",
                change.entity_kind
            ))),
        }
    }
    RestorePlan { calls, manual }
}

/// Whether a top-level property is one Graph sets itself.
fn read_only(spec: &Writable, name: &str) -> bool {
    let pointer = format!("/{name}");
    posture_kit::config_fields::VOLATILE.contains(&pointer.as_str())
        || posture_kit::config_fields::volatile_paths(spec.kind).contains(&pointer.as_str())
        || spec.read_only.contains(&name)
        || (name.contains("@odata.") && name != "@odata.type")
}

/// The object's writable properties: the body that re-creates it.
fn writable_properties(spec: &Writable, content: &Value) -> Map<String, Value> {
    match content {
        Value::Object(map) => map
            .iter()
            .filter(|(name, _)| !read_only(spec, name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        _ => Map::new(),
    }
}

/// The writable top-level properties whose value differs, with the backup's value (`null` for
/// one the backup does not have); `@odata.type` comes along, since Graph needs it to update a
/// derived type such as an IP named location.
fn changed_properties(spec: &Writable, target: &BackupObject, now: &BackupObject) -> Map<String, Value> {
    let wanted = writable_properties(spec, &target.content);
    let present = writable_properties(spec, &now.content);
    let mut body = Map::new();
    for (name, value) in &wanted {
        if present.get(name) != Some(value) && name != "@odata.type" {
            body.insert(name.clone(), value.clone());
        }
    }
    for name in present.keys() {
        if !wanted.contains_key(name) && name != "@odata.type" {
            body.insert(name.clone(), Value::Null);
        }
    }
    if !body.is_empty()
        && let Some(odata_type) = wanted.get("@odata.type")
    {
        body.insert("@odata.type".into(), odata_type.clone());
    }
    body
}

/// An id as one URL path segment: unreserved characters as they are, every other byte `%XX`.
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    fn object(kind: &str, id: &str, content: Value) -> BackupObject {
        BackupObject {
            entity_kind: kind.into(),
            object_id: id.into(),
            display_name: id.into(),
            version: 1,
            content_hash: String::new(),
            observed_at: Utc::now(),
            content,
        }
    }

    fn snapshot(objects: Vec<BackupObject>) -> Snapshot {
        let mut s = Snapshot::new(
            "t",
            Utc::now(),
            [
                "conditional_access_policies".to_owned(),
                "exo_transport_rules".to_owned(),
            ],
        );
        for o in objects {
            s.insert(o);
        }
        s
    }

    const CA: &str = "conditional_access_policies";

    #[test]
    fn a_changed_policy_is_patched_with_only_its_changed_properties() {
        let backup = snapshot(vec![object(
            CA,
            "p1",
            json!({"id": "p1", "displayName": "MFA", "state": "enabled", "modifiedDateTime": "1"}),
        )]);
        let current = snapshot(vec![object(
            CA,
            "p1",
            json!({"id": "p1", "displayName": "MFA", "state": "disabled", "modifiedDateTime": "2"}),
        )]);
        let plan = plan(&backup, &current);
        assert_eq!(plan.calls.len(), 1, "{plan:#?}");
        assert_eq!(plan.calls[0].method, "PATCH");
        assert_eq!(
            plan.calls[0].url,
            "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies/p1"
        );
        assert_eq!(plan.calls[0].body, Some(json!({"state": "enabled"})));
        assert!(plan.manual.is_empty());
    }

    #[test]
    fn a_removed_policy_is_posted_without_read_only_properties_and_a_new_one_deleted() {
        let backup = snapshot(vec![object(
            CA,
            "old",
            json!({"id": "old", "displayName": "Old", "createdDateTime": "x", "templateId": null, "state": "enabled"}),
        )]);
        let current = snapshot(vec![object(
            CA,
            "new",
            json!({"id": "new", "displayName": "New"}),
        )]);
        let plan = plan(&backup, &current);
        let calls: Vec<_> = plan
            .calls
            .iter()
            .map(|c| (c.method, c.url.as_str(), c.body.clone()))
            .collect();
        assert_eq!(
            calls,
            vec![
                (
                    "DELETE",
                    "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies/new",
                    None
                ),
                (
                    "POST",
                    "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies",
                    Some(json!({"displayName": "Old", "state": "enabled"}))
                ),
            ]
        );
    }

    #[test]
    fn kinds_graph_cannot_write_are_manual_steps() {
        let backup = snapshot(vec![object(
            "exo_transport_rules",
            "r1",
            json!({"Identity": "r1", "State": "Enabled"}),
        )]);
        let current = snapshot(vec![object(
            "exo_transport_rules",
            "r1",
            json!({"Identity": "r1", "State": "Disabled"}),
        )]);
        let plan = plan(&backup, &current);
        assert!(plan.calls.is_empty());
        assert_eq!(plan.manual.len(), 1);
        assert_eq!(plan.manual[0].change, "changed");
    }

    #[test]
    fn a_singleton_is_patched_at_its_own_url() {
        let kind = "authorization_policy";
        let mut backup = snapshot(vec![object(
            kind,
            "authorizationPolicy",
            json!({"allowInvitesFrom": "adminsAndGuestInviters"}),
        )]);
        backup.kinds.insert(kind.into());
        let current = snapshot(vec![object(
            kind,
            "authorizationPolicy",
            json!({"allowInvitesFrom": "everyone"}),
        )]);
        let plan = plan(&backup, &current);
        assert_eq!(
            plan.calls[0].url,
            "https://graph.microsoft.com/v1.0/policies/authorizationPolicy"
        );
        assert_eq!(
            plan.calls[0].body,
            Some(json!({"allowInvitesFrom": "adminsAndGuestInviters"}))
        );
    }
}
