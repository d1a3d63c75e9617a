//! Graph error responses that depend on the backing service: missing permissions, throttling
//! and injected failures.

use serde_json::json;

use super::endpoints::Denial;
use crate::clock::graph_date;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::throttle::{Family, Throttled};

pub fn permission_denied(ctx: &Ctx, denial: Denial, accepted: &[&str], roles: &[String]) -> Reply {
    match denial {
        Denial::Directory => graph_error(
            ctx,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ),
        Denial::Intune => {
            // Intune wraps its own JSON document, serialised, inside `message`.
            let inner = format!(
                "{{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: {} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: {} - Url: https://fef.msub05.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices?api-version=2024-05-01\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{{}}\"\r\n}}",
                accepted.join(", "),
                ctx.request_id
            );
            graph_error(ctx, 403, "Forbidden", &inner)
        }
        Denial::Security => graph_error(
            ctx,
            403,
            "Forbidden",
            &format!(
                "Missing application roles. API required roles: {}, application roles: {}.",
                accepted.join(","),
                roles.join(",")
            ),
        ),
        Denial::SharePoint => graph_error(ctx, 403, "accessDenied", "Access denied"),
        Denial::ServiceHealth => graph_error(
            ctx,
            403,
            "UnknownError",
            &format!(
                "Missing role permissions on the request. API requires one of '{}'. Roles on the request '{}'.",
                accepted.join(", "),
                roles.join(", ")
            ),
        ),
        Denial::AuditLog => graph_error(
            ctx,
            403,
            "Authentication_MSGraphPermissionMissing",
            &format!(
                "Calling principal does not have required MSGraph permissions {}",
                accepted.first().copied().unwrap_or("AuditLog.Read.All")
            ),
        ),
    }
}

/// The 429 each family sends.
pub fn throttled(ctx: &Ctx, th: &Throttled, app: &str, tenant: &str) -> Reply {
    let secs = th.retry_after;
    let mut reply = match th.family {
        Family::Identity => graph_error(ctx, 429, "Request_ThrottledTemporarily", &format!("Your request is throttled temporarily. Please try after {} seconds.", secs.unwrap_or(1)))
            .header("x-ms-throttle-scope", format!("{}/ReadWrite/{app}/{tenant}", th.scope))
            .header("x-ms-throttle-information", "ResourceUnitLimitExceeded"),
        Family::ConditionalAccess => graph_error(ctx, 429, "TooManyRequests", "Too many requests.")
            .header("x-ms-throttle-scope", format!("Tenant/Read/{app}/{tenant}"))
            .header("x-ms-throttle-information", "CPULimitExceeded"),
        Family::Security => graph_error(ctx, 429, "TooManyRequests", "Too many requests from Identifier:West Europe under category:throttle.aad.ags.securityservice.dc.list. Please try again later."),
        Family::IntuneDevices | Family::IntuneConfiguration => graph_error(ctx, 429, "TooManyRequests", "{\r\n  \"_version\": 3,\r\n  \"Message\": \"Too many requests. Please retry after some time.\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}"),
        _ => Reply::json(429, &json!({ "error": { "code": "TooManyRequests", "message": "Please retry again later.", "innerError": {
            "code": "429", "date": graph_date(ctx.now), "message": "Please retry after", "request-id": ctx.request_id,
            "status": "429", "client-request-id": ctx.client_request_id(),
        }}}))
        .graph_headers(ctx),
    };
    if let Some(s) = secs {
        reply = reply.header("Retry-After", s.to_string());
    }
    reply
}

/// An injected server failure in Graph's shape.
pub fn injected(ctx: &Ctx, status: u16) -> Reply {
    let (code, message) = match status {
        429 => ("TooManyRequests", "Please retry again later."),
        500 => ("generalException", "General exception while processing."),
        502 => (
            "BadGateway",
            "The service is temporarily unavailable (bad gateway).",
        ),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        504 => (
            "GatewayTimeout",
            "The gateway did not receive a response in time.",
        ),
        507 => ("insufficientStorage", "Insufficient storage."),
        _ => ("UnknownError", "An injected failure."),
    };
    let reply = graph_error(ctx, status, code, message);
    if status == 429 || status == 503 {
        reply.header("Retry-After", "2")
    } else {
        reply
    }
}
