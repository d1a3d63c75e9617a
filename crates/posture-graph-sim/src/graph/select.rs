//! `$select` validation against the Graph v1.0 schema and projection of generated objects.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Properties /users returns without `$select`.
pub const USER_DEFAULT: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// User properties that only a single-user GET can return (501 on the collection).
pub const USER_SINGLE_ONLY: [&str; 11] = [
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
];

static SCHEMA_TEXT: &str = include_str!("../../tests/data/graph-schema-v1.0.json");

/// Property and navigation names per type, with inheritance resolved.
struct Members {
    names: HashMap<String, HashSet<String>>,
}

fn members() -> &'static Members {
    static M: OnceLock<Members> = OnceLock::new();
    M.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA_TEXT).unwrap_or(Value::Null);
        let types = schema
            .get("types")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut names = HashMap::new();
        for name in types.keys() {
            let mut set = HashSet::new();
            let mut cur = types.get(name);
            let mut guard = 0;
            while let Some(t) = cur {
                if let Some(props) = t.get("properties").and_then(Value::as_object) {
                    set.extend(props.keys().cloned());
                }
                if let Some(nav) = t.get("navigation").and_then(Value::as_array) {
                    set.extend(nav.iter().filter_map(Value::as_str).map(str::to_string));
                }
                // Types outside microsoft.graph (e.g. microsoft.graph.security.alert) name their
                // base by the namespace alias `graph.`, as in Microsoft's metadata.
                cur = t.get("base").and_then(Value::as_str).and_then(|b| {
                    types
                        .get(b)
                        .or_else(|| types.get(&b.replacen("graph.", "microsoft.graph.", 1)))
                });
                guard += 1;
                if guard > 20 {
                    break;
                }
            }
            names.insert(name.clone(), set);
        }
        Members { names }
    })
}

/// Checks `$select` names against the type; returns the first unknown name.
pub fn unknown_property<'a>(schema_type: &str, select: &'a [String]) -> Option<&'a str> {
    let m = members();
    let known = m.names.get(schema_type)?;
    select
        .iter()
        .map(String::as_str)
        .find(|s| !known.contains(*s) && !s.contains('@'))
}

/// `project` for an object of a derived type in a directoryObject collection: the selected
/// properties its `@odata.type` does not have are left out rather than set to null, as Graph
/// leaves `userPrincipalName` off a group member.
pub fn project_derived<S: AsRef<str>>(obj: &mut Value, keep: &[S]) {
    let ty = obj
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#').to_string());
    let known = ty.as_deref().and_then(|t| members().names.get(t));
    let kept: Vec<&str> = keep
        .iter()
        .map(AsRef::as_ref)
        .filter(|k| *k == "id" || known.is_none_or(|names| names.contains(*k)))
        .collect();
    project(obj, &kept);
}

/// Keeps only `keep` (plus `@odata.type` and other annotations); selected-but-unset become null.
pub fn project<S: AsRef<str>>(obj: &mut Value, keep: &[S]) {
    let Value::Object(map) = obj else { return };
    let mut out = Map::with_capacity(keep.len() + 1);
    for (k, v) in map.iter() {
        if k.starts_with('@') {
            out.insert(k.clone(), v.clone());
        }
    }
    for k in keep {
        let k = k.as_ref();
        let v = map.remove(k).unwrap_or(Value::Null);
        out.insert(k.to_string(), v);
    }
    *map = out;
}
