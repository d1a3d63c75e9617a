//! Microsoft Graph v1.0: version check, bearer-token authentication and `$batch`; each request
//! then goes through `pipeline` (permission and licence gates, throttling, faults) to the
//! collection handlers.

pub mod apps;
pub mod batch;
pub mod delta;
pub mod endpoints;
pub mod errors;
pub mod fast;
pub mod paging;
pub mod pipeline;
pub mod query;
pub mod routes;
pub mod run;
pub mod select;

use http::Method;

use crate::http::auth::authenticate;
use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, graph_error};
use crate::permissions::Resource;
use crate::state::SimState;
use pipeline::execute;

pub fn handle(state: &SimState, ctx: &Ctx, req: &ApiRequest) -> Outcome {
    let path = req.path.trim_start_matches('/');
    let (version, rest) = path.split_once('/').unwrap_or((path, ""));
    if version != "v1.0" && version != "beta" {
        return Outcome::plain(graph_error(
            ctx,
            400,
            "BadRequest",
            &format!("Invalid version: {version}"),
        ));
    }
    let (tenant, claims) = match authenticate(state, &req.headers, Resource::Graph) {
        Ok(a) => a,
        Err(f) => {
            let reply = graph_error(ctx, 401, "InvalidAuthenticationToken", f.graph_message())
                .header("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
            return Outcome {
                api_label: "graph unauthenticated".into(),
                ..Outcome::plain(reply)
            };
        }
    };
    if rest.eq_ignore_ascii_case("$batch") {
        if req.method != Method::POST {
            return Outcome {
                tenant: Some(tenant),
                ..Outcome::plain(graph_error(
                    ctx,
                    405,
                    "Request_BadRequest",
                    "The HTTP method is not allowed for $batch.",
                ))
            };
        }
        let reply = batch::run(state, ctx, &tenant, &claims, &req.body);
        return Outcome {
            reply,
            tenant: Some(tenant),
            latency: None,
            fault: None,
            api_label: "graph $batch".into(),
        };
    }
    let ex = execute(
        state,
        ctx,
        &tenant,
        &claims,
        &req.method,
        rest,
        req.query.as_deref(),
        &req.headers,
        &req.body,
    );
    Outcome {
        reply: ex.reply,
        tenant: Some(tenant),
        latency: ex.latency,
        fault: ex.fault,
        api_label: ex.label,
    }
}
