//! One Graph request (top level or a `$batch` item) through every gate in Graph's order:
//! route, method, permission, licence, throttling and fault, then the collection handler.
//! Kept apart from `graph/mod.rs` so that `$batch` can run items without importing its caller.

use std::time::{Duration, Instant};

use http::{HeaderMap, Method};

use super::endpoints::{self, Gate};
use super::query::Query;
use super::{errors, routes, run};
use crate::faults::FaultAction;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::permissions::satisfies;
use crate::state::{AccessClaims, SimState, TenantRef, read, write};
use crate::throttle::{Family, identity_cost};

/// The result of executing one Graph request (top-level or a batch item).
pub struct Executed {
    pub reply: Reply,
    pub fault: Option<FaultAction>,
    pub latency: Option<Duration>,
    pub label: String,
}

fn licence_error(ctx: &Ctx, gate: Gate) -> Reply {
    match gate {
        Gate::P1 => graph_error(
            ctx,
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ),
        Gate::P2 => graph_error(
            ctx,
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs an AAD Premium 2 license.",
        ),
        Gate::Intune => graph_error(ctx, 400, "BadRequest", "Request not applicable to target tenant."),
        Gate::None => graph_error(ctx, 500, "generalException", "unexpected licence gate"),
    }
}

/// Runs one GET (the sync never writes) through every gate and handler.
#[allow(clippy::too_many_arguments)]
pub fn execute(
    state: &SimState,
    ctx: &Ctx,
    tenant: &TenantRef,
    claims: &AccessClaims,
    method: &Method,
    rest: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Executed {
    let q = Query::parse(raw_query);
    let segs: Vec<&str> = rest
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let plain = |reply: Reply, label: &str| Executed {
        reply,
        fault: None,
        latency: None,
        label: format!("graph {label}"),
    };
    let Some(route) = routes::resolve(&segs, q.expand.as_deref()) else {
        let msg = format!(
            "Resource not found for the segment '{}'.",
            unknown_segment(&segs, q.expand.as_deref())
        );
        return plain(graph_error(ctx, 400, "BadRequest", &msg), "unknown");
    };
    let action = matches!(route.kind, endpoints::Kind::HuntingQuery);
    if (!action && method != Method::GET) || (action && method != Method::POST) {
        return plain(
            graph_error(
                ctx,
                405,
                "Request_BadRequest",
                &format!(
                    "The HTTP method '{method}' is not supported by the simulator for '{}'.",
                    route.label
                ),
            ),
            &route.label,
        );
    }
    let (licences, users, throttling, tenant_id) = {
        let t = read(tenant);
        (t.licences(), t.layout.users, t.throttling, t.id.to_string())
    };
    if !satisfies(&claims.roles, route.perms) {
        return plain(
            errors::permission_denied(ctx, route.denial, route.perms, &claims.roles),
            &route.label,
        );
    }
    let wants_sign_in = q
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p == "signInActivity"))
        || q.filter.as_deref().is_some_and(|f| f.contains("signInActivity"));
    let mut family = route.family;
    if wants_sign_in && matches!(route.kind, endpoints::Kind::Users | endpoints::Kind::User(_)) {
        if !satisfies(&claims.roles, &["AuditLog.Read.All"]) {
            return plain(
                graph_error(
                    ctx,
                    403,
                    "Authentication_MSGraphPermissionMissing",
                    "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
                ),
                &route.label,
            );
        }
        if !licences.has_p1() {
            return plain(licence_error(ctx, Gate::P1), &route.label);
        }
        family = Family::SignInActivity;
    }
    let gated = match route.gate {
        Gate::None => false,
        Gate::P1 => !licences.has_p1(),
        Gate::P2 => !licences.has_p2(),
        Gate::Intune => !licences.has_intune(),
    };
    if gated {
        return plain(licence_error(ctx, route.gate), &route.label);
    }
    let top = q.top.as_deref().and_then(|t| t.parse().ok());
    let cost = if family == Family::Identity {
        identity_cost(&format!("/{rest}"), q.select.is_some(), q.expand.is_some(), top)
    } else {
        1.0
    };
    let verdict = state.throttle.lock().unwrap_or_else(|e| e.into_inner()).charge(
        throttling,
        &tenant_id,
        &claims.app_id,
        family,
        cost,
        users,
        Instant::now(),
    );
    if let Some(th) = verdict {
        return plain(
            errors::throttled(ctx, &th, &claims.app_id, &tenant_id),
            &route.label,
        );
    }
    let decision = write(tenant)
        .faults
        .decide(method.as_str(), &format!("/v1.0/{rest}"));
    let label = format!("graph {}", route.label);
    if let Some(FaultAction::Error(status)) = decision.action {
        return Executed {
            reply: errors::injected(ctx, status),
            fault: decision.action,
            latency: decision.latency,
            label,
        };
    }
    let eventual = headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    if action {
        return Executed {
            reply: hunting_query(ctx, body).graph_headers(ctx),
            fault: decision.action,
            latency: decision.latency,
            label,
        };
    }
    let self_path = format!("/v1.0/{}", segs.join("/"));
    let mut reply = {
        let t = read(tenant);
        run::run(
            state,
            ctx,
            &t,
            &route,
            &q,
            &self_path,
            eventual,
            decision.delta_gone,
        )
    };
    if family == Family::Identity {
        reply = reply.header("x-ms-resource-unit", format!("{}", cost as u32));
        let usage = state
            .throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .identity_usage(&tenant_id, &claims.app_id);
        if let Some(u) = usage {
            reply = reply.header("x-ms-throttle-limit-percentage", format!("{u:.1}"));
        }
    }
    Executed {
        reply: reply.graph_headers(ctx),
        fault: decision.action,
        latency: decision.latency,
        label,
    }
}

