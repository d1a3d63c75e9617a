//! What passes between the router and the API handlers: the request with its routing prefix
//! stripped and its body read, and the handler's outcome. It sits below both so that the
//! handlers never depend on the router that calls them.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

use super::reply::Reply;
use crate::faults::FaultAction;
use crate::state::TenantRef;

/// One request to a simulated API, body read; `path` is relative to the API's root.
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// What an API handler decided; the router applies the latency and fault and logs the request
/// against `tenant`.
pub struct Outcome {
    pub reply: Reply,
    pub tenant: Option<TenantRef>,
    pub latency: Option<Duration>,
    pub fault: Option<FaultAction>,
    pub api_label: String,
}

impl Outcome {
    pub fn plain(reply: Reply) -> Self {
        Outcome {
            reply,
            tenant: None,
            latency: None,
            fault: None,
            api_label: String::new(),
        }
    }
}
