//! The one error type of the crate and the connection health each error means to an operator.
//! Messages name the endpoint, the AADSTS code or the permission, and the request ids needed to
//! raise a support case; they never carry a token, a secret or a response body.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::cloud::Resource;

/// The ids Microsoft support asks for: ours (`client-request-id`) and theirs (`request-id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds {
    pub client_request_id: String,
    pub request_id: Option<String>,
}

impl fmt::Display for RequestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client-request-id {}, request-id {}",
            self.client_request_id,
            self.request_id.as_deref().unwrap_or("none")
        )
    }
}

/// A licence (service plan family) a tenant must hold for some data to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Licence {
    EntraIdP1,
    EntraIdP2,
    Intune,
    DefenderForEndpointP2,
    MicrosoftE5,
}

impl Licence {
    pub fn display_name(self) -> &'static str {
        match self {
            Licence::EntraIdP1 => "Microsoft Entra ID P1",
            Licence::EntraIdP2 => "Microsoft Entra ID P2",
            Licence::Intune => "Microsoft Intune",
            Licence::DefenderForEndpointP2 => "Microsoft Defender for Endpoint P2",
            Licence::MicrosoftE5 => "Microsoft 365 E5",
        }
    }
}

impl fmt::Display for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The connection health an error shows to operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthClass {
    /// The app cannot get a token: wrong or expired credential, app not consented, unknown tenant.
    AuthenticationError,
    /// A token is issued but lacks a permission, or the tenant lacks the licence the data needs.
    PermissionError,
    /// Microsoft's side failed or throttled us, or answered something we could not read.
    ServiceError,
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("authentication failed for tenant {tenant} ({}): {meaning}", aadsts_label(*.aadsts, .error))]
    Authentication {
        tenant: String,
        /// The AADSTS number from `error_codes`, when the authority sent one.
        aadsts: Option<u32>,
        /// OAuth `error` field (e.g. `invalid_client`).
        error: String,
        meaning: String,
    },
    #[error("permission missing for {endpoint}: needs {}{} ({code}; {ids})", needs_label(.needs), grant_hint(*.resource))]
    Permission {
        endpoint: String,
        /// Application permissions any one of which would allow the call.
        needs: Vec<String>,
        /// The API whose application permissions they are: each is granted on its own API.
        resource: Resource,
        code: String,
        ids: RequestIds,
    },
    /// Exchange Online refuses an app that holds `Exchange.ManageAsApp` but no Exchange role:
    /// consent alone is not enough, a role must be assigned to the app's service principal.
    #[error("role missing for {endpoint}: the app holds no Exchange role; assign it {role} ({code}; {ids})")]
    RoleMissing {
        endpoint: String,
        /// The roles, any one of which would allow the call, as an operator assigns them.
        role: String,
        code: String,
        ids: RequestIds,
    },
    #[error("{endpoint} needs a {licence} licence in the tenant ({code}; {ids})")]
    LicenceMissing {
        endpoint: String,
        licence: Licence,
        code: String,
        ids: RequestIds,
    },
    #[error("throttled on {endpoint} after {attempts} attempts (retry after {retry_after:?}; {ids})")]
    Throttled {
        endpoint: String,
        retry_after: Option<Duration>,
        attempts: u32,
        ids: RequestIds,
    },
    #[error("transient failure on {endpoint} after {attempts} attempts: {reason} ({ids})")]
    Transient {
        endpoint: String,
        reason: String,
        attempts: u32,
        ids: RequestIds,
    },
    #[error("not found: {endpoint} ({code}; {ids})")]
    NotFound {
        endpoint: String,
        code: String,
        ids: RequestIds,
    },
    #[error("delta state expired for {endpoint}: a full resync is required")]
    ResyncRequired {
        endpoint: String,
        /// A fresh initial delta URL when the service sent one (410 Gone with `Location`).
        fresh_link: Option<Url>,
    },
    #[error("unreadable response from {endpoint}: {reason} ({ids})")]
    BadResponse {
        endpoint: String,
        reason: String,
        ids: RequestIds,
    },
    #[error("request to {endpoint} rejected with HTTP {status} {code}: {message} ({ids})")]
    Rejected {
        endpoint: String,
        status: u16,
        code: String,
        message: String,
        ids: RequestIds,
    },
    #[error("configuration error: {reason}")]
    Config { reason: String },
}

