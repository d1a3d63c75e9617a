//! Turns what a connection test found (a token or a refusal per API, the permission probe) into
//! the health operators see. Graph decides the overall state; Defender for Endpoint and the
//! Management Activity API are reported per API and never make a working Graph connection fail,
//! because tenants without those licences are still fully usable for everything else.

use std::collections::BTreeMap;

use posture_graph::{AccessToken, EntityKind, GraphError, PagingStyle, PermissionState, Resource};
use posture_proto::v1::{self, ConnectionState, ErrorClass, FailureReason};

use crate::key::resource_to_proto;

/// One permission as the test saw it, before it becomes the contract's `PermissionCheck`.
#[derive(Debug, Clone)]
pub struct PermissionFinding {
    pub permission: String,
    pub resource: Resource,
    pub probe_endpoint: String,
    pub state: PermissionState,
}

/// Whether the sync cannot work without `permission`: some Graph entity kind without a licence
/// gate needs it. Licence-gated kinds, Defender and Management Activity only feed optional data.
pub fn is_required(permission: &str, resource: Resource) -> bool {
    resource == Resource::Graph
        && EntityKind::ALL.iter().map(|k| k.spec()).any(|s| {
            s.resource == Resource::Graph && s.licence.is_none() && s.permissions.contains(&permission)
        })
}

/// The probe call of an entity kind as the contract shows it, e.g. `GET /v1.0/users?$top=1&$select=id`.
pub fn probe_endpoint(kind: EntityKind) -> String {
    let spec = kind.spec();
    let base = api_base(spec.resource);
    if spec.resource == Resource::ExchangeOnline {
        let cmdlet = spec.path.split('?').next().unwrap_or(spec.path);
        return format!("POST {base}{{tenant}}/InvokeCommand ({cmdlet})");
    }
    let query = match spec.paging {
        PagingStyle::Singleton => "",
        PagingStyle::TopSkip => "?$top=1",
        _ => "?$top=1&$select=id",
    };
    format!("GET {base}{}{query}", spec.path)
}

/// The API's path prefix, independent of the host (and of any routing prefix in front of it).
pub fn api_base(resource: Resource) -> &'static str {
    match resource {
        Resource::Graph => "/v1.0/",
        Resource::DefenderForEndpoint => "/api/",
        Resource::ManagementActivity => "/api/v1.0/",
        Resource::ExchangeOnline => "/adminapi/beta/",
    }
}

fn reason(class: ErrorClass, code: &str, message: String) -> FailureReason {
    FailureReason {
        error_class: class as i32,
        code: code.to_owned(),
        message,
        ..Default::default()
    }
}

/// The reason behind a failed call or token request, in the contract's words.
pub fn failure_reason(error: &GraphError) -> FailureReason {
    match error {
        GraphError::Authentication {
            aadsts,
            error,
            meaning,
            ..
        } => reason(
            ErrorClass::Authentication,
            &aadsts
                .map(|c| format!("AADSTS{c}"))
                .unwrap_or_else(|| error.clone()),
            meaning.clone(),
        ),
        GraphError::Config { reason: why } => reason(ErrorClass::Authentication, "", why.clone()),
        GraphError::Permission {
            endpoint,
            needs,
            code,
            ..
        } => FailureReason {
            missing_permissions: needs.clone(),
            endpoint: endpoint.clone(),
            http_status: 403,
            ..reason(ErrorClass::Permission, code, error.to_string())
        },
        GraphError::RoleMissing {
            endpoint, role, code, ..
        } => FailureReason {
            missing_permissions: vec![role.clone()],
            endpoint: endpoint.clone(),
            http_status: 401,
            ..reason(ErrorClass::Permission, code, error.to_string())
        },
        GraphError::LicenceMissing { endpoint, code, .. } => FailureReason {
            endpoint: endpoint.clone(),
            ..reason(ErrorClass::License, code, error.to_string())
        },
        GraphError::Throttled { endpoint, .. } => FailureReason {
            endpoint: endpoint.clone(),
            http_status: 429,
            ..reason(ErrorClass::Throttled, "TooManyRequests", error.to_string())
        },
        GraphError::Transient { endpoint, .. } => FailureReason {
            endpoint: endpoint.clone(),
            ..reason(ErrorClass::Transient, "", error.to_string())
        },
        GraphError::BadResponse { endpoint, .. } => FailureReason {
            endpoint: endpoint.clone(),
            ..reason(ErrorClass::InvalidResponse, "", error.to_string())
        },
        GraphError::Rejected {
            endpoint,
            status,
            code,
            ..
        } => FailureReason {
            endpoint: endpoint.clone(),
            http_status: i32::from(*status),
            ..reason(ErrorClass::InvalidResponse, code, error.to_string())
        },
        GraphError::NotFound { endpoint, code, .. } => FailureReason {
            endpoint: endpoint.clone(),
            http_status: 404,
            ..reason(ErrorClass::NotFound, code, error.to_string())
        },
        GraphError::ResyncRequired { endpoint, .. } => FailureReason {
            endpoint: endpoint.clone(),
            ..reason(ErrorClass::InvalidResponse, "", error.to_string())
        },
    }
}

