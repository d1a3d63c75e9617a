//! The comparison on its own: matching by name, what is ignored, and the patches.

use serde_json::json;

use super::*;

fn object(kind: &str, id: &str, content: Value, version: u64) -> ConfigObject {
    ConfigObject {
        entity_kind: kind.to_owned(),
        object_id: id.to_owned(),
        display_name: display_name_of(&content),
        version,
        content,
        changed_at: None,
    }
}

const CA: &str = "conditional_access_policies";

fn policy(id: &str, state: &str, modified: &str, group: &str) -> Value {
    json!({
        "id": id,
        "displayName": "Require MFA for admins",
        "modifiedDateTime": modified,
        "state": state,
        "conditions": { "users": { "includeGroups": [group], "includeUsers": [] } },
    })
}

#[test]
fn a_changed_field_is_one_patch_and_timestamps_and_ids_are_ignored() {
    let pinned = [object(
        CA,
        "a",
        policy("a", "enabled", "2026-01-01T00:00:00Z", "g1"),
        3,
    )];
    let current = [object(
        CA,
        "a",
        policy("a", "disabled", "2026-02-01T00:00:00Z", "g1"),
        4,
    )];
    let found = compare(&pinned, &current, &Comparison::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, DriftKind::Changed);
    assert_eq!(
        found[0].json_patch,
        r#"[{"op":"replace","path":"/state","value":"disabled"}]"#
    );
    assert_eq!((found[0].baseline_version, found[0].current_version), (3, 4));

    let touched = [object(
        CA,
        "a",
        policy("a", "enabled", "2026-03-01T00:00:00Z", "g1"),
        5,
    )];
    assert!(compare(&pinned, &touched, &Comparison::default()).is_empty());
}

#[test]
fn objects_match_by_name_across_tenants_without_their_tenant_specific_fields() {
    let template = [object(
        CA,
        "a",
        policy("a", "enabled", "2026-01-01T00:00:00Z", "g1"),
        1,
    )];
    let other = [object(
        CA,
        "zz",
        policy("zz", "enabled", "2026-05-01T00:00:00Z", "g9"),
        7,
    )];
    let across = Comparison {
        cross_tenant: true,
        overrides: Vec::new(),
    };
    assert!(compare(&template, &other, &across).is_empty());
    let same = compare(&template, &other, &Comparison::default());
    assert_eq!(
        same[0].json_patch,
        r#"[{"op":"replace","path":"/conditions/users/includeGroups/0","value":"g9"}]"#
    );
}

#[test]
fn missing_and_added_objects_are_reported_by_key() {
    let pinned = [
        object(CA, "a", policy("a", "enabled", "x", "g"), 1),
        object(
            "named_locations",
            "n",
            json!({"id": "n", "displayName": "Office"}),
            1,
        ),
    ];
    let current = [
        object(CA, "a", policy("a", "enabled", "x", "g"), 1),
        object(
            "named_locations",
            "m",
            json!({"id": "m", "displayName": "Home"}),
            2,
        ),
    ];
    let found = compare(&pinned, &current, &Comparison::default());
    let kinds: Vec<(DriftKind, &str)> = found.iter().map(|d| (d.kind, d.match_key.as_str())).collect();
    assert_eq!(
        kinds,
        [(DriftKind::Added, "home"), (DriftKind::Missing, "office")]
    );
}

#[test]
fn overrides_ignore_fields_or_whole_objects_for_one_tenant() {
    let pinned = [object(CA, "a", policy("a", "enabled", "x", "g"), 1)];
    let current = [object(CA, "a", policy("a", "disabled", "x", "g"), 2)];
    let ignore_state = Comparison {
        cross_tenant: false,
        overrides: vec![Override {
            entity_kind: CA.to_owned(),
            display_name: "require mfa for ADMINS".to_owned(),
            ignored_paths: vec!["/state".to_owned()],
        }],
    };
    assert!(compare(&pinned, &current, &ignore_state).is_empty());
    let leave_out = Comparison {
        cross_tenant: false,
        overrides: vec![Override {
            entity_kind: CA.to_owned(),
            display_name: String::new(),
            ignored_paths: Vec::new(),
        }],
    };
    assert!(compare(&pinned, &[], &leave_out).is_empty());
}

#[test]
fn objects_sharing_a_name_are_numbered_alike_on_both_sides() {
    let two = |a: &str, b: &str| {
        vec![
            object(CA, a, policy(a, "enabled", "x", "g"), 1),
            object(CA, b, policy(b, "disabled", "x", "g"), 1),
        ]
    };
    assert!(compare(&two("1", "2"), &two("3", "4"), &Comparison::default()).is_empty());
    let keys: Vec<String> = keyed(&two("1", "2")).into_keys().map(|(_, k)| k).collect();
    assert_eq!(keys, ["require mfa for admins", "require mfa for admins #2"]);
}