fn aadsts_label(code: Option<u32>, error: &str) -> String {
    match code {
        Some(c) => format!("AADSTS{c}, {error}"),
        None => error.to_owned(),
    }
}

/// Where a missing permission is granted, for the APIs whose permissions are easily confused with
/// Graph's (Defender for Endpoint's live on the WindowsDefenderATP app, not on Microsoft Graph).
fn grant_hint(resource: Resource) -> &'static str {
    match resource {
        Resource::Graph => "",
        Resource::DefenderForEndpoint => {
            ", an application permission of the WindowsDefenderATP API: grant it to the app under API permissions > APIs my organization uses > WindowsDefenderATP, then grant admin consent (Microsoft Graph's SecurityEvents.Read.All does not cover Defender for Endpoint)"
        }
        Resource::ManagementActivity => {
            ", an application permission of the Office 365 Management APIs: grant it to the app, then grant admin consent"
        }
        Resource::ExchangeOnline => {
            ", an application permission of the Office 365 Exchange Online API: grant it to the app under API permissions > APIs my organization uses > Office 365 Exchange Online, then grant admin consent (the app also needs an Exchange role)"
        }
    }
}

fn needs_label(needs: &[String]) -> String {
    if needs.is_empty() {
        "an unnamed permission".to_owned()
    } else {
        needs.join(" or ")
    }
}

impl GraphError {
    /// The health to show for this error; `None` for outcomes the sync handles itself
    /// (a missing object, an expired delta token) which say nothing about the connection.
    pub fn health(&self) -> Option<HealthClass> {
        match self {
            GraphError::Authentication { .. } | GraphError::Config { .. } => {
                Some(HealthClass::AuthenticationError)
            }
            GraphError::Permission { .. }
            | GraphError::RoleMissing { .. }
            | GraphError::LicenceMissing { .. } => Some(HealthClass::PermissionError),
            GraphError::Throttled { .. }
            | GraphError::Transient { .. }
            | GraphError::BadResponse { .. }
            | GraphError::Rejected { .. } => Some(HealthClass::ServiceError),
            GraphError::NotFound { .. } | GraphError::ResyncRequired { .. } => None,
        }
    }

    /// Worth trying again later without anyone changing the tenant or the app.
    pub fn is_transient(&self) -> bool {
        matches!(self, GraphError::Throttled { .. } | GraphError::Transient { .. })
    }

    /// A token refusal that means the tenant has no such API, not that the app is broken: without
    /// a Defender for Endpoint licence the tenant has no WindowsDefenderATP service principal, and
    /// the authority answers AADSTS500011. Reported as the missing licence, the fix it needs.
    pub fn licence_gate(self, resource: Resource, endpoint: &str, licence: Option<Licence>) -> GraphError {
        match self {
            GraphError::Authentication {
                aadsts: Some(500011), ..
            } if resource == Resource::DefenderForEndpoint => GraphError::LicenceMissing {
                endpoint: endpoint.to_owned(),
                licence: licence.unwrap_or(Licence::DefenderForEndpointP2),
                code: "AADSTS500011".to_owned(),
                ids: RequestIds::default(),
            },
            other => other,
        }
    }