/// The state and reason for an API whose token was refused.
fn token_failure(resource: Resource, error: &GraphError) -> (ConnectionState, FailureReason) {
    // Without the product the tenant has no such resource principal: a licence matter, not a
    // broken credential.
    if resource != Resource::Graph
        && let GraphError::Authentication {
            aadsts: Some(500011), ..
        } = error
    {
        let what = match resource {
            Resource::DefenderForEndpoint => "Microsoft Defender for Endpoint",
            Resource::ExchangeOnline => "Exchange Online",
            _ => "the Office 365 Management Activity API",
        };
        return (
            ConnectionState::PermissionError,
            reason(
                ErrorClass::License,
                "AADSTS500011",
                format!("{what} is not available in this tenant (not licensed or never provisioned)"),
            ),
        );
    }
    let state = match error.health() {
        Some(posture_graph::HealthClass::AuthenticationError) => ConnectionState::AuthenticationError,
        Some(posture_graph::HealthClass::PermissionError) => ConnectionState::PermissionError,
        _ => ConnectionState::ServiceError,
    };
    (state, failure_reason(error))
}

fn permission_check(finding: &PermissionFinding) -> v1::PermissionCheck {
    let required = is_required(&finding.permission, finding.resource);
    let endpoint_no_query = finding
        .probe_endpoint
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (granted, why) = match &finding.state {
        PermissionState::Granted => (true, None),
        PermissionState::Missing => (
            false,
            Some(FailureReason {
                missing_permissions: vec![finding.permission.clone()],
                endpoint: endpoint_no_query.clone(),
                ..reason(
                    ErrorClass::Permission,
                    "",
                    format!(
                        "application permission {} is not granted (admin consent missing)",
                        finding.permission
                    ),
                )
            }),
        ),
        PermissionState::LicenceGated(licence) => (
            true,
            Some(FailureReason {
                endpoint: endpoint_no_query.clone(),
                ..reason(
                    ErrorClass::License,
                    "",
                    format!("granted, but the data needs a {licence} licence in the tenant"),
                )
            }),
        ),
        PermissionState::RoleMissing(role) => (
            false,
            Some(FailureReason {
                missing_permissions: vec![role.clone()],
                endpoint: endpoint_no_query.clone(),
                ..reason(
                    ErrorClass::Permission,
                    "",
                    format!(
                        "application permission {} is granted, but Exchange Online also needs a role assigned to the app: assign it {role}",
                        finding.permission
                    ),
                )
            }),
        ),
        PermissionState::Unknown(detail) => (
            false,
            Some(FailureReason {
                endpoint: endpoint_no_query.clone(),
                ..reason(ErrorClass::Transient, "", detail.clone())
            }),
        ),
    };
    v1::PermissionCheck {
        permission: finding.permission.clone(),
        required,
        granted,
        probe_endpoint: finding.probe_endpoint.clone(),
        reason: why,
    }
}

