//! Stored records to API messages and timestamps both ways. What leaves through the public API is
//! built here, and it carries credential metadata only.

use chrono::{DateTime, Duration, Utc};
use posture_proto::v1::{Connection, CredentialMetadata};
use prost_types::Timestamp;

use crate::cloud::resolved_endpoints;
use crate::error::CredentialsError;
use crate::health::connection_health;
use crate::store::ConnectionRecord;

pub fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A request timestamp; out-of-range values are INVALID_ARGUMENT naming `field`.
pub fn from_timestamp(field: &str, value: &Timestamp) -> Result<DateTime<Utc>, CredentialsError> {
    u32::try_from(value.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)
        .and_then(|nanos| DateTime::from_timestamp(value.seconds, nanos))
        .ok_or_else(|| CredentialsError::invalid(field, "is not a valid timestamp"))
}

/// True when a credential expires within `window` of `now`, or already has.
pub fn expiring_soon(expires_at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    expires_at <= now + window
}

/// The public view of a connection.
pub fn connection(record: &ConnectionRecord, now: DateTime<Utc>, warning_window: Duration) -> Connection {
    let secret = &record.secret;
    Connection {
        tenant_id: record.tenant_id.clone(),
        display_name: record.display_name.clone(),
        client_id: record.client_id.clone(),
        cloud: record.cloud as i32,
        endpoints: Some(resolved_endpoints(record.cloud, record.endpoints.clone())),
        credential: Some(CredentialMetadata {
            auth_method: secret.auth_method as i32,
            saved_by: secret.saved_by.clone(),
            saved_at: Some(timestamp(secret.saved_at)),
            expires_at: Some(timestamp(secret.expires_at)),
            expiring_soon: expiring_soon(secret.expires_at, now, warning_window),
            certificate_thumbprint: secret.certificate_thumbprint.clone().unwrap_or_default(),
            certificate_subject: secret.certificate_subject.clone().unwrap_or_default(),
            credential_version: u64::try_from(record.credential_version).unwrap_or(0),
        }),
        health: Some(connection_health(&record.health)),
        created_by: record.created_by.clone(),
        created_at: Some(timestamp(record.created_at)),
        updated_at: Some(timestamp(record.updated_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_bad_ones_name_the_field() {
        let now = DateTime::from_timestamp(1_800_000_000, 123_000).expect("instant");
        assert_eq!(from_timestamp("t", &timestamp(now)).ok(), Some(now));
        let err = from_timestamp(
            "credential.client_secret.expires_at",
            &Timestamp {
                seconds: 0,
                nanos: -1,
            },
        )
        .expect_err("negative nanos");
        assert!(err.to_string().contains("expires_at"), "{err}");
        assert!(
            from_timestamp(
                "t",
                &Timestamp {
                    seconds: i64::MAX,
                    nanos: 0
                }
            )
            .is_err()
        );
    }

    #[test]
    fn expiry_warning_covers_the_window_and_the_past() {
        let now = Utc::now();
        let window = Duration::days(30);
        assert!(expiring_soon(now + Duration::days(29), now, window));
        assert!(expiring_soon(now - Duration::days(1), now, window));
        assert!(!expiring_soon(now + Duration::days(31), now, window));
    }
}
