//! The identity platform's error responses: an AADSTS code with Microsoft's
//! `error_description` text, trace and correlation ids. Both the discovery endpoints and the
//! token grant report errors this way.

use serde_json::json;

use crate::http::reply::{Ctx, Reply};

pub(crate) struct TokenError {
    pub(crate) status: u16,
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) message: String,
}

pub(crate) fn err(status: u16, error: &'static str, code: u32, message: impl Into<String>) -> TokenError {
    TokenError {
        status,
        error,
        code,
        message: message.into(),
    }
}

pub(super) fn error_reply(ctx: &Ctx, e: TokenError) -> Reply {
    let ts = ctx.now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = ctx
        .client_request_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let description = format!(
        "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {}",
        e.code,
        e.message,
        ctx.now.format("%Y-%m-%d %H:%M:%S%.3fZ")
    );
    Reply::json(
        e.status,
        &json!({
            "error": e.error, "error_description": description, "error_codes": [e.code], "timestamp": ts,
            "trace_id": trace, "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", e.code),
        }),
    )
    .header("x-ms-request-id", trace)
    .header("Cache-Control", "no-store, no-cache")
}
