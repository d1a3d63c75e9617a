//! App registrations and service principals: the collections with `$expand=owners` (nested
//! `$select` honoured) and `$expand=appRoleAssignments`, and the owners, appRoleAssignments and
//! appRoleAssignedTo relationships of one object.

use serde_json::Value;

use super::endpoints::AppsQuery;
use super::paging::{ListSpec, Source, list};
use super::query::Query;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::tenant::Tenant;

fn not_found(ctx: &Ctx, key: &str) -> Reply {
    graph_error(
        ctx,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// The expanded navigation property named by `$expand` (`owners($select=id,displayName)` gives
/// `owners` and the nested select), if it is one of `allowed`.
fn expansion(expand: Option<&str>, allowed: &[&'static str]) -> Option<(&'static str, Option<Vec<String>>)> {
    let e = expand?.trim();
    let (name, rest) = match e.split_once('(') {
        Some((n, r)) => (n.trim(), Some(r.trim_end_matches(')'))),
        None => (e, None),
    };
    let name = allowed.iter().find(|a| a.eq_ignore_ascii_case(name))?;
    let select = rest.and_then(|r| {
        r.split(';')
            .find_map(|opt| opt.trim().strip_prefix("$select="))
            .map(|s| s.split(',').map(|f| f.trim().to_string()).collect())
    });
    Some((name, select))
}

fn project_all(items: &mut [Value], select: &Option<Vec<String>>) {
    if let Some(sel) = select {
        for item in items {
            super::select::project(item, sel);
        }
    }
}

pub fn run(ctx: &Ctx, t: &Tenant, a: &AppsQuery, q: &Query, self_path: &str, eventual: bool) -> Reply {
    let (spec, items) = match a {
        AppsQuery::Applications | AppsQuery::ServicePrincipals => {
            let sp = *a == AppsQuery::ServicePrincipals;
            let allowed: &[&'static str] = if sp {
                &["owners", "appRoleAssignments"]
            } else {
                &["owners"]
            };
            let mut items = if sp {
                t.service_principals_json()
            } else {
                t.applications_json()
            };
            let mut q2 = q.clone();
            if let Some((nav, nested)) = expansion(q.expand.as_deref(), allowed) {
                for item in &mut items {
                    let id = item["id"].as_str().unwrap_or_default().to_string();
                    let mut related = match (sp, nav) {
                        (false, _) => t.application_owners(&id),
                        (true, "owners") => t.service_principal_owners(&id),
                        (true, _) => t.app_role_assignments_of(&id),
                    }
                    .unwrap_or_default();
                    project_all(&mut related, &nested);
                    item[nav] = Value::Array(related);
                }
                // An expanded property is returned alongside the selected ones.
                if let Some(sel) = q2.select.as_mut()
                    && !sel.iter().any(|s| s == nav)
                {
                    sel.push(nav.to_string());
                }
            } else if q.expand.is_some() {
                return graph_error(
                    ctx,
                    400,
                    "Request_BadRequest",
                    "Invalid $expand: the navigation property is not supported on this collection.",
                );
            }
            let (context, ty) = if sp {
                ("servicePrincipals", "microsoft.graph.servicePrincipal")
            } else {
                ("applications", "microsoft.graph.application")
            };
            // Graph returns at most 100 objects a page when a directory query expands.
            let max_top = if q.expand.is_some() { 100 } else { 999 };
            let spec = ListSpec {
                max_top,
                ..ListSpec::new(context, ty)
            };
            return list(ctx, self_path, &q2, &spec, Source::Items(items), eventual);
        }
        AppsQuery::ApplicationOwners(key) => (
            ListSpec::new("directoryObjects", ""),
            t.application_owners(key).ok_or(key),
        ),
        AppsQuery::ServicePrincipalOwners(key) => (
            ListSpec::new("directoryObjects", ""),
            t.service_principal_owners(key).ok_or(key),
        ),
        AppsQuery::AppRoleAssignments(key) => (
            ListSpec::new(
                "servicePrincipals('{id}')/appRoleAssignments",
                "microsoft.graph.appRoleAssignment",
            ),
            t.app_role_assignments_of(key).ok_or(key),
        ),
        AppsQuery::AppRoleAssignedTo(key) => (
            ListSpec::new(
                "servicePrincipals('{id}')/appRoleAssignedTo",
                "microsoft.graph.appRoleAssignment",
            ),
            t.app_role_assigned_to(key).ok_or(key),
        ),
    };
    match items {
        Ok(items) => list(ctx, self_path, q, &spec, Source::Items(items), eventual),
        Err(key) => not_found(ctx, key),
    }
}

/// Every object a read serves (ground truth), `None` for an unknown key.
pub fn objects(t: &Tenant, a: &AppsQuery) -> Option<Vec<Value>> {
    match a {
        AppsQuery::Applications => Some(t.applications_json()),
        AppsQuery::ServicePrincipals => Some(t.service_principals_json()),
        AppsQuery::ApplicationOwners(key) => t.application_owners(key),
        AppsQuery::ServicePrincipalOwners(key) => t.service_principal_owners(key),
        AppsQuery::AppRoleAssignments(key) => t.app_role_assignments_of(key),
        AppsQuery::AppRoleAssignedTo(key) => t.app_role_assigned_to(key),
    }
}
