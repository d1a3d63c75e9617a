//! Stored records to API messages. What leaves through the public API is built here, and it
//! carries credential metadata only. Timestamps convert through `posture_kit::time`.

use chrono::{DateTime, Duration, Utc};
use posture_kit::time::timestamp;
use posture_proto::v1::{Connection, CredentialMetadata};

use crate::cloud::resolved_endpoints;
use crate::health::connection_health;
use crate::store::ConnectionRecord;

/// True when a credential expires within `window` of `now`, or already has.
pub fn expiring_soon(expires_at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    expires_at <= now + window
}

/// The public view of a connection.
pub fn connection(record: &ConnectionRecord, now: DateTime<Utc>, warning_window: Duration) -> Connection {
    let secret = &record.secret;
    Connection {
        tenant_id: record.tenant_id.to_string(),
        display_name: record.display_name.clone(),
        client_id: record.client_id.clone(),
        cloud: record.cloud.proto() as i32,
        endpoints: Some(resolved_endpoints(record.cloud, record.endpoints.clone()).into()),
        credential: Some(CredentialMetadata {
            auth_method: secret.auth_method.proto() as i32,
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
        tags: record.tags.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_warning_covers_the_window_and_the_past() {
        let now = Utc::now();
        let window = Duration::days(30);
        assert!(expiring_soon(now + Duration::days(29), now, window));
        assert!(expiring_soon(now - Duration::days(1), now, window));
        assert!(!expiring_soon(now + Duration::days(31), now, window));
    }
}
