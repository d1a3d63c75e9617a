//! Configuration drift as a pure comparison: a baseline's pinned objects against a tenant's
//! current ones, matched by (kind, display name) because ids differ between tenants, compared
//! without the fields a per-kind list calls volatile or tenant-specific, each difference an RFC
//! 6902 patch. Storage, states and events are the service's (`service::drift`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use posture_kit::config_fields::{comparable, tenant_specific_paths, volatile_paths};

/// How an object differs from the baseline (the API's `DriftKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriftKind {
    /// In both, with different content.
    Changed,
    /// In the baseline, not in the tenant.
    Missing,
    /// In the tenant, of a baselined kind, not in the baseline.
    Added,
}

/// One configuration object as compared: from a baseline's pins or from the tenant's inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigObject {
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    /// The inventory's version number of this content.
    pub version: u64,
    /// The object's JSON as synced (nothing stripped yet).
    pub content: Value,
    /// When the inventory saw the content change; `None` for pinned objects.
    pub changed_at: Option<DateTime<Utc>>,
}

/// A tenant's exception to the baseline applied to it (the API's `BaselineOverride`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub entity_kind: String,
    /// Empty: every object of the kind.
    pub display_name: String,
    /// JSON pointers ignored for the tenant; empty: the objects are not compared at all.
    pub ignored_paths: Vec<String>,
}

impl Override {
    fn covers(&self, kind: &str, key: &str) -> bool {
        self.entity_kind == kind && (self.display_name.is_empty() || match_key(&self.display_name) == key)
    }
}

/// How a comparison treats the tenant.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// The baseline was taken from another tenant: tenant-specific fields are left out too.
    pub cross_tenant: bool,
    pub overrides: Vec<Override>,
}

/// One difference found.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub entity_kind: String,
    /// The stable key both sides were matched by.
    pub match_key: String,
    /// The tenant's object id (the baseline's for MISSING).
    pub object_id: String,
    pub display_name: String,
    pub kind: DriftKind,
    /// RFC 6902 patch from the baseline's content to the tenant's, as a JSON array; `[]` for
    /// MISSING and ADDED.
    pub json_patch: String,
    /// 0 for ADDED.
    pub baseline_version: u64,
    /// 0 for MISSING.
    pub current_version: u64,
    /// What the tenant's compared content is, so a later detection can tell whether the object
    /// changed again (the patch for CHANGED, the content for ADDED, empty for MISSING).
    pub fingerprint: String,
    pub changed_at: Option<DateTime<Utc>>,
    /// Who made the change, when an audit log says so; `compare` leaves it empty.
    pub changed_by: String,
}

/// The key an object is matched by across tenants: its display name, trimmed and lower-cased,
/// or its id when it has none (tenant-wide singletons).
pub fn match_key(display_name_or_id: &str) -> String {
    display_name_or_id.trim().to_lowercase()
}

/// The display name Graph gives an object (`displayName`, else `name`), or empty.
pub fn display_name_of(content: &Value) -> String {
    ["displayName", "name"]
        .iter()
        .find_map(|field| content.get(field).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

/// Objects keyed by (kind, match key). Two objects of a kind with the same name get `#2`, `#3`
/// in object id order, so both sides of a comparison number them alike.
pub fn keyed(objects: &[ConfigObject]) -> BTreeMap<(String, String), &ConfigObject> {
    let mut sorted: Vec<&ConfigObject> = objects.iter().collect();
    sorted.sort_by(|a, b| (&a.entity_kind, &a.object_id).cmp(&(&b.entity_kind, &b.object_id)));
    let mut out = BTreeMap::new();
    for object in sorted {
        let base = if object.display_name.trim().is_empty() {
            match_key(&object.object_id)
        } else {
            match_key(&object.display_name)
        };
        let mut key = base.clone();
        let mut n = 1;
        while out.contains_key(&(object.entity_kind.clone(), key.clone())) {
            n += 1;
            key = format!("{base} #{n}");
        }
        out.insert((object.entity_kind.clone(), key), object);
    }
    out
}

/// The differences between `pinned` (a baseline) and `current` (a tenant's objects of the
/// baseline's kinds), ordered by kind and key.
pub fn compare(pinned: &[ConfigObject], current: &[ConfigObject], how: &Comparison) -> Vec<Difference> {
    let pins = keyed(pinned);
    let now = keyed(current);
    let ignored = |kind: &str, key: &str| -> Option<Vec<String>> {
        let mut paths = Vec::new();
        for o in how.overrides.iter().filter(|o| o.covers(kind, key)) {
            if o.ignored_paths.is_empty() {
                return None;
            }
            paths.extend(o.ignored_paths.iter().cloned());
        }
        Some(paths)
    };
    let mut out = Vec::new();
    for ((kind, key), pin) in &pins {
        let Some(extra) = ignored(kind, key) else { continue };
        let before = comparable(kind, &pin.content, how.cross_tenant, &extra);
        match now.get(&(kind.clone(), key.clone())) {
            Some(object) => {
                let after = comparable(kind, &object.content, how.cross_tenant, &extra);
                let patch = json_patch::diff(&before, &after);
                if patch.0.is_empty() {
                    continue;
                }
                let json_patch = serde_json::to_string(&patch).unwrap_or_else(|_| "[]".to_owned());
                out.push(Difference {
                    entity_kind: kind.clone(),
                    match_key: key.clone(),
                    object_id: object.object_id.clone(),
                    display_name: object.display_name.clone(),
                    kind: DriftKind::Changed,
                    fingerprint: json_patch.clone(),
                    json_patch,
                    baseline_version: pin.version,
                    current_version: object.version,
                    changed_at: object.changed_at,
                    changed_by: String::new(),
                });
            }
            None => out.push(Difference {
                entity_kind: kind.clone(),
                match_key: key.clone(),
                object_id: pin.object_id.clone(),
                display_name: pin.display_name.clone(),
                kind: DriftKind::Missing,
                json_patch: "[]".to_owned(),
                baseline_version: pin.version,
                current_version: 0,
                fingerprint: String::new(),
                changed_at: None,
                changed_by: String::new(),
            }),
        }
    }
    for ((kind, key), object) in &now {
        if pins.contains_key(&(kind.clone(), key.clone())) {
            continue;
        }
        let Some(extra) = ignored(kind, key) else { continue };
        let after = comparable(kind, &object.content, how.cross_tenant, &extra);
        out.push(Difference {
            entity_kind: kind.clone(),
            match_key: key.clone(),
            object_id: object.object_id.clone(),
            display_name: object.display_name.clone(),
            kind: DriftKind::Added,
            json_patch: "[]".to_owned(),
            baseline_version: 0,
            current_version: object.version,
            fingerprint: after.to_string(),
            changed_at: object.changed_at,
            changed_by: String::new(),
        });
    }
    out.sort_by(|a, b| (&a.entity_kind, &a.match_key).cmp(&(&b.entity_kind, &b.match_key)));
    out
}

#[cfg(test)]
mod tests;
