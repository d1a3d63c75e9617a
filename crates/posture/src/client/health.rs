//! Connection health in the words operators use, with the next step to take.

use posture_proto::v1::{ApiResource, ConnectionHealth, ConnectionState, FailureReason};

pub fn state_label(state: i32) -> &'static str {
    match ConnectionState::try_from(state).unwrap_or(ConnectionState::Unspecified) {
        ConnectionState::Pending | ConnectionState::Unspecified => "Pending",
        ConnectionState::Connected => "Connected",
        ConnectionState::AuthenticationError => "Authentication Error",
        ConnectionState::PermissionError => "Permission Error",
        ConnectionState::ServiceError => "Service Error",
    }
}

pub fn resource_label(resource: i32) -> &'static str {
    match ApiResource::try_from(resource).unwrap_or(ApiResource::Unspecified) {
        ApiResource::Graph => "Microsoft Graph",
        ApiResource::Defender => "Defender for Endpoint",
        ApiResource::ManagementActivity => "Management Activity API",
        ApiResource::ExchangeOnline => "Exchange Online",
        ApiResource::Unspecified => "unknown resource",
    }
}

/// One line: the state, why, and what to do about it.
pub fn summary(health: Option<&ConnectionHealth>) -> String {
    let Some(health) = health else {
        return "Pending (not tested yet: run `posture tenants test <tenant-id>`)".into();
    };
    let label = state_label(health.state);
    match ConnectionState::try_from(health.state).unwrap_or(ConnectionState::Unspecified) {
        ConnectionState::Connected => label.into(),
        ConnectionState::Pending | ConnectionState::Unspecified => {
            format!("{label} (not tested yet: run `posture tenants test <tenant-id>`)")
        }
        ConnectionState::AuthenticationError => format!(
            "{label}: {}; check the client id and secret (the secret value, not its id) and rotate it with \
             `posture tenants update-credentials`",
            reason_text(health.reason.as_ref())
        ),
        ConnectionState::PermissionError => {
            let missing = missing_permissions(health);
            if missing.is_empty() {
                format!(
                    "{label}: {}; grant admin consent in Entra ID",
                    reason_text(health.reason.as_ref())
                )
            } else {
                format!(
                    "{label}: missing {}; grant admin consent in Entra ID (App registrations > API permissions)",
                    missing.join(", ")
                )
            }
        }
        ConnectionState::ServiceError => format!(
            "{label}: {}; Posture retries on the next test or sync",
            reason_text(health.reason.as_ref())
        ),
    }
}

/// Every missing permission, across the overall reason and each resource's checks, once each.
pub fn missing_permissions(health: &ConnectionHealth) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: &str| {
        if !p.is_empty() && !out.iter().any(|q| q == p) {
            out.push(p.to_owned());
        }
    };
    if let Some(reason) = &health.reason {
        reason.missing_permissions.iter().for_each(|p| push(p));
    }
    for resource in &health.resources {
        if let Some(reason) = &resource.reason {
            reason.missing_permissions.iter().for_each(|p| push(p));
        }
        for check in resource.permissions.iter().filter(|c| c.required && !c.granted) {
            push(&check.permission);
        }
    }
    out
}

pub fn reason_text(reason: Option<&FailureReason>) -> String {
    let Some(reason) = reason else {
        return "no reason given".into();
    };
    let mut parts = Vec::new();
    if !reason.code.is_empty() {
        parts.push(reason.code.clone());
    }
    if !reason.message.is_empty() {
        parts.push(reason.message.clone());
    }
    if !reason.endpoint.is_empty() {
        parts.push(format!("at {}", reason.endpoint));
    }
    if parts.is_empty() {
        "no reason given".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{PermissionCheck, ResourceCheck};

    #[test]
    fn permission_error_names_every_missing_permission_once() {
        let health = ConnectionHealth {
            state: ConnectionState::PermissionError as i32,
            reason: Some(FailureReason {
                missing_permissions: vec!["Policy.Read.All".into()],
                ..Default::default()
            }),
            resources: vec![ResourceCheck {
                resource: ApiResource::Graph as i32,
                permissions: vec![
                    PermissionCheck {
                        permission: "Policy.Read.All".into(),
                        required: true,
                        ..Default::default()
                    },
                    PermissionCheck {
                        permission: "AuditLog.Read.All".into(),
                        required: true,
                        ..Default::default()
                    },
                    PermissionCheck {
                        permission: "User.Read.All".into(),
                        required: true,
                        granted: true,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            summary(Some(&health)),
            "Permission Error: missing Policy.Read.All, AuditLog.Read.All; grant admin consent in Entra ID \
             (App registrations > API permissions)"
        );
    }

    #[test]
    fn authentication_error_shows_the_aadsts_code() {
        let health = ConnectionHealth {
            state: ConnectionState::AuthenticationError as i32,
            reason: Some(FailureReason {
                code: "AADSTS7000215".into(),
                message: "Invalid client secret provided.".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(
            summary(Some(&health))
                .starts_with("Authentication Error: AADSTS7000215 Invalid client secret provided.")
        );
    }
}