/// The check of one API: its token, then its permissions. For Graph only required permissions
/// lower the state; for the optional APIs every permission counts, since the API is useless
/// without them.
pub fn resource_check(
    resource: Resource,
    token: Result<&AccessToken, &GraphError>,
    findings: &[PermissionFinding],
) -> v1::ResourceCheck {
    let mut check = v1::ResourceCheck {
        resource: resource_to_proto(resource) as i32,
        ..Default::default()
    };
    let token = match token {
        Ok(token) => token,
        Err(error) => {
            let (state, why) = token_failure(resource, error);
            check.state = state as i32;
            check.reason = Some(why);
            return check;
        }
    };
    check.granted_roles = token.roles().to_vec();
    check.permissions = findings
        .iter()
        .filter(|f| f.resource == resource)
        .map(permission_check)
        .collect();
    let counts = |c: &v1::PermissionCheck| resource != Resource::Graph || c.required;
    let missing: Vec<String> = check
        .permissions
        .iter()
        .filter(|c| {
            counts(c)
                && !c.granted
                && findings_state(findings, &c.permission) == Some(&PermissionState::Missing)
        })
        .map(|c| c.permission.clone())
        .collect();
    let unknown = check.permissions.iter().find(|c| {
        counts(c)
            && matches!(
                findings_state(findings, &c.permission),
                Some(PermissionState::Unknown(_))
            )
    });
    if !missing.is_empty() {
        check.state = ConnectionState::PermissionError as i32;
        check.reason = Some(FailureReason {
            missing_permissions: missing.clone(),
            ..reason(
                ErrorClass::Permission,
                "",
                format!(
                    "admin consent is missing for the application permissions {}",
                    missing.join(", ")
                ),
            )
        });
    } else if let Some(no_role) = check.permissions.iter().find(|c| {
        matches!(
            findings_state(findings, &c.permission),
            Some(PermissionState::RoleMissing(_))
        )
    }) {
        // Exchange Online: consent is there, the role the service also wants is not.
        check.state = ConnectionState::PermissionError as i32;
        check.reason = no_role.reason.clone();
    } else if let Some(failed) = unknown {
        check.state = ConnectionState::ServiceError as i32;
        check.reason = failed.reason.clone();
    } else {
        check.state = ConnectionState::Connected as i32;
    }
    check
}

fn findings_state<'a>(findings: &'a [PermissionFinding], permission: &str) -> Option<&'a PermissionState> {
    findings
        .iter()
        .find(|f| f.permission == permission)
        .map(|f| &f.state)
}

/// The overall health: Graph's state and reason, with every API's check attached.
pub fn assemble(
    checks: BTreeMap<Resource, v1::ResourceCheck>,
    checked_at: prost_types::Timestamp,
) -> v1::ConnectionHealth {
    let (state, why) = match checks.get(&Resource::Graph) {
        Some(graph) => (graph.state, graph.reason.clone()),
        None => (ConnectionState::ServiceError as i32, None),
    };
    v1::ConnectionHealth {
        state,
        reason: if state == ConnectionState::Connected as i32 {
            None
        } else {
            why
        },
        resources: checks.into_values().collect(),
        checked_at: Some(checked_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_graph_permissions_are_required_and_licence_gated_ones_are_not() {
        assert!(is_required("User.Read.All", Resource::Graph));
        assert!(is_required("Policy.Read.All", Resource::Graph));
        assert!(!is_required(
            "DeviceManagementManagedDevices.Read.All",
            Resource::Graph
        ));
        assert!(!is_required("Machine.Read.All", Resource::DefenderForEndpoint));
    }

    #[test]
    fn probe_endpoints_are_relative_to_the_api_and_carry_the_cheap_query() {
        assert_eq!(
            probe_endpoint(EntityKind::Users),
            "GET /v1.0/users?$top=1&$select=id"
        );
        assert!(probe_endpoint(EntityKind::DefenderMachines).starts_with("GET /api/"));
    }

    #[test]
    fn a_refused_secret_is_an_authentication_error_with_its_aadsts_code() {
        let error = GraphError::Authentication {
            tenant: "t".into(),
            aadsts: Some(7000215),
            error: "invalid_client".into(),
            meaning: posture_graph::error::aadsts_meaning(7000215).into(),
        };
        let check = resource_check(Resource::Graph, Err(&error), &[]);
        assert_eq!(check.state, ConnectionState::AuthenticationError as i32);
        let why = check.reason.expect("a reason");
        assert_eq!(why.code, "AADSTS7000215");
        assert!(why.message.contains("client secret"));
    }

    #[test]
    fn defender_without_its_resource_principal_is_a_licence_matter() {
        let error = GraphError::Authentication {
            tenant: "t".into(),
            aadsts: Some(500011),
            error: "invalid_resource".into(),
            meaning: String::new(),
        };
        let check = resource_check(Resource::DefenderForEndpoint, Err(&error), &[]);
        assert_eq!(check.state, ConnectionState::PermissionError as i32);
        assert_eq!(
            check.reason.map(|r| r.error_class),
            Some(ErrorClass::License as i32)
        );
    }
}
