//! The admin API under `/_sim/`: tenants, credentials, mutations, faults, throttling, request
//! log and counters, ground truth, expectations and the sim clock. JSON in and out; bad
//! requests get a 400 saying what is wrong.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::SimError;
use crate::faults::validate_faults;
use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, Reply};
use crate::spec::{FaultSpec, Mutation, Profile, TenantSpec, ThrottleMode};
use crate::state::{SimState, read, write};
use crate::tenant::credentials;
use crate::truth::{COLLECTIONS, ground_truth};

fn bad(message: impl Into<String>) -> Reply {
    Reply::json(400, &json!({ "error": message.into() }))
}

fn from_sim_error(e: SimError) -> Reply {
    match e {
        SimError::UnknownTenant(_) | SimError::NotFound { .. } => {
            Reply::json(404, &json!({ "error": e.to_string() }))
        }
        other => bad(other.to_string()),
    }
}

fn body<T: DeserializeOwned>(req: &ApiRequest, empty_ok: bool) -> Result<T, Reply> {
    let bytes: &[u8] = if req.body.is_empty() && empty_ok {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(bytes).map_err(|e| bad(format!("request body is not valid: {e}")))
}

fn ok(v: &impl serde::Serialize) -> Reply {
    Reply::json(200, &serde_json::to_value(v).unwrap_or(Value::Null))
}

pub fn handle(state: &SimState, _ctx: &Ctx, req: &ApiRequest) -> Outcome {
    Outcome::plain(route(state, req).unwrap_or_else(|r| r))
}

fn route(state: &SimState, req: &ApiRequest) -> Result<Reply, Reply> {
    let segs: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .skip(1)
        .filter(|s| !s.is_empty())
        .collect();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let m = req.method.as_str();
    let tenant = |id: &str| state.tenant_or_err(id).map_err(from_sim_error);
    Ok(match (m, segs.as_slice()) {
        ("GET", ["health"]) => ok(&json!({ "status": "ok" })),
        ("GET", ["profiles"]) => ok(&Profile::ALL
            .iter()
            .map(|p| json!({ "profile": p, "controls": crate::profiles::expectations(*p) }))
            .collect::<Vec<_>>()),
        ("GET", ["collections"]) => ok(&COLLECTIONS),
        ("GET", ["clock"]) => ok(&json!({ "now": state.clock.now(), "epoch": state.clock.epoch() })),
        ("POST", ["clock", "advance"]) => {
            let v: Value = body(req, false)?;
            let secs = v
                .get("seconds")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("expected {\"seconds\": <non-negative integer>}"))?;
            state.clock.advance(std::time::Duration::from_secs(secs));
            ok(&json!({ "now": state.clock.now() }))
        }
        ("GET", ["requests"]) => ok(&state
            .unattributed_log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>()),
        ("GET", ["tenants"]) => ok(&state
            .all_tenants()
            .iter()
            .map(|t| read(t).info())
            .collect::<Vec<_>>()),
        ("POST", ["tenants"]) => {
            let spec: TenantSpec = body(req, true)?;
            ok(&state.create_tenant(spec).map_err(from_sim_error)?)
        }
        ("GET", ["tenants", id]) => ok(&read(&tenant(id)?).info()),
        ("GET", ["tenants", id, "expectations"]) => ok(&read(&tenant(id)?).expectations()),
        ("POST", ["tenants", id, "certificates"]) => {
            let v: Value = body(req, false)?;
            let pem = v
                .get("pem")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("expected {\"pem\": \"-----BEGIN CERTIFICATE-----...\"}"))?;
            let t = tenant(id)?;
            let info = credentials::register_certificate(&mut write(&t), pem).map_err(from_sim_error)?;
            ok(&info)
        }
        ("POST", ["tenants", id, "secrets"]) => {
            let v: Value = body(req, true)?;
            let days = v.get("expires_in_days").and_then(Value::as_i64).unwrap_or(365);
            credentials::check_secret_days(days).map_err(from_sim_error)?;
            let t = tenant(id)?;
            let now = state.clock.now();
            ok(&credentials::add_secret(&mut write(&t), days, now))
        }
        ("POST", ["tenants", id, "mutations"]) => {
            let mutation: Mutation = body(req, false)?;
            let t = tenant(id)?;
            let now = state.clock.now();
            let result = write(&t).apply(mutation, now).map_err(from_sim_error)?;
            ok(&result)
        }
        ("GET", ["tenants", id, "faults"]) => ok(&read(&tenant(id)?).faults.spec),
        ("PUT", ["tenants", id, "faults"]) => {
            let spec: FaultSpec = body(req, false)?;
            validate_faults(&spec).map_err(from_sim_error)?;
            write(&tenant(id)?).faults.set(spec.clone());
            ok(&spec)
        }
        ("PUT", ["tenants", id, "throttling"]) => {
            let mode: ThrottleMode = body(req, false)?;
            write(&tenant(id)?).throttling = mode;
            ok(&mode)
        }
        ("GET", ["tenants", id, "requests"]) => {
            ok(&read(&tenant(id)?).log.iter().cloned().collect::<Vec<_>>())
        }
        ("DELETE", ["tenants", id, "requests"]) => {
            let t = tenant(id)?;
            let mut w = write(&t);
            w.log.clear();
            w.counters.clear();
            ok(&json!({ "cleared": true }))
        }
        ("GET", ["tenants", id, "counters"]) => ok(&read(&tenant(id)?).counters),
        ("GET", ["tenants", id, "truth"]) => {
            let collection = param("collection").ok_or_else(|| {
                bad(format!(
                    "missing ?collection=; one of: {}",
                    COLLECTIONS.join(", ")
                ))
            })?;
            let t = tenant(id)?;
            let mut truth = ground_truth(&read(&t), &collection).ok_or_else(|| {
                bad(format!(
                    "unknown collection '{collection}'; one of: {}",
                    COLLECTIONS.join(", ")
                ))
            })?;
            if param("objects").as_deref() == Some("false") {
                truth.objects.clear();
            }
            ok(&truth)
        }
        _ => {
            return Err(Reply::json(
                404,
                &json!({ "error": format!("no admin endpoint {m} {}", req.path) }),
            ));
        }
    })
}