/// POST `security/runHuntingQuery` with the permission: the body must carry a `Query` string. The
/// simulated tenants hold no advanced-hunting tables, so a valid query returns no rows.
fn hunting_query(ctx: &Ctx, body: &[u8]) -> Reply {
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
    let query = parsed
        .as_ref()
        .ok()
        .and_then(|v| v.get("Query").or_else(|| v.get("query")))
        .and_then(serde_json::Value::as_str)
        .map(str::trim);
    match (parsed.is_ok(), query) {
        (false, _) => graph_error(
            ctx,
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ),
        (true, None | Some("")) => graph_error(ctx, 400, "BadRequest", "The parameter 'Query' is required."),
        (true, Some(_)) => crate::http::reply::Reply::json(
            200,
            &serde_json::json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults",
                "schema": [],
                "results": [],
            }),
        ),
    }
}

/// Namespaces that hold routes but are not routes themselves: Graph resolves through them and
/// names the first segment after them that it cannot resolve.
const NAMESPACES: &[&[&str]] = &[
    &["identity"],
    &["identity", "conditionalaccess"],
    &["rolemanagement"],
    &["rolemanagement", "directory"],
    &["policies"],
    &["reports"],
    &["reports", "authenticationmethods"],
    &["security"],
    &["devicemanagement"],
    &["admin"],
    &["admin", "sharepoint"],
    &["admin", "serviceannouncement"],
    &["auditlogs"],
    &["directory"],
    &["identitygovernance"],
    &["identitygovernance", "accessreviews"],
];

/// The segment Graph names in "Resource not found for the segment": the first one that does not
/// resolve below the longest resolvable prefix (`users/{id}/bogus` names `bogus`, `bogus/x` names
/// `bogus`), as the client wrote it.
fn unknown_segment<'a>(segs: &[&'a str], expand: Option<&str>) -> &'a str {
    let resolvable = |n: usize| {
        let lower: Vec<String> = segs[..n].iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        NAMESPACES.contains(&l.as_slice()) || routes::resolve(&segs[..n], expand).is_some()
    };
    let known = (1..segs.len()).rev().find(|n| resolvable(*n)).unwrap_or(0);
    segs.get(known).copied().unwrap_or("")
}
