//! Executes a resolved Graph route against a tenant (read lock held by the caller).

use serde_json::{Value, json};

use super::endpoints::{Kind, Route};
use super::paging::{ListSpec, Source, entity, list};
use super::query::Query;
use super::select::USER_DEFAULT;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::state::SimState;
use crate::tenant::Tenant;

fn not_found(ctx: &Ctx, id: &str) -> Reply {
    graph_error(
        ctx,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn items_spec<'a>(context: &'a str, ty: &'a str, max_top: u32, directory: bool) -> ListSpec<'a> {
    ListSpec {
        max_top,
        directory,
        ..ListSpec::new(context, ty)
    }
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    state: &SimState,
    ctx: &Ctx,
    t: &Tenant,
    route: &Route,
    q: &Query,
    self_path: &str,
    eventual: bool,
    delta_gone: bool,
) -> Reply {
    let sign_in_selected = q
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p == "signInActivity"));
    match &route.kind {
        Kind::Users => {
            let spec = ListSpec {
                max_top: if sign_in_selected { 500 } else { 999 },
                default_select: Some(&USER_DEFAULT),
                is_users: true,
                ..ListSpec::new("users", "microsoft.graph.user")
            };
            if q.filter.is_none() && q.search.is_none() {
                return super::fast::users_page(ctx, t, q, &spec, self_path, eventual);
            }
            let count = (t.user_positions() as usize).saturating_sub(t.overlay.deleted_users.len());
            let source = Source::Virtual {
                len: t.user_positions(),
                get: Box::new(|p| t.user_json(p)),
                find: Some(Box::new(|id| t.user_pos(id))),
                count: Some(count),
            };
            list(ctx, self_path, q, &spec, source, eventual)
        }
        Kind::UsersCount => {
            if !eventual {
                return graph_error(
                    ctx,
                    400,
                    "Request_BadRequest",
                    "$count is not currently supported.",
                );
            }
            let count = (t.user_positions() as usize).saturating_sub(t.overlay.deleted_users.len());
            let mut r = Reply::json(200, &json!(count));
            r.body = bytes::Bytes::from(count.to_string());
            r.content_type = "text/plain;charset=utf-8";
            r
        }
        Kind::User(id) => {
            let pos = t.user_pos(id).or_else(|| {
                (0..t.user_positions())
                    .find(|p| t.user_facts(*p).is_some_and(|f| f.upn.eq_ignore_ascii_case(id)))
            });
            match pos.and_then(|p| t.user_json(p)) {
                Some(mut u) => {
                    if q.select.is_none() {
                        super::select::project(&mut u, &USER_DEFAULT);
                    }
                    entity(ctx, "users", u, &q.select)
                }
                None => not_found(ctx, id),
            }
        }
        Kind::LicenseDetails(id) => match t.user_pos(id).and_then(|p| t.license_details_json(p)) {
            Some(items) => {
                let context = format!("users('{id}')/licenseDetails");
                let spec = ListSpec::new(&context, "microsoft.graph.licenseDetails");
                list(ctx, self_path, q, &spec, Source::Items(items), eventual)
            }
            None => not_found(ctx, id),
        },
        // Answered in the pipeline, which holds the request body.
        Kind::HuntingQuery => graph_error(ctx, 500, "generalException", "unexpected action route"),
        Kind::Delta { groups } => super::delta::run(state, ctx, t, *groups, q, self_path, delta_gone),
        Kind::Groups => {
            let spec = ListSpec::new("groups", "microsoft.graph.group");
            let source = Source::Virtual {
                len: t.layout.groups,
                get: Box::new(|g| t.group_json(g)),
                find: Some(Box::new(|id| t.group_index(id))),
                count: Some(t.layout.groups as usize),
            };
            list(ctx, self_path, q, &spec, source, eventual)
        }
        Kind::Group(id) => match t.group_index(id).and_then(|g| t.group_json(g)) {
            Some(g) => entity(ctx, "groups", g, &q.select),
            None => not_found(ctx, id),
        },
        Kind::Members { group, transitive } => {
            let Some(g) = t.group_index(group) else {
                return not_found(ctx, group);
            };
            let spec = ListSpec::new("directoryObjects", "");
            let selected = q.select.is_some();
            let source = if *transitive {
                Source::Items(
                    t.transitive_members(g)
                        .iter()
                        .filter_map(|m| t.member_object(m, selected))
                        .collect(),
                )
            } else {
                Source::Virtual {
                    len: t.member_slots(g),
                    get: Box::new(move |i| t.member_at(g, i).and_then(|m| t.member_object(&m, selected))),
                    find: None,
                    count: None,
                }
            };
            list(ctx, self_path, q, &spec, source, eventual)
        }
        Kind::DirectoryRoleMembers(id) => {
            let roles = t.directory_roles();
            let wanted = id.trim_start_matches("roleTemplateId=").trim_matches('\'');
            let Some((_, members)) = roles
                .into_iter()
                .find(|(r, _)| r["id"] == json!(id) || r["roleTemplateId"] == json!(wanted))
            else {
                return not_found(ctx, id);
            };
            // directoryRoles members do not page: everything comes back at once.
            let spec = ListSpec {
                max_top: 999,
                default_top: u32::MAX,
                ..ListSpec::new("directoryObjects", "")
            };
            let mut q2 = q.clone();
            q2.top = None;
            list(ctx, self_path, &q2, &spec, Source::Items(members), eventual)
        }
        Kind::Registration(None) => {
            let spec = items_spec(
                "reports/authenticationMethods/userRegistrationDetails",
                "microsoft.graph.userRegistrationDetails",
                999,
                false,
            );
            let source = Source::Virtual {
                len: t.user_positions(),
                get: Box::new(|p| t.registration_json(p)),
                find: Some(Box::new(|id| t.user_pos(id))),
                count: None,
            };
            list(ctx, self_path, q, &spec, source, eventual)
        }
        Kind::Registration(Some(id)) => match t.user_pos(id).and_then(|p| t.registration_json(p)) {
            Some(v) => entity(
                ctx,
                "reports/authenticationMethods/userRegistrationDetails",
                v,
                &q.select,
            ),
            None => graph_error(
                ctx,
                404,
                "ResourceNotFound",
                &format!("Resource '{id}' does not exist."),
            ),
        },
        Kind::RoleAssignments => {
            let spec = ListSpec::new(
                "roleManagement/directory/roleAssignments",
                "microsoft.graph.unifiedRoleAssignment",
            );
            let expand_principal = q
                .expand
                .as_deref()
                .is_some_and(|e| e.to_ascii_lowercase().contains("principal"));
            let mut items = t.role_assignments_json();
            if expand_principal {
                for a in &mut items {
                    let pid = a["principalId"].as_str().unwrap_or_default().to_string();
                    a["principal"] = t.principal_json(&pid);
                }
            }
            list(ctx, self_path, q, &spec, Source::Items(items), eventual)
        }
        Kind::RolePolicies { expand_rules } => {
            let spec = ListSpec::new(
                "policies/roleManagementPolicies",
                "microsoft.graph.unifiedRoleManagementPolicy",
            );
            let items = t
                .role_policies_json()
                .into_iter()
                .map(|(mut p, rules)| {
                    if *expand_rules {
                        p["rules"] = Value::Array(rules);
                    }
                    p
                })
                .collect();
            list(ctx, self_path, q, &spec, Source::Items(items), eventual)
        }
        Kind::RolePolicy(id) => match t
            .role_policies_json()
            .into_iter()
            .find(|(p, _)| p["id"] == json!(id))
        {
            Some((p, _)) => entity(ctx, "policies/roleManagementPolicies", p, &q.select),
            None => not_found(ctx, id),
        },
        Kind::RolePolicyRules(id) => match t
            .role_policies_json()
            .into_iter()
            .find(|(p, _)| p["id"] == json!(id))
        {
            Some((_, rules)) => {
                let spec = ListSpec::new(
                    "policies/roleManagementPolicies('x')/rules",
                    "microsoft.graph.unifiedRoleManagementPolicyRule",
                );
                list(ctx, self_path, q, &spec, Source::Items(rules), eventual)
            }
            None => not_found(ctx, id),
        },
        Kind::Items {
            context,
            ty,
            items,
            max_top,
            directory,
            paging,
        } => {
            let mut spec = items_spec(context, ty, *max_top, *directory);
            let mut q2 = q.clone();
            if !paging {
                spec.default_top = u32::MAX;
                q2.top = None;
            }
            // Navigation properties the data carries (`assignments`) come back only when expanded.
            let expanded = q
                .expand
                .as_deref()
                .is_some_and(|e| e.to_ascii_lowercase().contains("assignments"));
            let mut all = items(t);
            if !expanded {
                for item in &mut all {
                    if let Some(o) = item.as_object_mut() {
                        o.remove("assignments");
                    }
                }
            }
            list(ctx, self_path, &q2, &spec, Source::Items(all), eventual)
        }
        Kind::ItemById {
            context, items, id, ..
        } => match items(t)
            .into_iter()
            .find(|v| v["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
        {
            Some(v) => entity(ctx, context, v, &q.select),
            None => not_found(ctx, id),
        },
        Kind::Single { context, get, .. } => entity(ctx, context, get(t), &q.select),
        Kind::Apps(a) => super::apps::run(ctx, t, a, q, self_path, eventual),
        Kind::Virtual {
            context,
            ty,
            len,
            get,
            max_top,
            default_top,
            skip,
        } => {
            let spec = ListSpec {
                max_top: *max_top,
                default_top: *default_top,
                directory: false,
                supports_skip: *skip,
                ..ListSpec::new(context, ty)
            };
            // Service-principal sign-ins are their own log, asked for by event type.
            if *context == "auditLogs/signIns"
                && q.filter
                    .as_deref()
                    .is_some_and(|f| f.contains("'servicePrincipal'"))
            {
                let source = Source::Items(t.service_principal_sign_ins_json());
                return list(ctx, self_path, q, &spec, source, eventual);
            }
            let n = len(t);
            // Audit logs are newest first at even spacing: a date range maps to an index range,
            // so a narrow window does not scan the whole log.
            let (first, last) = match (*context, q.filter.as_deref().and_then(super::query::parse_filter)) {
                ("auditLogs/directoryAudits", Some(f)) => {
                    t.directory_audit_range(&f.time_bounds("activityDateTime"))
                }
                ("auditLogs/signIns", Some(f)) => t.log_index_range(&f.time_bounds("createdDateTime"), n),
                _ => (0, n),
            };
            let source = Source::Virtual {
                len: last - first,
                get: Box::new(move |i| get(t, first + i)),
                find: None,
                count: (first == 0 && last == n).then_some(n as usize),
            };
            list(ctx, self_path, q, &spec, source, eventual)
        }
    }
}
