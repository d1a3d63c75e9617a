//! Exchange Online's admin REST endpoint (`POST /adminapi/beta/{tenant}/InvokeCommand`), the API
//! behind the ExchangeOnlineManagement module: a cmdlet name and parameters in, the cmdlet's
//! objects out as OData `value` pages with `@odata.nextLink` (followed with the same body).
//! Refusals follow what clients see: a token without `Exchange.ManageAsApp`, an app without an
//! Exchange role ("User is not allowed to call Get-…"), an unknown cmdlet, a throttled caller.

use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::faults::FaultAction;
use crate::http::auth::authenticate;
use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, Reply};
use crate::permissions::{Resource, satisfies};
use crate::state::{SimState, read, write};
use crate::throttle::Family;

/// The organization mailbox app-only callers anchor on.
pub const SYSTEM_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
/// Page size when the caller sends no `Prefer: odata.maxpagesize`.
const DEFAULT_PAGE: usize = 1000;

/// The admin API's error body: OData's `error` with an `innererror` naming the exception type.
pub fn exo_error(ctx: &Ctx, status: u16, code: &str, message: &str, kind: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "error": { "code": code, "message": message, "innererror": {
            "message": message, "type": kind, "request-id": ctx.request_id,
        }}}),
    )
    .header("request-id", ctx.request_id.clone())
}

fn page_size(req: &ApiRequest) -> usize {
    req.header("Prefer")
        .into_iter()
        .flat_map(|p| p.split(','))
        .filter_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .filter_map(|n| n.trim().parse::<usize>().ok())
        .next()
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, DEFAULT_PAGE)
}

fn skip_token(req: &ApiRequest) -> Option<Result<usize, ()>> {
    url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("$skiptoken"))
        .map(|(_, v)| v.parse::<usize>().map_err(|_| ()))
}

