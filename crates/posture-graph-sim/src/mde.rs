//! The Defender for Endpoint API (`/api/...`, optional `/api/v1.0/` prefix): `$top`/`$skip`
//! paging, `$filter`, MDE's error shape and its 100/min + 1500/h throttle.

use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::faults::FaultAction;
use crate::graph::query::{Query, parse_filter};
use crate::http::auth::authenticate;
use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, Reply, mde_error};
use crate::permissions::{Resource, satisfies};
use crate::state::{SimState, read, write};
use crate::tenant::Tenant;
use crate::throttle::Family;

enum Data {
    Virtual(u32, fn(&Tenant, u32) -> Option<Value>),
    Items(Vec<Value>),
    Score(Value),
}

struct Endpoint {
    entity: &'static str,
    perms: &'static [&'static str],
    max_top: u32,
}

fn resolve(segs: &[String]) -> Option<Endpoint> {
    let e = |entity, perms, max_top| {
        Some(Endpoint {
            entity,
            perms,
            max_top,
        })
    };
    match segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["machines"] => e("Machines", &["Machine.Read.All", "Machine.ReadWrite.All"], 10_000),
        ["alerts"] => e("Alerts", &["Alert.Read.All", "Alert.ReadWrite.All"], 10_000),
        ["vulnerabilities"] => e("Vulnerabilities", &["Vulnerability.Read.All"], 8_000),
        ["vulnerabilities", "machinesvulnerabilities"] => {
            e("MachineVulnerabilities", &["Vulnerability.Read.All"], 10_000)
        }
        ["recommendations"] => e("Recommendations", &["SecurityRecommendation.Read.All"], 10_000),
        ["exposurescore"] => e("ExposureScore", &["Score.Read.All"], 1),
        ["configurationscore"] => e("ConfigurationScore", &["Score.Read.All"], 1),
        _ => None,
    }
}

fn data(t: &Tenant, entity: &str) -> Data {
    match entity {
        "Machines" => Data::Virtual(t.layout.machines, Tenant::mde_machine_json),
        "Alerts" => Data::Virtual(t.layout.alerts, Tenant::mde_alert_json),
        "Vulnerabilities" => Data::Items(t.mde_vulnerabilities_json()),
        "MachineVulnerabilities" => Data::Virtual(t.mde_machine_vulns_len(), Tenant::mde_machine_vuln_json),
        "Recommendations" => Data::Items(t.mde_recommendations_json()),
        "ExposureScore" => Data::Score(t.mde_exposure_score_json()),
        _ => Data::Score(t.mde_configuration_score_json()),
    }
}

pub fn handle(state: &SimState, ctx: &Ctx, req: &ApiRequest) -> Outcome {
    let lower = req.path.to_ascii_lowercase();
    let mut segs: Vec<String> = lower
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if segs.first().map(String::as_str) != Some("api") {
        return Outcome::plain(mde_error(ctx, 404, "ResourceNotFound", "Resource not found"));
    }
    segs.remove(0);
    if segs.first().map(String::as_str) == Some("v1.0") {
        segs.remove(0);
    }
    let (tenant, claims) = match authenticate(state, &req.headers, Resource::Mde) {
        Ok(a) => a,
        Err(_) => {
            return Outcome::plain(mde_error(
                ctx,
                401,
                "Unauthorized",
                "Authorization has been denied for this request.",
            ));
        }
    };
    let plain = |reply: Reply| Outcome {
        tenant: Some(tenant.clone()),
        api_label: format!("mde /api/{}", segs.join("/")),
        ..Outcome::plain(reply)
    };
    let Some(ep) = resolve(&segs) else {
        return plain(mde_error(
            ctx,
            404,
            "ResourceNotFound",
            &format!("Resource '{}' was not found.", segs.join("/")),
        ));
    };
    if req.method != http::Method::GET {
        return plain(mde_error(
            ctx,
            405,
            "MethodNotAllowed",
            "The requested HTTP method is not supported by the simulator.",
        ));
    }
    if !satisfies(&claims.roles, ep.perms) {
        let mut perms: Vec<&str> = ep.perms.to_vec();
        perms.reverse();
        return plain(mde_error(
            ctx,
            403,
            "Forbidden",
            &format!(
                "The application does not have any of the required application permissions ({}) to access the resource.",
                perms.join(", ")
            ),
        ));
    }
    let (mode, users, tid) = {
        let t = read(&tenant);
        (t.throttling, t.layout.users, t.id.to_string())
    };
    if let Some(th) = state.throttle.lock().unwrap_or_else(|e| e.into_inner()).charge(
        mode,
        &tid,
        &claims.app_id,
        Family::Mde,
        1.0,
        users,
        Instant::now(),
    ) {
        let secs = th.retry_after.unwrap_or(60);
        return plain(mde_error(ctx, 429, "TooManyRequests", &format!("API calls quota exceeded! Maximum allowed 100 per 60 seconds and 1500 per 3600 seconds. Try again in {secs} seconds.")).header("Retry-After", secs.to_string()));
    }
    let decision = write(&tenant)
        .faults
        .decide("GET", &format!("/api/{}", segs.join("/")));
    if let Some(FaultAction::Error(status)) = decision.action {
        let r = mde_error(ctx, status, "InternalServerError", "An injected server failure.");
        return Outcome {
            latency: decision.latency,
            fault: decision.action,
            ..plain(r)
        };
    }
    let reply = {
        let t = read(&tenant);
        list(ctx, &t, &ep, req)
    };
    Outcome {
        latency: decision.latency,
        fault: decision.action,
        ..plain(reply)
    }
}

