//! What comparisons of configuration objects leave out, per kind: volatile fields (ids and
//! timestamps that change without anyone changing the configuration) always, and tenant-specific
//! fields (the users, groups and locations a policy names, which are other objects' ids) when a
//! baseline taken from one tenant is compared with another. Paths are RFC 6901 JSON pointers.
//!
//! One list for every consumer: drift (assessment role) and configuration backups (their diffs
//! and restore plans, in the CLI and the sync role) must agree on what counts as a change.

use serde_json::Value;

/// Left out of every kind: Graph's ids, its bookkeeping and its timestamps.
pub const VOLATILE: &[&str] = &[
    "/id",
    "/@odata.context",
    "/@odata.etag",
    "/createdDateTime",
    "/modifiedDateTime",
    "/lastModifiedDateTime",
    "/deletedDateTime",
    "/createdAt",
    "/lastModified",
];

/// Volatile fields of one kind, besides [`VOLATILE`].
pub fn volatile_paths(kind: &str) -> &'static [&'static str] {
    match kind {
        "organization" => &[
            "/onPremisesLastSyncDateTime",
            "/onPremisesLastPasswordSyncDateTime",
        ],
        "on_premises_synchronization" => &["/configuration/synchronizationInterval"],
        "applications" => &["/passwordCredentials", "/keyCredentials"],
        _ => &[],
    }
}

/// Fields of one kind that name tenant-specific objects, left out across tenants.
pub fn tenant_specific_paths(kind: &str) -> &'static [&'static str] {
    match kind {
        "conditional_access_policies" => &[
            "/conditions/users/includeUsers",
            "/conditions/users/excludeUsers",
            "/conditions/users/includeGroups",
            "/conditions/users/excludeGroups",
            "/conditions/users/includeGuestsOrExternalUsers",
            "/conditions/users/excludeGuestsOrExternalUsers",
            "/conditions/locations/includeLocations",
            "/conditions/locations/excludeLocations",
            "/conditions/devices/deviceFilter",
            "/templateId",
        ],
        "applications" => &["/appId", "/publisherDomain", "/identifierUris"],
        "organization" => &[
            "/displayName",
            "/verifiedDomains",
            "/technicalNotificationMails",
            "/assignedPlans",
            "/provisionedPlans",
            "/city",
            "/country",
            "/countryLetterCode",
            "/postalCode",
            "/state",
            "/street",
            "/businessPhones",
        ],
        "access_review_definitions" => &["/scope", "/reviewers", "/createdBy"],
        "role_assignment_instances" => &["/principalId", "/directoryScopeId"],
        "graph_app_role_assignments" => &["/principalId", "/resourceId"],
        "authentication_methods_policy" => &["/authenticationMethodConfigurations"],
        "admin_consent_request_policy" => &["/reviewers"],
        _ => &[],
    }
}

/// `content` as drift compares it: without volatile fields, without tenant-specific ones when
/// `cross_tenant`, and without the `extra` pointers of the tenant's overrides.
pub fn comparable(kind: &str, content: &Value, cross_tenant: bool, extra: &[String]) -> Value {
    let mut value = content.clone();
    let tenant_specific: &[&str] = if cross_tenant {
        tenant_specific_paths(kind)
    } else {
        &[]
    };
    for path in VOLATILE
        .iter()
        .chain(volatile_paths(kind))
        .chain(tenant_specific)
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        remove(&mut value, path);
    }
    value
}

/// Removes what `pointer` names, if anything; `~1` and `~0` are unescaped per RFC 6901.
fn remove(value: &mut Value, pointer: &str) {
    let Some(path) = pointer.strip_prefix('/') else {
        return;
    };
    let tokens: Vec<String> = path
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut at = value;
    for token in parents {
        at = match at {
            Value::Object(map) => match map.get_mut(token) {
                Some(next) => next,
                None => return,
            },
            Value::Array(items) => match token.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    match at {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(i);
            }
        }
        _ => {}
    }
}
