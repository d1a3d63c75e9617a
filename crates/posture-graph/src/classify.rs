//! Turns a failed HTTP answer (status, headers, body) from Graph, Defender for Endpoint, the
//! Management Activity API or Exchange Online's admin API into a `GraphError`. Decisions use the error `code`, as Microsoft asks;
//! the message is only read to recover permission names the code does not carry.

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use url::Url;

use crate::cloud::Resource;
use crate::error::{GraphError, Licence, RequestIds};

/// What the caller knows about the request that failed.
#[derive(Debug, Clone)]
pub struct FailureContext<'a> {
    pub tenant: &'a str,
    pub endpoint: &'a str,
    /// The API answered: a missing permission is granted on it.
    pub resource: Resource,
    /// Permissions the endpoint needs (from the entity catalog); empty when unknown.
    pub needs: &'a [&'static str],
    /// The licence the endpoint depends on, used when the service says "licence" without naming one.
    pub licence: Option<Licence>,
    pub ids: RequestIds,
}

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<InnerError>,
}

#[derive(Debug, Default, Deserialize)]
struct InnerError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
}

/// The `error.code`, inner code, message and request-id found in an error body, if any.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServiceErrorParts {
    pub code: String,
    pub inner_code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

pub fn parse_error_body(body: &[u8]) -> ServiceErrorParts {
    let Ok(env) = serde_json::from_slice::<Envelope>(body) else {
        return ServiceErrorParts::default();
    };
    let Some(err) = env.error else {
        return ServiceErrorParts::default();
    };
    let message = match err.message {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    ServiceErrorParts {
        code: err.code.unwrap_or_default(),
        inner_code: err.inner.as_ref().and_then(|i| i.code.clone()),
        message,
        request_id: err.inner.and_then(|i| i.request_id),
    }
}

/// Classify a final (not retried, or retries exhausted) failed response.
pub fn classify_failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    ctx: FailureContext<'_>,
) -> GraphError {
    let parts = parse_error_body(body);
    let mut ids = ctx.ids;
    if ids.request_id.is_none() {
        ids.request_id = parts.request_id.clone();
    }
    let endpoint = ctx.endpoint.to_owned();
    let code = parts.code.clone();
    let codes = [parts.code.as_str(), parts.inner_code.as_deref().unwrap_or("")];
    let has_code = |c: &str| codes.iter().any(|x| x.eq_ignore_ascii_case(c));
    let not_applicable = parts.message.contains("Request not applicable to target tenant");

    if has_code("syncStateNotFound") || has_code("resyncRequired") || status == StatusCode::GONE {
        let fresh_link = headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| Url::parse(s).ok());
        return GraphError::ResyncRequired { endpoint, fresh_link };
    }
    if has_code("Authentication_RequestFromNonPremiumTenantOrB2CTenant") {
        let licence = match ctx.licence {
            Some(l @ (Licence::EntraIdP1 | Licence::EntraIdP2)) => l,
            _ => Licence::EntraIdP1,
        };
        return GraphError::LicenceMissing {
            endpoint,
            licence,
            code,
            ids,
        };
    }
    if has_code("AadPremiumLicenseRequired") {
        return GraphError::LicenceMissing {
            endpoint,
            licence: Licence::EntraIdP2,
            code,
            ids,
        };
    }
    if not_applicable {
        return GraphError::LicenceMissing {
            endpoint,
            licence: Licence::Intune,
            code,
            ids,
        };
    }
    if has_code("DisabledFeature") {
        let licence = ctx.licence.unwrap_or(Licence::DefenderForEndpointP2);
        return GraphError::LicenceMissing {
            endpoint,
            licence,
            code,
            ids,
        };
    }
    // The Management Activity API answers 401 AF10001 both to a bad token and to a token without
    // ActivityFeed.Read; only the message ("The permission set (...) sent in the request does not
    // include the expected permission") tells the second apart.
    if status == StatusCode::UNAUTHORIZED
        && has_code("AF10001")
        && parts.message.contains("does not include the expected permission")
    {
        return permission(endpoint, ctx.resource, ctx.needs, &parts, ids);
    }
    if ctx.resource == Resource::ExchangeOnline
        && let Some(error) = crate::exchange::classify(status, &parts, &endpoint, ctx.needs, &ids)
    {
        return error;
    }
    match status.as_u16() {
        401 => GraphError::Authentication {
            tenant: ctx.tenant.to_owned(),
            aadsts: None,
            error: if code.is_empty() {
                "unauthorized".to_owned()
            } else {
                code
            },
            meaning: format!("{endpoint} rejected the access token ({ids})"),
        },
        403 => permission(endpoint, ctx.resource, ctx.needs, &parts, ids),
        _ if has_code("AF10001") => permission(endpoint, ctx.resource, ctx.needs, &parts, ids),
        404 => GraphError::NotFound { endpoint, code, ids },
        429 => GraphError::Throttled {
            endpoint,
            retry_after: None,
            attempts: 1,
            ids,
        },
        500..=599 => GraphError::Transient {
            endpoint,
            reason: format!("HTTP {} {}", status.as_u16(), code),
            attempts: 1,
            ids,
        },
        s => GraphError::Rejected {
            endpoint,
            status: s,
            code,
            message: first_line(&parts.message),
            ids,
        },
    }
}

