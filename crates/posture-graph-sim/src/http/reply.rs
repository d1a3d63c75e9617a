//! Response building: Microsoft's headers and error body shapes for each API family.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};

use crate::clock::graph_date;

pub type Body = Full<Bytes>;
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const AGS: &str = r#"{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5","ScaleUnit":"003","RoleInstance":"AM2PEPF0001C7D1"}}"#;

/// Per-request facts every response needs.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub request_id: String,
    pub client_request_id: Option<String>,
    pub now: DateTime<Utc>,
    /// Scheme + host + routing prefix, e.g. `https://graph.microsoft.com` or `http://127.0.0.1:8080/graph`.
    pub base: String,
}

impl Ctx {
    pub fn client_request_id(&self) -> &str {
        self.client_request_id.as_deref().unwrap_or(&self.request_id)
    }
}

/// A response under construction; headers are added by the API family that sends it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub content_type: &'static str,
}

impl Reply {
    pub fn json(status: u16, v: &Value) -> Self {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            content_type: "application/json; charset=utf-8",
        }
    }

    pub fn odata(status: u16, v: &Value) -> Self {
        Reply {
            content_type: ODATA_JSON,
            ..Reply::json(status, v)
        }
    }

    pub fn empty(status: u16) -> Self {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            headers: Vec::new(),
            body: Bytes::new(),
            content_type: "",
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Adds the headers Graph puts on every response.
    pub fn graph_headers(self, ctx: &Ctx) -> Self {
        if self.header_value("request-id").is_some() {
            return self;
        }
        self.header("request-id", ctx.request_id.clone())
            .header("client-request-id", ctx.client_request_id().to_string())
            .header("x-ms-ags-diagnostic", AGS)
            .header("Strict-Transport-Security", "max-age=31536000")
            .header("OData-Version", "4.0")
            .header("Cache-Control", "no-cache")
            .header("Vary", "Accept-Encoding")
    }

    pub fn into_response(self, ctx: &Ctx) -> Response<Body> {
        let mut resp = Response::new(Full::new(self.body));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        if !self.content_type.is_empty() {
            h.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
        }
        if let Ok(v) = HeaderValue::from_str(&http_date(ctx.now)) {
            h.insert(http::header::DATE, v);
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                h.append(n, v);
            }
        }
        resp
    }
}

pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Graph's error body with its innerError.
pub fn graph_error_body(ctx: &Ctx, code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "innerError": {
        "date": graph_date(ctx.now), "request-id": ctx.request_id, "client-request-id": ctx.client_request_id(),
    }}})
}

pub fn graph_error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, &graph_error_body(ctx, code, message)).graph_headers(ctx)
}

/// Defender for Endpoint's error body: `{"error":{"code","message","target"}}`.
pub fn mde_error(ctx: &Ctx, status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "error": { "code": code, "message": message, "target": ctx.request_id } }),
    )
}

/// The Management Activity API's error body.
pub fn manage_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": { "code": code, "message": message } }))
}
