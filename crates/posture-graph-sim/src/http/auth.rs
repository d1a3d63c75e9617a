//! Bearer token validation shared by Graph, Defender for Endpoint, the Management API and
//! Exchange Online's admin API.

use http::HeaderMap;
use serde_json::Value;

use crate::permissions::Resource;
use crate::state::{AccessClaims, SimState, TenantRef};

#[derive(Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongAudience,
    UnknownTenant,
}

impl AuthFailure {
    /// Graph's message for this failure.
    pub fn graph_message(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "Access token is empty.",
            AuthFailure::Malformed => "CompactToken parsing failed with error code: 80049217",
            AuthFailure::BadSignature => "Access token validation failure. Invalid signature.",
            AuthFailure::Expired => "Lifetime validation failed, the token is expired.",
            AuthFailure::WrongAudience => "Access token validation failure. Invalid audience.",
            AuthFailure::UnknownTenant => {
                "Access token validation failure. The tenant of the token is not known."
            }
        }
    }
}

/// Validates the bearer token for `resource` against the sim clock.
pub fn authenticate(
    state: &SimState,
    headers: &HeaderMap,
    resource: Resource,
) -> Result<(TenantRef, AccessClaims), AuthFailure> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    if token.is_empty() {
        return Err(AuthFailure::Missing);
    }
    let cached = state
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .cloned();
    let claims = match cached {
        Some(c) => c,
        None => {
            let jwt = crate::jwt::parse(token).ok_or(AuthFailure::Malformed)?;
            let key = crate::jwt::token_key().map_err(|_| AuthFailure::BadSignature)?;
            if !crate::jwt::verify_rs256(&key.public, &jwt) {
                return Err(AuthFailure::BadSignature);
            }
            let c = &jwt.claims;
            let aud = c.get("aud").and_then(Value::as_str).unwrap_or_default();
            let res = [
                Resource::Graph,
                Resource::Mde,
                Resource::Manage,
                Resource::Exchange,
            ]
            .into_iter()
            .find(|r| r.audience() == aud)
            .ok_or(AuthFailure::WrongAudience)?;
            AccessClaims {
                tenant: c
                    .get("tid")
                    .and_then(Value::as_str)
                    .and_then(|t| uuid::Uuid::parse_str(t).ok())
                    .ok_or(AuthFailure::Malformed)?,
                app_id: c
                    .get("appid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                resource: res,
                roles: c
                    .get("roles")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
                exp: c.get("exp").and_then(Value::as_i64).unwrap_or(0),
                nbf: c.get("nbf").and_then(Value::as_i64).unwrap_or(0),
            }
        }
    };
    if claims.resource != resource {
        return Err(AuthFailure::WrongAudience);
    }
    let now = state.clock.now().timestamp();
    if now >= claims.exp || now + 300 < claims.nbf {
        return Err(AuthFailure::Expired);
    }
    let tenant = state
        .tenant(&claims.tenant.to_string())
        .ok_or(AuthFailure::UnknownTenant)?;
    Ok((tenant, claims))
}