fn permission(
    endpoint: String,
    resource: Resource,
    known: &[&'static str],
    parts: &ServiceErrorParts,
    ids: RequestIds,
) -> GraphError {
    let needs = if known.is_empty() {
        permission_names_in(&parts.message)
    } else {
        known.iter().map(|s| (*s).to_owned()).collect()
    };
    GraphError::Permission {
        endpoint,
        needs,
        resource,
        code: parts.code.clone(),
        ids,
    }
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("");
    line.chars().take(300).collect()
}

/// Permission names quoted in an error message (Intune "must have one of the following scopes: …",
/// Defender "required application permissions (…)", "API required roles: …, application roles: …").
/// Only the required part is read: the roles the app already has are listed after it.
pub fn permission_names_in(message: &str) -> Vec<String> {
    let required = match message.find("application roles:") {
        Some(cut) => &message[..cut],
        None => message,
    };
    let mut names: Vec<String> = Vec::new();
    for word in required.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.')) {
        let word = word.trim_end_matches('.');
        if looks_like_permission(word) && !names.iter().any(|n| n == word) {
            names.push(word.to_owned());
        }
    }
    names
}

fn looks_like_permission(word: &str) -> bool {
    let segments: Vec<&str> = word.split('.').collect();
    if segments.len() < 2 || segments.iter().any(|s| s.is_empty()) {
        return false;
    }
    let starts_upper = segments
        .iter()
        .all(|s| s.starts_with(|c: char| c.is_ascii_uppercase()));
    let verb = segments
        .iter()
        .any(|s| s.starts_with("Read") || s.starts_with("Write"));
    starts_upper && verb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(needs: &'a [&'static str], licence: Option<Licence>) -> FailureContext<'a> {
        FailureContext {
            tenant: "t1",
            endpoint: "GET /users",
            resource: Resource::Graph,
            needs,
            licence,
            ids: RequestIds {
                client_request_id: "c1".into(),
                request_id: None,
            },
        }
    }

    fn graph_error(code: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"error":{"code":code,"message":message,
            "innerError":{"date":"2025-02-13T10:17:06","request-id":"r-42","client-request-id":"c1"}}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn request_denied_names_the_catalog_permissions() {
        let body = graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
        let err = classify_failure(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            &body,
            ctx(&["User.Read.All"], None),
        );
        match err {
            GraphError::Permission { needs, ids, .. } => {
                assert_eq!(needs, vec!["User.Read.All".to_owned()]);
                assert_eq!(ids.request_id.as_deref(), Some("r-42"));
            }
            other => panic!("expected a permission error, got {other:?}"),
        }
    }

    #[test]
    fn management_activity_401_without_the_permission_is_a_permission_error() {
        let missing = graph_error(
            "AF10001",
            "The permission set (User.Read.All) sent in the request does not include the expected permission.",
        );
        let err = classify_failure(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            &missing,
            ctx(&["ActivityFeed.Read"], None),
        );
        assert!(
            matches!(&err, GraphError::Permission { needs, .. } if needs == &["ActivityFeed.Read"]),
            "{err:?}"
        );
        let expired = graph_error(
            "AF10001",
            "Authorization has been denied for this request: the access token is missing, invalid or expired.",
        );
        let err = classify_failure(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            &expired,
            ctx(&["ActivityFeed.Read"], None),
        );
        assert!(matches!(err, GraphError::Authentication { .. }), "{err:?}");
    }

    #[test]
    fn intune_json_string_message_yields_permission_names() {
        let inner = "{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.Read.All, DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): 0000\"}";
        let body = graph_error("Forbidden", inner);
        let err = classify_failure(StatusCode::FORBIDDEN, &HeaderMap::new(), &body, ctx(&[], None));
        match err {
            GraphError::Permission { needs, .. } => assert_eq!(
                needs,
                vec![
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All"
                ]
            ),
            other => panic!("expected a permission error, got {other:?}"),
        }
    }

    #[test]
    fn required_roles_exclude_roles_the_app_has() {
        let names = permission_names_in(
            "Missing application roles. API required roles: SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: User.Read.All.",
        );
        assert_eq!(
            names,
            vec!["SecurityIncident.Read.All", "SecurityIncident.ReadWrite.All"]
        );
    }

    #[test]
    fn licence_errors_name_the_licence() {
        let p1 = graph_error(
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        );
        let p2 = graph_error(
            "AadPremiumLicenseRequired",
            "The tenant needs an AAD Premium 2 license.",
        );
        let intune = graph_error("BadRequest", "Request not applicable to target tenant.");
        let cases = [
            (StatusCode::FORBIDDEN, p1, Licence::EntraIdP1),
            (StatusCode::BAD_REQUEST, p2, Licence::EntraIdP2),
            (StatusCode::BAD_REQUEST, intune, Licence::Intune),
        ];
        for (status, body, want) in cases {
            match classify_failure(status, &HeaderMap::new(), &body, ctx(&[], None)) {
                GraphError::LicenceMissing { licence, .. } => assert_eq!(licence, want),
                other => panic!("expected licence {want}, got {other:?}"),
            }
        }
    }

    #[test]
    fn expired_delta_tokens_require_resync() {
        let body = graph_error("syncStateNotFound", "The sync state generation is not found.");
        let err = classify_failure(StatusCode::BAD_REQUEST, &HeaderMap::new(), &body, ctx(&[], None));
        assert!(matches!(err, GraphError::ResyncRequired { fresh_link: None, .. }));

        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LOCATION,
            http::HeaderValue::from_static("https://graph.microsoft.com/v1.0/users/delta"),
        );
        let err = classify_failure(StatusCode::GONE, &headers, b"", ctx(&[], None));
        match err {
            GraphError::ResyncRequired {
                fresh_link: Some(link),
                ..
            } => assert_eq!(link.path(), "/v1.0/users/delta"),
            other => panic!("expected resync with a link, got {other:?}"),
        }
    }

    #[test]
    fn not_json_bodies_still_classify_by_status() {
        let err = classify_failure(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"<html>",
            ctx(&[], None),
        );
        assert!(matches!(err, GraphError::NotFound { .. }));
        let err = classify_failure(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"", ctx(&[], None));
        assert!(err.is_transient());
    }
}