fn list(ctx: &Ctx, t: &Tenant, ep: &Endpoint, req: &ApiRequest) -> Reply {
    let q = Query::parse(req.query.as_deref());
    let context = format!("{}/api/$metadata#{}", ctx.base, ep.entity);
    let items = match data(t, ep.entity) {
        Data::Score(mut v) => {
            v["@odata.context"] = json!(format!("{context}/$entity"));
            return Reply::json(200, &v);
        }
        other => other,
    };
    let top = match q.top.as_deref().map(str::parse::<u32>) {
        None => ep.max_top,
        Some(Ok(n)) if n >= 1 && n <= ep.max_top => n,
        Some(_) => {
            return mde_error(
                ctx,
                400,
                "InvalidInput",
                &format!("Invalid $top value. The maximum page size is {}.", ep.max_top),
            );
        }
    };
    let skip: u32 = match q.skip.as_deref().map(str::parse::<u32>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return mde_error(ctx, 400, "InvalidInput", "Invalid $skip value."),
    };
    let filter = match q.filter.as_deref() {
        None => None,
        Some(f) => match parse_filter(f) {
            Some(p) => Some(p),
            None => return mde_error(ctx, 400, "ODataError", &format!("Invalid filter clause: {f}")),
        },
    };
    let keep = |v: &Value| filter.as_ref().is_none_or(|f| f.matches(v));
    let mut value = Vec::new();
    let mut more = false;
    match items {
        Data::Items(all) => {
            let matching: Vec<Value> = all.into_iter().filter(|v| keep(v)).collect();
            let s = (skip as usize).min(matching.len());
            let e = (s + top as usize).min(matching.len());
            value.extend_from_slice(&matching[s..e]);
            more = e < matching.len();
        }
        Data::Virtual(len, get) => {
            // $skip counts matching items, as MDE's OData layer does; the generated lists are
            // dense, so without a filter the skip is a position.
            let mut seen = if filter.is_none() { skip.min(len) } else { 0 };
            let mut pos = seen;
            while pos < len {
                if let Some(v) = get(t, pos).filter(|v| keep(v)) {
                    if seen >= skip {
                        if value.len() == top as usize {
                            more = true;
                            break;
                        }
                        value.push(v);
                    }
                    seen += 1;
                }
                pos += 1;
            }
        }
        Data::Score(_) => {}
    }
    if ep.entity == "Machines" && value.is_empty() && skip == 0 {
        return mde_error(ctx, 404, "ResourceNotFound", "No recent machines found.");
    }
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context));
    body.insert("value".into(), Value::Array(value));
    if more {
        let mut carried: Vec<(String, String)> = q
            .carried
            .iter()
            .filter(|(k, _)| !k.trim_start_matches('$').eq_ignore_ascii_case("skip"))
            .cloned()
            .collect();
        carried.push(("$skip".into(), skip.saturating_add(top).to_string()));
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &carried {
            ser.append_pair(k, v);
        }
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{}?{}",
                ctx.base,
                req.path,
                ser.finish().replace('+', "%20")
            )),
        );
    }
    Reply::json(200, &Value::Object(body))
}
