//! Who holds which directory role: active assignments, active PIM instances and PIM eligibility,
//! with role-assignable groups expanded to their members where the sync has them. Done here rather
//! than in Rego because joining assignments to 100,000 users is an index lookup in Rust.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use super::collection::Collection;

/// controls.md "Privileged roles": Global, Privileged Role, User, SharePoint, Exchange, Hybrid
/// Identity, Application and Cloud Application Administrator.
pub const PRIVILEGED_ROLE_TEMPLATE_IDS: [&str; 8] = [
    "62e90394-69f5-4237-9190-012177145e10",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
];

const BUILTIN_ROLE_NAMES: [(&str, &str); 22] = [
    ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator"),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator"),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"),
    ("5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", "Security Operator"),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator"),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator"),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator"),
    ("69091246-20e8-4a56-aa4d-066075b2a7a8", "Teams Administrator"),
    ("3a2c62db-5318-420d-8d74-23affee5d9d5", "Intune Administrator"),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
    ),
    ("b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator"),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"),
    (
        "d29b2b05-8046-44ba-8758-1e26182fcf32",
        "Directory Synchronization Accounts",
    ),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader"),
];

/// The display name of a built-in role template, if it is one Posture knows.
pub fn role_display_name(template_id: &str) -> Option<&'static str> {
    BUILTIN_ROLE_NAMES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
        .map(|(_, name)| *name)
}

fn str_field<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// Lookups the derivation needs, built once per document.
pub(super) struct DirectoryIndex<'a> {
    pub users: HashMap<&'a str, &'a Value>,
    pub groups: HashMap<&'a str, &'a Value>,
    pub registrations: HashMap<&'a str, &'a Value>,
    /// role definition id -> (template id, display name)
    pub roles: HashMap<&'a str, (&'a str, Option<&'a str>)>,
    /// Transitive members by group id (lower case), from `group_transitive_members`.
    pub transitive: HashMap<String, &'a Value>,
}

impl<'a> DirectoryIndex<'a> {
    pub fn new(
        users: &'a Collection,
        groups: &'a Collection,
        registrations: &'a Collection,
        definitions: &'a Collection,
        transitive: &'a Collection,
    ) -> Self {
        let by_id = |collection: &'a Collection| -> HashMap<&'a str, &'a Value> {
            collection
                .items
                .iter()
                .filter_map(|item| str_field(item, "id").map(|id| (id, item)))
                .collect()
        };
        let roles = definitions
            .items
            .iter()
            .filter_map(|definition| {
                let id = str_field(definition, "id")?;
                let template = str_field(definition, "templateId").unwrap_or(id);
                Some((id, (template, str_field(definition, "displayName"))))
            })
            .collect();
        let transitive = if transitive.is_ok() {
            transitive
                .items
                .iter()
                .filter(|item| item.get("members").is_some_and(Value::is_array))
                .filter_map(|item| str_field(item, "id").map(|id| (id.to_ascii_lowercase(), item)))
                .collect()
        } else {
            HashMap::new()
        };
        DirectoryIndex {
            users: by_id(users),
            groups: by_id(groups),
            registrations: by_id(registrations),
            roles,
            transitive,
        }
    }

    /// The members of a group, nested groups' members included where the sync read them
    /// transitively; else its direct members as synced; `None` when unknown.
    pub fn members_of(&self, group_id: &str) -> Option<Vec<(&'a str, &'static str)>> {
        match self.transitive.get(&group_id.to_ascii_lowercase()) {
            Some(group) => transitive_list(group),
            None => self.groups.get(group_id).and_then(|g| group_members(g)),
        }
    }

    /// Every group whose members are known, by its id as synced.
    pub fn groups_with_members(&self) -> Vec<(&'a str, Vec<(&'a str, &'static str)>)> {
        let mut out: Vec<(&'a str, Vec<(&'a str, &'static str)>)> = self
            .transitive
            .values()
            .filter_map(|g| Some((str_field(g, "id")?, transitive_list(g)?)))
            .collect();
        for (id, group) in &self.groups {
            if self.transitive.contains_key(&id.to_ascii_lowercase()) {
                continue;
            }
            if let Some(members) = group_members(group) {
                out.push((id, members));
            }
        }
        out
    }

    fn role(&self, role_definition_id: &'a str) -> (&'a str, String) {
        let (template, name) = self
            .roles
            .get(role_definition_id)
            .copied()
            .unwrap_or((role_definition_id, None));
        let name = name
            .map(str::to_string)
            .or_else(|| role_display_name(template).map(str::to_string))
            .unwrap_or_else(|| template.to_string());
        (template, name)
    }

    fn principal_type(&self, assignment: &Value, principal_id: &str) -> &'static str {
        let expanded = assignment
            .pointer("/principal/@odata.type")
            .and_then(Value::as_str);
        match expanded {
            Some(t) => odata_kind(t),
            None if self.users.contains_key(principal_id) => "user",
            None if self.groups.contains_key(principal_id) => "group",
            None if self.transitive.contains_key(&principal_id.to_ascii_lowercase()) => "group",
            None => "unknown",
        }
    }

    fn display_name(&self, principal_id: &str, assignment: Option<&Value>) -> String {
        let from = |v: &Value| {
            str_field(v, "userPrincipalName")
                .or_else(|| str_field(v, "displayName"))
                .map(str::to_string)
        };
        self.users
            .get(principal_id)
            .or_else(|| self.groups.get(principal_id))
            .and_then(|v| from(v))
            .or_else(|| assignment.and_then(|a| a.get("principal")).and_then(from))
            .unwrap_or_else(|| principal_id.to_string())
    }
}

