//! JSON batching: up to 20 requests, unique case-insensitive ids, dependsOn with 424 on a failed
//! dependency, each item throttled on its own, a 200 envelope with items in no fixed order.

use std::collections::{HashMap, HashSet};

use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Map, Value, json};

use super::pipeline::execute;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::ids;
use crate::state::{AccessClaims, SimState, TenantRef};

const MAX_ITEMS: usize = 20;

struct Item {
    id: String,
    method: String,
    url: String,
    headers: HeaderMap,
    depends_on: Vec<String>,
    /// The step's JSON body (actions such as runHuntingQuery), serialised again for the handler.
    body: Vec<u8>,
}

fn parse_items(body: &[u8]) -> Result<Vec<Item>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("Invalid batch payload format: {e}"))?;
    let requests = v
        .get("requests")
        .and_then(Value::as_array)
        .ok_or("Invalid batch payload format: 'requests' array is missing.")?;
    if requests.len() > MAX_ITEMS {
        return Err(format!(
            "Number of batch request steps exceeds the maximum value of {MAX_ITEMS}."
        ));
    }
    let mut out = Vec::new();
    for r in requests {
        let id = match r.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("Every batch request needs an 'id'.".into()),
        };
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Batch request '{id}' has no 'method'."))?
            .to_ascii_uppercase();
        let url = r
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Batch request '{id}' has no 'url'."))?
            .to_string();
        let mut headers = HeaderMap::new();
        if let Some(h) = r.get("headers").and_then(Value::as_object) {
            for (k, val) in h {
                if let (Ok(name), Some(Ok(value))) = (
                    http::HeaderName::from_bytes(k.as_bytes()),
                    val.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        let depends_on = r
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let body = r
            .get("body")
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        out.push(Item {
            id,
            method,
            url,
            headers,
            depends_on,
            body,
        });
    }
    Ok(out)
}

pub fn run(state: &SimState, ctx: &Ctx, tenant: &TenantRef, claims: &AccessClaims, body: &[u8]) -> Reply {
    let items = match parse_items(body) {
        Ok(i) => i,
        Err(m) => return graph_error(ctx, 400, "BadRequest", &m),
    };
    let mut seen = HashSet::new();
    for it in &items {
        if !seen.insert(it.id.to_ascii_lowercase()) {
            return graph_error(
                ctx,
                400,
                "BadRequest",
                &format!(
                    "Batch request ids must be unique: the id '{}' is used more than once (ids are compared case-insensitively).",
                    it.id
                ),
            );
        }
    }
    for it in &items {
        for d in &it.depends_on {
            if !seen.contains(&d.to_ascii_lowercase()) {
                return graph_error(
                    ctx,
                    400,
                    "BadRequest",
                    &format!(
                        "Batch request '{}' depends on '{d}', which is not in the batch.",
                        it.id
                    ),
                );
            }
        }
    }
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses: Vec<Value> = Vec::new();
    // Items run in dependency order; a cycle leaves items that fail as dependencies.
    let mut pending: Vec<&Item> = items.iter().collect();
    while !pending.is_empty() {
        let ready: Vec<usize> = pending
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                it.depends_on
                    .iter()
                    .all(|d| statuses.contains_key(&d.to_ascii_lowercase()))
            })
            .map(|(i, _)| i)
            .collect();
        let batch_now: Vec<usize> = if ready.is_empty() {
            (0..pending.len()).collect()
        } else {
            ready
        };
        let mut next_pending = Vec::new();
        for (i, it) in pending.into_iter().enumerate() {
            if !batch_now.contains(&i) {
                next_pending.push(it);
                continue;
            }
            let failed_dep = it
                .depends_on
                .iter()
                .any(|d| statuses.get(&d.to_ascii_lowercase()).is_none_or(|s| *s >= 400));
            let item_ctx = Ctx {
                request_id: uuid::Uuid::new_v4().to_string(),
                ..ctx.clone()
            };
            let (status, headers, body) = if failed_dep {
                (
                    424,
                    json!({ "Content-Type": "application/json" }),
                    json!({ "error": { "code": "FailedDependency", "message": "The dependency failed." } }),
                )
            } else {
                execute_item(state, &item_ctx, tenant, claims, it)
            };
            statuses.insert(it.id.to_ascii_lowercase(), status);
            responses.push(json!({ "id": it.id, "status": status, "headers": headers, "body": body }));
        }
        pending = next_pending;
    }
    // Responses come back in no particular order, as Graph's do.
    responses.sort_by_key(|r| {
        ids::hash3(
            ctx.now.timestamp() as u64,
            "batch-order",
            ids::hash3(0, r["id"].as_str().unwrap_or(""), 0),
        )
    });
    Reply::json(200, &json!({ "responses": responses })).graph_headers(ctx)
}

fn execute_item(
    state: &SimState,
    ctx: &Ctx,
    tenant: &TenantRef,
    claims: &AccessClaims,
    it: &Item,
) -> (u16, Value, Value) {
    let url = it.url.trim_start_matches('/');
    let url = url
        .strip_prefix("v1.0/")
        .or_else(|| url.strip_prefix("beta/"))
        .unwrap_or(url);
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let method = Method::from_bytes(it.method.as_bytes()).unwrap_or(Method::GET);
    let ex = execute(
        state,
        ctx,
        tenant,
        claims,
        &method,
        path,
        query,
        &it.headers,
        &it.body,
    );
    let mut headers = Map::new();
    if !ex.reply.content_type.is_empty() {
        headers.insert("Content-Type".into(), json!(ex.reply.content_type));
    }
    for name in [
        "Retry-After",
        "Location",
        "x-ms-resource-unit",
        "x-ms-throttle-scope",
        "x-ms-throttle-information",
    ] {
        if let Some(v) = ex.reply.header_value(name) {
            headers.insert(name.into(), json!(v));
        }
    }
    let body = serde_json::from_slice::<Value>(&ex.reply.body)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&ex.reply.body)));
    (ex.reply.status.as_u16(), Value::Object(headers), body)
}
