//! Routing of every request: by Microsoft host name, else by path prefix on the local port;
//! then fault effects (latency, dropped connection, broken JSON) and the request log.

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::Notify;

use super::exchange::{ApiRequest, Outcome};
use super::reply::{Body, Ctx, graph_error};
use crate::faults::FaultAction;
use crate::ids::object_id;
use crate::spec::RequestRecord;
use crate::state::{SimState, write};

/// Which API a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Login,
    Graph,
    Mde,
    Manage,
    Exchange,
    Admin,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Login => "login",
            Api::Graph => "graph",
            Api::Mde => "mde",
            Api::Manage => "manage",
            Api::Exchange => "exo",
            Api::Admin => "admin",
        }
    }
}

fn classify_host(host: &str) -> Option<Api> {
    let h = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    match h.as_str() {
        "login.microsoftonline.com"
        | "login.microsoftonline.us"
        | "login.chinacloudapi.cn"
        | "login.windows.net"
        | "login.microsoft.com" => Some(Api::Login),
        "graph.microsoft.com"
        | "graph.microsoft.us"
        | "dod-graph.microsoft.us"
        | "microsoftgraph.chinacloudapi.cn" => Some(Api::Graph),
        "manage.office.com" | "manage-gcc.office.com" | "manage.office365.us" => Some(Api::Manage),
        "outlook.office365.com" | "outlook.office365.us" | "webmail.apps.mil" | "partner.outlook.cn" => {
            Some(Api::Exchange)
        }
        _ if h.ends_with("api.security.microsoft.com")
            || h.ends_with("securitycenter.microsoft.com")
            || h.ends_with("securitycenter.microsoft.us") =>
        {
            Some(Api::Mde)
        }
        _ => None,
    }
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev = false;
    for c in path.chars() {
        if c == '/' {
            if !prev {
                out.push(c);
            }
            prev = true;
        } else {
            out.push(c);
            prev = false;
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

/// Splits `/prefix/rest` for local routing.
fn by_prefix(path: &str) -> Option<(Api, &'static str, String)> {
    for (prefix, api) in [
        ("/login", Api::Login),
        ("/graph", Api::Graph),
        ("/mde", Api::Mde),
        ("/manage", Api::Manage),
        ("/exo", Api::Exchange),
        ("/_sim", Api::Admin),
    ] {
        if let Some(rest) = path.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let rest = if rest.is_empty() {
                "/".to_string()
            } else {
                rest.to_string()
            };
            let rest = if api == Api::Admin {
                format!("/_sim{rest}")
            } else {
                rest
            };
            return Some((api, prefix, rest));
        }
    }
    None
}

const MAX_BODY: usize = 16 * 1024 * 1024;

pub async fn handle(
    state: Arc<SimState>,
    req: hyper::Request<Incoming>,
    tls: bool,
    drop_signal: Arc<Notify>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let n = state.next_request_number();
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = parts
        .uri
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "localhost".into());
    let scheme = if tls { "https" } else { "http" };
    let path = collapse_slashes(parts.uri.path());
    let mut ctx = Ctx {
        request_id: object_id(0x5151, "request", (n & 0xFFFF_FFFF) as u32).to_string(),
        client_request_id,
        now: state.clock.now(),
        base: format!("{scheme}://{host}"),
    };
    let (api, rest) = match classify_host(&host) {
        Some(api) if api != Api::Admin && !path.starts_with("/_sim") => (Some(api), path.clone()),
        _ => match by_prefix(&path) {
            Some((api, prefix, rest)) => {
                if api != Api::Admin {
                    ctx.base = format!("{scheme}://{host}{prefix}");
                }
                (Some(api), rest)
            }
            None => (None, path.clone()),
        },
    };
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return graph_error(
                &ctx,
                413,
                "Request_EntityTooLarge",
                "The request body is too large or could not be read.",
            )
            .into_response(&ctx);
        }
    };
    let request = ApiRequest {
        method: parts.method.clone(),
        path: rest,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };
    let outcome = match api {
        Some(Api::Login) => crate::identity::handle(&state, &ctx, &request),
        Some(Api::Graph) => crate::graph::handle(&state, &ctx, &request),
        Some(Api::Mde) => crate::mde::handle(&state, &ctx, &request),
        Some(Api::Manage) => crate::activity::handle(&state, &ctx, &request),
        Some(Api::Exchange) => crate::exo::handle(&state, &ctx, &request),
        Some(Api::Admin) => crate::admin::handle(&state, &ctx, &request),
        None => Outcome::plain(graph_error(
            &ctx,
            404,
            "UnknownUrl",
            "Unsupported request: the URL does not match any API served here (use /graph, /login, /mde, /manage, /exo or /_sim, or a Microsoft host name).",
        )),
    };
    finish(
        &state,
        &ctx,
        &request,
        api.unwrap_or(Api::Graph),
        outcome,
        drop_signal,
    )
    .await
}

async fn finish(
    state: &SimState,
    ctx: &Ctx,
    request: &ApiRequest,
    api: Api,
    outcome: Outcome,
    drop_signal: Arc<Notify>,
) -> Response<Body> {
    let Outcome {
        mut reply,
        tenant,
        latency,
        fault,
        api_label,
    } = outcome;
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    let dropped = fault == Some(FaultAction::Drop);
    match fault {
        Some(FaultAction::Malformed) => {
            reply.body = Bytes::from_static(b"{\"value\":[{\"id\":\"00000000-0000-0000-0000-000000000000\",\"displayName\":<html>Service Unavailable</html>");
        }
        Some(FaultAction::Truncate) => {
            let cut = reply.body.len() / 2;
            reply.body = reply.body.slice(..cut);
        }
        _ => {}
    }
    if api != Api::Admin {
        let record = RequestRecord {
            method: request.method.to_string(),
            path: request.path_and_query(),
            api: if api_label.is_empty() {
                format!("{} {}", api.as_str(), request.path)
            } else {
                api_label
            },
            status: if dropped { 0 } else { reply.status.as_u16() },
            time: ctx.now,
            client_request_id: ctx.client_request_id.clone(),
            retry_after: reply.header_value("Retry-After").map(str::to_string),
            fault: fault.map(|f| format!("{f:?}")),
        };
        match &tenant {
            Some(t) => write(t).push_log(record),
            None => state.log_unattributed(record),
        }
    }
    if dropped {
        drop_signal.notify_one();
        std::future::pending::<()>().await;
    }
    reply.into_response(ctx)
}
