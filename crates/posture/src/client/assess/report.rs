//! `posture assess report`: everything the customer report shows besides the assessment itself,
//! read from the gateway: the tenant's display name and connection health (the title and the
//! banner), the tenant's earlier assessments (the trend) and its open drift.

use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    Assessment, Connection, ConnectionState, GetConnectionRequest, ListAssessmentsRequest,
};

use crate::client::status::explain;
use crate::client::{AuthedChannel, GatewayArgs, health};

/// How many earlier assessments the trend reads (one page, newest first).
const HISTORY: i32 = 50;

/// What the report needs beyond the assessment and its findings.
pub struct ReportExtras {
    /// The connection's display name; empty when the key may not read connections.
    pub display_name: String,
    pub history: Vec<Assessment>,
    /// The connection's health when it is not connected, for the banner.
    pub notes: Vec<String>,
}

pub async fn extras(
    assessments: &mut AssessmentServiceClient<AuthedChannel>,
    gateway: &GatewayArgs,
    tenant_id: &str,
) -> anyhow::Result<ReportExtras> {
    let history = assessments
        .list_assessments(ListAssessmentsRequest {
            tenant_id: tenant_id.to_owned(),
            page_size: HISTORY,
            ..Default::default()
        })
        .await
        .map_err(|s| explain("listing earlier assessments for the trend", s))?
        .into_inner()
        .assessments;
    let mut connections = TenantConnectionServiceClient::new(gateway.connect().await?);
    let connection = match connections
        .get_connection(GetConnectionRequest {
            tenant_id: tenant_id.to_owned(),
        })
        .await
    {
        Ok(response) => response.into_inner().connection,
        // A key scoped to assessments may not read connections: the report then names the
        // tenant by its id, as before.
        Err(s) if s.code() == tonic::Code::PermissionDenied => None,
        Err(s) => return Err(explain("reading the tenant's connection", s)),
    };
    Ok(ReportExtras {
        display_name: connection
            .as_ref()
            .map(|c| c.display_name.clone())
            .unwrap_or_default(),
        notes: connection.as_ref().map(health_notes).unwrap_or_default(),
        history,
    })
}

/// The connection's health as a banner line when it is not connected: a tenant whose consent was
/// withdrawn shows why its data is stale or missing.
fn health_notes(connection: &Connection) -> Vec<String> {
    let state = connection
        .health
        .as_ref()
        .map_or(ConnectionState::Unspecified as i32, |h| h.state);
    match ConnectionState::try_from(state).unwrap_or(ConnectionState::Unspecified) {
        ConnectionState::Connected => Vec::new(),
        _ => vec![format!(
            "the connection is {}",
            health::summary(connection.health.as_ref())
        )],
    }
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{ConnectionHealth, FailureReason};

    use super::*;

    #[test]
    fn only_an_unhealthy_connection_adds_a_banner_line() {
        let connected = Connection {
            health: Some(ConnectionHealth {
                state: ConnectionState::Connected as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(health_notes(&connected).is_empty());
        let withdrawn = Connection {
            health: Some(ConnectionHealth {
                state: ConnectionState::PermissionError as i32,
                reason: Some(FailureReason {
                    missing_permissions: vec!["Policy.Read.All".to_owned()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let notes = health_notes(&withdrawn);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("Permission Error: missing Policy.Read.All"),
            "{notes:?}"
        );
    }
}