fn odata_kind(odata_type: &str) -> &'static str {
    match odata_type.trim_start_matches("#microsoft.graph.") {
        "user" => "user",
        "group" => "group",
        "servicePrincipal" => "servicePrincipal",
        _ => "unknown",
    }
}

/// Direct members of a group as synced: `members` (from `$expand=members`) or `members@delta`
/// (from groups/delta, removals skipped). `None` when the sync did not bring members.
pub(super) fn group_members(group: &Value) -> Option<Vec<(&str, &'static str)>> {
    member_list(group.get("members").or_else(|| group.get("members@delta"))?)
}

/// The members of a `group_transitive_members` object, nested groups left out: their members
/// are in the list themselves.
fn transitive_list(group: &Value) -> Option<Vec<(&str, &'static str)>> {
    let mut members = member_list(group.get("members")?)?;
    members.retain(|(_, kind)| *kind != "group");
    Some(members)
}

/// `(id, kind)` of each member in a list of directoryObjects (removals skipped).
fn member_list(list: &Value) -> Option<Vec<(&str, &'static str)>> {
    let list = list.as_array()?;
    Some(
        list.iter()
            .filter(|m| m.get("@removed").is_none())
            .filter_map(|m| {
                let id = str_field(m, "id")?;
                let kind = str_field(m, "@odata.type").map_or("unknown", odata_kind);
                Some((id, kind))
            })
            .collect(),
    )
}

/// One (role, principal, kind of assignment) fact; members of a role-assignable group get one each,
/// pointing at the group through `via_group`.
pub(super) fn role_members(
    index: &DirectoryIndex<'_>,
    sources: &[(&Collection, &'static str)],
) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let mut members = Vec::new();
    for (collection, assignment_kind) in sources {
        if !collection.is_ok() {
            continue;
        }
        for assignment in &collection.items {
            let (Some(principal_id), Some(definition_id)) = (
                str_field(assignment, "principalId"),
                str_field(assignment, "roleDefinitionId"),
            ) else {
                continue;
            };
            let (template, role_name) = index.role(definition_id);
            let principal_type = index.principal_type(assignment, principal_id);
            let scope = str_field(assignment, "directoryScopeId").unwrap_or("/");
            let assignment_id = str_field(assignment, "id").unwrap_or_default();
            let members_of_group = if principal_type == "group" {
                index.members_of(principal_id)
            } else {
                None
            };
            let mut push = |principal: &str, kind: &str, via_group: Option<&str>| {
                let key = (
                    template.to_string(),
                    principal.to_string(),
                    *assignment_kind,
                    via_group.map(str::to_string),
                );
                if !seen.insert(key) {
                    return;
                }
                members.push(json!({
                    "role_template_id": template,
                    "role_display_name": role_name,
                    "principal_id": principal,
                    "principal_type": kind,
                    "principal_display_name": index.display_name(principal, via_group.is_none().then_some(assignment)),
                    "assignment": assignment_kind,
                    "via_group": via_group,
                    "assignment_id": assignment_id,
                    "directory_scope_id": scope,
                    "members_known": kind != "group" || members_of_group.is_some(),
                }));
            };
            push(principal_id, principal_type, None);
            for (member, kind) in members_of_group.iter().flatten() {
                let kind = if *kind == "unknown" && index.users.contains_key(member) {
                    "user"
                } else {
                    kind
                };
                push(member, kind, Some(principal_id));
            }
        }
    }
    members
}

/// Users holding a privileged role tenant-wide, keyed by id, each with the raw user object and
/// registration details (null when not synced) and the roles and assignment kinds that make them
/// privileged.
pub(super) fn privileged_users(
    index: &DirectoryIndex<'_>,
    members: &[Value],
    privileged_roles: &[String],
) -> Map<String, Value> {
    // Per user: role template ids, kinds of assignment, groups the roles come through.
    type Held<'m> = (BTreeSet<&'m str>, BTreeSet<&'m str>, BTreeSet<&'m str>);
    let mut roles_by_user: BTreeMap<&str, Held<'_>> = BTreeMap::new();
    for member in members {
        let field = |f| member.get(f).and_then(Value::as_str).unwrap_or_default();
        let tenant_wide = matches!(field("directory_scope_id"), "/" | "");
        if field("principal_type") != "user" || !tenant_wide {
            continue;
        }
        if !privileged_roles
            .iter()
            .any(|r| r.eq_ignore_ascii_case(field("role_template_id")))
        {
            continue;
        }
        let entry = roles_by_user.entry(field("principal_id")).or_default();
        entry.0.insert(field("role_template_id"));
        entry.1.insert(field("assignment"));
        if let Some(group) = member.get("via_group").and_then(Value::as_str) {
            entry.2.insert(group);
        }
    }
    roles_by_user
        .into_iter()
        .map(|(id, (roles, assignments, via_groups))| {
            let user = index.users.get(id).map_or(Value::Null, |u| (*u).clone());
            let registration = index.registrations.get(id).map_or(Value::Null, |r| (*r).clone());
            let value = json!({
                "id": id,
                "user": user,
                "registration": registration,
                "roles": roles,
                "assignments": assignments,
                "via_groups": via_groups,
            });
            (id.to_string(), value)
        })
        .collect()
}
