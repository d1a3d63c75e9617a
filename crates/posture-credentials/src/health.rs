//! Connection health as stored and as shown: the state (stored by its stable name), and the full
//! `ConnectionHealth` (reason, per-API checks) kept as protobuf bytes next to it.

use posture_kit::time::{from_timestamp, timestamp};
use posture_proto::v1::ConnectionHealth;
use prost::Message;

use crate::domain::ConnectionState;
use crate::error::CredentialsError;
use crate::store::HealthRecord;

/// Upper bound of a stored health result; a full test of every permission is a few KiB.
const MAX_HEALTH_BYTES: usize = 64 * 1024;

/// Checks a health result from the token broker and turns it into what is stored.
pub fn health_record(
    health: Option<&ConnectionHealth>,
    credential_version: u64,
    received_at: chrono::DateTime<chrono::Utc>,
) -> Result<HealthRecord, CredentialsError> {
    let health = health.ok_or_else(|| CredentialsError::invalid("health", "must be set"))?;
    let state = ConnectionState::from_proto(health.state).ok_or_else(|| {
        CredentialsError::invalid("health.state", "must be one of the ConnectionState values")
    })?;
    let credential_version = i64::try_from(credential_version)
        .map_err(|_| CredentialsError::invalid("credential_version", "is out of range"))?;
    let detail = health.encode_to_vec();
    if detail.len() > MAX_HEALTH_BYTES {
        return Err(CredentialsError::invalid(
            "health",
            format!("must encode to at most {MAX_HEALTH_BYTES} bytes"),
        ));
    }
    let checked_at = match &health.checked_at {
        Some(at) => Some(from_timestamp("health.checked_at", at)?),
        None if state == ConnectionState::Pending => None,
        None => Some(received_at),
    };
    Ok(HealthRecord {
        state,
        detail: Some(detail),
        checked_at,
        credential_version,
    })
}

/// The health as the API shows it: the stored detail with the stored state and time on top.
pub fn connection_health(record: &HealthRecord) -> ConnectionHealth {
    let mut health = record
        .detail
        .as_deref()
        .and_then(|bytes| ConnectionHealth::decode(bytes).ok())
        .unwrap_or_default();
    health.state = record.state.proto() as i32;
    health.checked_at = record.checked_at.map(timestamp);
    if record.state == ConnectionState::Pending {
        health.reason = None;
        health.resources.clear();
    }
    health
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{ConnectionState as ApiState, ErrorClass, FailureReason};

    #[test]
    fn unspecified_state_is_not_storable() {
        let err = health_record(Some(&ConnectionHealth::default()), 1, chrono::Utc::now())
            .expect_err("unspecified state");
        assert!(err.to_string().contains("health.state"), "{err}");
    }

    #[test]
    fn reason_survives_storage() {
        let health = ConnectionHealth {
            state: ApiState::AuthenticationError as i32,
            reason: Some(FailureReason {
                error_class: ErrorClass::Authentication as i32,
                code: "AADSTS7000215".into(),
                message: "Invalid client secret provided".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let record = health_record(Some(&health), 3, now).expect("valid");
        let shown = connection_health(&record);
        assert_eq!(shown.state, ApiState::AuthenticationError as i32);
        assert_eq!(shown.reason.map(|r| r.code), Some("AADSTS7000215".to_owned()));
        assert_eq!(shown.checked_at, Some(timestamp(now)));
    }
}