pub fn handle(state: &SimState, ctx: &Ctx, req: &ApiRequest) -> Outcome {
    let segs: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let url_tenant = match segs.as_slice() {
        [a, b, tenant, op]
            if a.eq_ignore_ascii_case("adminapi")
                && b.eq_ignore_ascii_case("beta")
                && op.eq_ignore_ascii_case("InvokeCommand") =>
        {
            (*tenant).to_owned()
        }
        _ => {
            return Outcome::plain(exo_error(
                ctx,
                404,
                "NotFound",
                &format!("The resource {} was not found.", req.path),
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            ));
        }
    };
    let (tenant, claims) = match authenticate(state, &req.headers, Resource::Exchange) {
        Ok(a) => a,
        Err(_) => {
            return Outcome::plain(
                exo_error(
                    ctx,
                    401,
                    "Unauthorized",
                    "The access token is missing, invalid, expired or not issued for https://outlook.office365.com.",
                    "Microsoft.Exchange.Security.Authorization.AuthenticationException",
                )
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\""),
            );
        }
    };
    let mut label = "exo InvokeCommand".to_owned();
    let plain = |reply: Reply, label: &str| Outcome {
        tenant: Some(tenant.clone()),
        api_label: label.to_owned(),
        ..Outcome::plain(reply)
    };
    if req.method != http::Method::POST {
        return plain(
            exo_error(
                ctx,
                405,
                "MethodNotAllowed",
                "InvokeCommand accepts POST only.",
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            ),
            &label,
        );
    }
    let (tid, domain, role, mode, users) = {
        let t = read(&tenant);
        (
            t.id.to_string(),
            t.domain.clone(),
            t.exchange_role,
            t.throttling,
            t.layout.users,
        )
    };
    if !(url_tenant.eq_ignore_ascii_case(&tid) || url_tenant.eq_ignore_ascii_case(&domain)) {
        return plain(
            exo_error(
                ctx,
                400,
                "BadRequest",
                &format!(
                    "The organization '{url_tenant}' in the URL is not the organization of the access token."
                ),
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            ),
            &label,
        );
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return plain(
                exo_error(
                    ctx,
                    400,
                    "BadRequest",
                    &format!("The request body is not valid JSON: {e}"),
                    "Microsoft.OData.ODataException",
                ),
                &label,
            );
        }
    };
    let Some(cmdlet) = body
        .pointer("/CmdletInput/CmdletName")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return plain(
            exo_error(
                ctx,
                400,
                "BadRequest",
                "The request body must hold CmdletInput.CmdletName.",
                "Microsoft.OData.ODataException",
            ),
            &label,
        );
    };
    let parameters = body
        .pointer("/CmdletInput/Parameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    label = format!("exo {cmdlet}");
    // App-only callers anchor on the organization's system mailbox, by tenant id or initial domain.
    let anchor_ok = req.header("X-AnchorMailbox").is_some_and(|a| {
        a.eq_ignore_ascii_case(&format!("APP:{SYSTEM_MAILBOX}@{tid}"))
            || a.eq_ignore_ascii_case(&format!("UPN:{SYSTEM_MAILBOX}@{domain}"))
    });
    if !anchor_ok {
        return plain(
            exo_error(
                ctx,
                400,
                "BadRequest",
                "The X-AnchorMailbox header is missing or does not name the organization's system mailbox.",
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            ),
            &label,
        );
    }
    if !satisfies(&claims.roles, crate::permissions::EXCHANGE_NEEDED) {
        return plain(
            exo_error(
                ctx,
                401,
                "Unauthorized",
                "The access token does not hold the application permission Exchange.ManageAsApp of Office 365 Exchange Online.",
                "Microsoft.Exchange.Security.Authorization.AuthorizationException",
            )
            .header("WWW-Authenticate", "Bearer error=\"insufficient_claims\""),
            &label,
        );
    }
    if !role {
        let msg = format!("User is not allowed to call {cmdlet}");
        return plain(
            exo_error(
                ctx,
                401,
                "Unauthorized",
                &msg,
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            ),
            &label,
        );
    }
    if let Some(th) = state.throttle.lock().unwrap_or_else(|e| e.into_inner()).charge(
        mode,
        &tid,
        &claims.app_id,
        Family::Exchange,
        1.0,
        users,
        Instant::now(),
    ) {
        let secs = th.retry_after.unwrap_or(60);
        return plain(
            exo_error(
                ctx,
                429,
                "TooManyRequests",
                &format!(
                    "Too many requests from the application {}. Retry after {secs} seconds.",
                    claims.app_id
                ),
                "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            )
            .header("Retry-After", secs.to_string()),
            &label,
        );
    }
    let decision = write(&tenant)
        .faults
        .decide("POST", &format!("/InvokeCommand/{cmdlet}"));
    if let Some(FaultAction::Error(status)) = decision.action {
        let r = exo_error(
            ctx,
            status,
            "InternalServerError",
            "An injected server failure.",
            "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        );
        return Outcome {
            latency: decision.latency,
            fault: decision.action,
            ..plain(r, &label)
        };
    }
    let items = read(&tenant).exo_cmdlet_output(&cmdlet, &parameters);
    let Some(items) = items else {
        let msg = format!(
            "The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program."
        );
        return plain(
            exo_error(
                ctx,
                400,
                "BadRequest",
                &msg,
                "System.Management.Automation.CommandNotFoundException",
            ),
            &label,
        );
    };
    let skip = match skip_token(req) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(())) => {
            return plain(
                exo_error(
                    ctx,
                    400,
                    "BadRequest",
                    "The $skiptoken is not valid.",
                    "Microsoft.OData.ODataException",
                ),
                &label,
            );
        }
    };
    let size = page_size(req);
    let start = skip.min(items.len());
    let end = (start + size).min(items.len());
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/adminapi/beta/{url_tenant}/$metadata#Collection(Exchange.GenericHashTable)",
            ctx.base
        )),
    );
    out.insert("value".into(), Value::Array(items[start..end].to_vec()));
    if end < items.len() {
        out.insert(
            "@odata.nextLink".into(),
            json!(format!("{}{}?$skiptoken={end}", ctx.base, req.path)),
        );
    }
    Outcome {
        latency: decision.latency,
        fault: decision.action,
        ..plain(
            Reply::odata(200, &Value::Object(out)).header("request-id", ctx.request_id.clone()),
            &label,
        )
    }
}
