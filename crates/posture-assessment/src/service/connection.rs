//! The credential a tenant's connection holds, read from the credentials role
//! (TenantConnectionService.GetConnection: metadata only, never the secret) for the document's
//! `tenant.connection`. An unreadable connection does not stop an assessment: the controls about
//! it give `error` with the reason.

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::transport::Channel;

/// What the document says about the connection's credential.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionFacts {
    Credential {
        /// `client_secret` or `certificate`.
        kind: &'static str,
        /// The certificate's thumbprint; `client-secret` for a secret (its id is not stored).
        id: String,
        expires_at: Option<DateTime<Utc>>,
    },
    Unreadable(String),
}

#[derive(Clone)]
pub struct ConnectionReader {
    channel: Channel,
}

impl ConnectionReader {
    pub fn new(channel: Channel) -> Self {
        Self { channel }
    }

    pub async fn facts(&self, tenant: &TenantId) -> ConnectionFacts {
        let reply = TenantConnectionServiceClient::new(self.channel.clone())
            .get_connection(pb::GetConnectionRequest {
                tenant_id: tenant.to_string(),
            })
            .await;
        match reply {
            Ok(r) => facts(r.into_inner().connection.and_then(|c| c.credential)),
            Err(status) => {
                tracing::warn!(%tenant, code = ?status.code(), "cannot read the tenant's connection");
                ConnectionFacts::Unreadable(match status.code() {
                    tonic::Code::NotFound => "the tenant has no connection".to_owned(),
                    code => format!("the credentials role answered {code:?}"),
                })
            }
        }
    }
}

fn facts(credential: Option<pb::CredentialMetadata>) -> ConnectionFacts {
    let Some(c) = credential else {
        return ConnectionFacts::Unreadable("the connection has no credential".to_owned());
    };
    let certificate = c.auth_method == pb::AuthMethod::Certificate as i32;
    ConnectionFacts::Credential {
        kind: if certificate {
            "certificate"
        } else {
            "client_secret"
        },
        id: if certificate {
            c.certificate_thumbprint
        } else {
            "client-secret".to_owned()
        },
        expires_at: c
            .expires_at
            .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_named_by_its_thumbprint_and_a_secret_by_its_kind() {
        let cert = facts(Some(pb::CredentialMetadata {
            auth_method: pb::AuthMethod::Certificate as i32,
            certificate_thumbprint: "AB12".into(),
            expires_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }));
        assert_eq!(
            cert,
            ConnectionFacts::Credential {
                kind: "certificate",
                id: "AB12".into(),
                expires_at: DateTime::from_timestamp(1_800_000_000, 0),
            }
        );
        let secret = facts(Some(pb::CredentialMetadata {
            auth_method: pb::AuthMethod::ClientSecret as i32,
            ..Default::default()
        }));
        assert!(matches!(
            secret,
            ConnectionFacts::Credential {
                kind: "client_secret",
                expires_at: None,
                ..
            }
        ));
        assert!(matches!(facts(None), ConnectionFacts::Unreadable(_)));
    }
}
