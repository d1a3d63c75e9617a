//! What changed between two snapshots of a tenant: objects added, removed and changed, each
//! change an RFC 6902 patch from the older content to the newer. Volatile fields (ids,
//! timestamps, Graph's bookkeeping) are left out by the same per-kind list drift uses, so a
//! re-read that only moved a timestamp is no change.

use posture_kit::config_fields::comparable;
use serde::Serialize;
use serde_json::Value;

use crate::format::{BackupObject, Snapshot};

/// How an object differs between the two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the later snapshot.
    Added,
    /// Only in the earlier snapshot.
    Removed,
    /// In both, with different content.
    Changed,
}

/// One object's difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    pub change: ChangeKind,
    /// The object's version in the earlier snapshot, if it is there.
    pub from_version: Option<u64>,
    /// The object's version in the later snapshot, if it is there.
    pub to_version: Option<u64>,
    /// RFC 6902 patch from the earlier content to the later (without volatile fields); empty for
    /// added and removed objects.
    pub json_patch: json_patch::Patch,
}

/// The content as compared: without the kind's volatile fields.
pub fn comparable_content(object: &BackupObject) -> Value {
    comparable(&object.entity_kind, &object.content, false, &[])
}

/// The differences from `from` to `to`, in (kind, id) order. Only kinds both snapshots cover are
/// compared: an object of a kind one of them did not read is not "added" or "removed".
pub fn diff(from: &Snapshot, to: &Snapshot) -> Vec<Change> {
    let mut changes = Vec::new();
    let covered = |kind: &str| from.kinds.contains(kind) && to.kinds.contains(kind);
    for ((kind, id), before) in &from.objects {
        if !covered(kind) {
            continue;
        }
        match to.objects.get(&(kind.clone(), id.clone())) {
            None => changes.push(change(
                before,
                ChangeKind::Removed,
                Some(before),
                None,
                Vec::new(),
            )),
            Some(after) => {
                let patch = json_patch::diff(&comparable_content(before), &comparable_content(after));
                if !patch.0.is_empty() {
                    changes.push(change(
                        after,
                        ChangeKind::Changed,
                        Some(before),
                        Some(after),
                        patch.0,
                    ));
                }
            }
        }
    }
    for ((kind, id), after) in &to.objects {
        if covered(kind) && !from.objects.contains_key(&(kind.clone(), id.clone())) {
            changes.push(change(after, ChangeKind::Added, None, Some(after), Vec::new()));
        }
    }
    changes.sort_by(|a, b| (&a.entity_kind, &a.object_id).cmp(&(&b.entity_kind, &b.object_id)));
    changes
}

fn change(
    named: &BackupObject,
    kind: ChangeKind,
    before: Option<&BackupObject>,
    after: Option<&BackupObject>,
    operations: Vec<json_patch::PatchOperation>,
) -> Change {
    Change {
        entity_kind: named.entity_kind.clone(),
        object_id: named.object_id.clone(),
        display_name: named.display_name.clone(),
        change: kind,
        from_version: before.map(|o| o.version),
        to_version: after.map(|o| o.version),
        json_patch: json_patch::Patch(operations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    const CA: &str = "conditional_access_policies";

    fn object(id: &str, version: u64, content: Value) -> BackupObject {
        BackupObject {
            entity_kind: CA.into(),
            object_id: id.into(),
            display_name: format!("policy {id}"),
            version,
            content_hash: String::new(),
            observed_at: Utc::now(),
            content,
        }
    }

    fn snapshot(objects: Vec<BackupObject>) -> Snapshot {
        let mut s = Snapshot::new("t", Utc::now(), [CA.to_owned()]);
        for o in objects {
            s.insert(o);
        }
        s
    }

    #[test]
    fn a_changed_removed_and_added_object_are_each_one_change() {
        let from = snapshot(vec![
            object(
                "a",
                1,
                json!({"id": "a", "state": "enabled", "modifiedDateTime": "1"}),
            ),
            object("b", 1, json!({"id": "b"})),
        ]);
        let to = snapshot(vec![
            object(
                "a",
                2,
                json!({"id": "a", "state": "disabled", "modifiedDateTime": "2"}),
            ),
            object("c", 1, json!({"id": "c"})),
        ]);
        let changes = diff(&from, &to);
        let summary: Vec<_> = changes.iter().map(|c| (c.object_id.as_str(), c.change)).collect();
        assert_eq!(
            summary,
            vec![
                ("a", ChangeKind::Changed),
                ("b", ChangeKind::Removed),
                ("c", ChangeKind::Added)
            ]
        );
        assert_eq!(
            serde_json::to_value(&changes[0].json_patch).ok(),
            Some(json!([{"op": "replace", "path": "/state", "value": "disabled"}])),
            "the timestamp is volatile and not part of the patch"
        );
        assert_eq!(
            (changes[0].from_version, changes[0].to_version),
            (Some(1), Some(2))
        );
    }

    #[test]
    fn a_change_of_volatile_fields_only_is_no_change() {
        let from = snapshot(vec![object("a", 1, json!({"id": "a", "modifiedDateTime": "1"}))]);
        let to = snapshot(vec![object("a", 2, json!({"id": "a", "modifiedDateTime": "2"}))]);
        assert!(diff(&from, &to).is_empty());
    }

    #[test]
    fn kinds_only_one_snapshot_covers_are_not_compared() {
        let from = snapshot(vec![object("a", 1, json!({"id": "a"}))]);
        let to = Snapshot::new("t", Utc::now(), ["named_locations".to_owned()]);
        assert!(diff(&from, &to).is_empty());
    }
}