    pub fn ids(&self) -> Option<&RequestIds> {
        match self {
            GraphError::Permission { ids, .. }
            | GraphError::RoleMissing { ids, .. }
            | GraphError::LicenceMissing { ids, .. }
            | GraphError::Throttled { ids, .. }
            | GraphError::Transient { ids, .. }
            | GraphError::NotFound { ids, .. }
            | GraphError::BadResponse { ids, .. }
            | GraphError::Rejected { ids, .. } => Some(ids),
            _ => None,
        }
    }
}

/// What an AADSTS code means, in words an operator can act on.
pub fn aadsts_meaning(code: u32) -> &'static str {
    match code {
        7000215 => "invalid client secret (wrong value, or the secret ID was sent instead of the value)",
        7000222 => "the client secret has expired; create a new one and update the connection",
        700016 => {
            "the application is not installed in this tenant (admin consent was never granted) or the tenant is wrong"
        }
        90002 => "tenant not found; check the tenant ID or domain",
        900023 => "the tenant identifier is malformed",
        90014 | 900144 => "a required field is missing from the token request",
        7000218 => "neither a client secret nor a client assertion was sent",
        700027 => {
            "the client assertion failed validation (certificate not registered on the app, or wrong key)"
        }
        700024 => "the client assertion is outside its valid time range (check the clock)",
        700021 => "the client assertion audience does not match the token endpoint",
        700023 => "the client assertion issuer or subject is not the client id",
        1002012 => "invalid scope (client credentials need a scope ending in /.default)",
        9001023 => "client credentials need a tenant-specific endpoint, not /common or /consumers",
        70011 | 700022 => "invalid scope (the scope must name exactly one resource with /.default)",
        500011 => "the resource is not available in this tenant (its service principal is missing)",
        7000112 => "the application is disabled",
        53003 => "blocked by a Conditional Access policy for workload identities",
        65001 => "consent has not been granted",
        90038 => "the tenant belongs to another national cloud",
        50196 => "too many identical token requests; tokens must be cached",
        90055 => "the tenant is throttling token requests",
        _ => "the identity platform refused the token request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(aadsts: u32) -> GraphError {
        GraphError::Authentication {
            tenant: "t1".into(),
            aadsts: Some(aadsts),
            error: "invalid_resource".into(),
            meaning: aadsts_meaning(aadsts).into(),
        }
    }

    #[test]
    fn a_missing_defender_resource_is_the_missing_defender_licence() {
        let gated = refused(500011).licence_gate(
            Resource::DefenderForEndpoint,
            "GET /api/machines",
            Some(Licence::DefenderForEndpointP2),
        );
        match &gated {
            GraphError::LicenceMissing { licence, code, .. } => {
                assert_eq!(*licence, Licence::DefenderForEndpointP2);
                assert_eq!(code, "AADSTS500011");
            }
            other => panic!("expected the licence, got {other:?}"),
        }
        assert_eq!(gated.health(), Some(HealthClass::PermissionError));
        // Graph always exists in a tenant, and other refusals keep their meaning.
        assert!(matches!(
            refused(500011).licence_gate(Resource::Graph, "GET /v1.0/users", None),
            GraphError::Authentication { .. }
        ));
        assert!(matches!(
            refused(7000215).licence_gate(Resource::DefenderForEndpoint, "GET /api/machines", None),
            GraphError::Authentication { .. }
        ));
    }

    #[test]
    fn a_defender_permission_gap_names_the_windows_defender_atp_api_not_graph() {
        let missing = |resource| GraphError::Permission {
            endpoint: "GET /api/machines".into(),
            needs: vec!["Machine.Read.All".into()],
            resource,
            code: "Forbidden".into(),
            ids: RequestIds::default(),
        };
        let mde = missing(Resource::DefenderForEndpoint).to_string();
        assert!(mde.contains("WindowsDefenderATP"), "{mde}");
        assert!(mde.contains("SecurityEvents.Read.All does not cover"), "{mde}");
        let graph = missing(Resource::Graph).to_string();
        assert!(!graph.contains("WindowsDefenderATP"), "{graph}");
    }
}
