//! The credentials role's vault, as the broker uses it: fetch a connection's credential for one
//! purpose and turn it into what posture-graph needs; report connection health back. Secret
//! values move straight from the response into `SecretString`s.

use posture_graph::{AppConnection, CertificateCredential, ClientCredential, Cloud, Endpoints};
use posture_kit::ids::TenantId;
use posture_proto::internal::v1::vault_service_client::VaultServiceClient;
use posture_proto::internal::v1::{
    GetConnectionSecretRequest, GetConnectionSecretResponse, RecordHealthRequest,
};
use posture_proto::v1::{self, CredentialAccessPurpose, credential};
use secrecy::SecretString;
use tonic::transport::Channel;
use url::Url;

use crate::error::TokensError;

/// A tenant's app connection and the credential version it carries.
#[derive(Debug, Clone)]
pub struct VaultConnection {
    pub app: AppConnection,
    pub credential_version: u64,
}

#[derive(Debug, Clone)]
pub struct Vault {
    client: VaultServiceClient<Channel>,
}

fn status_error(tenant: &TenantId, status: tonic::Status) -> TokensError {
    use tonic::Code;
    match status.code() {
        Code::NotFound => TokensError::NotConnected { tenant: *tenant },
        // The vault's one precondition: the stored credential decrypts. Its message says why not
        // and what to do (key ids at most, never key material).
        Code::FailedPrecondition => TokensError::StoredCredentialUnusable {
            tenant: *tenant,
            reason: status.message().to_owned(),
        },
        Code::PermissionDenied | Code::Unauthenticated | Code::InvalidArgument => TokensError::VaultRefused {
            tenant: *tenant,
            reason: format!("{:?}: {}", status.code(), status.message()),
        },
        _ => TokensError::VaultUnavailable {
            reason: format!("{:?}: {}", status.code(), status.message()),
        },
    }
}

impl Vault {
    pub fn new(channel: Channel) -> Vault {
        Vault {
            client: VaultServiceClient::new(channel),
        }
    }

    pub async fn connection(
        &self,
        tenant: &TenantId,
        purpose: CredentialAccessPurpose,
    ) -> Result<VaultConnection, TokensError> {
        let response = self
            .client
            .clone()
            .get_connection_secret(GetConnectionSecretRequest {
                tenant_id: tenant.to_string(),
                purpose: purpose as i32,
            })
            .await
            .map_err(|status| status_error(tenant, status))?
            .into_inner();
        to_connection(tenant, response)
    }

    /// Stores a health result; false when the vault ignored it (the credential changed meanwhile).
    pub async fn record_health(
        &self,
        tenant: &TenantId,
        health: v1::ConnectionHealth,
        credential_version: u64,
    ) -> Result<bool, TokensError> {
        let response = self
            .client
            .clone()
            .record_health(RecordHealthRequest {
                tenant_id: tenant.to_string(),
                health: Some(health),
                credential_version,
            })
            .await
            .map_err(|status| status_error(tenant, status))?;
        Ok(response.into_inner().recorded)
    }
}

fn unusable(tenant: &TenantId, reason: impl Into<String>) -> TokensError {
    TokensError::UnusableConnection {
        tenant: *tenant,
        reason: reason.into(),
    }
}

fn to_connection(
    tenant: &TenantId,
    mut response: GetConnectionSecretResponse,
) -> Result<VaultConnection, TokensError> {
    if response.client_id.trim().is_empty() {
        return Err(unusable(tenant, "the connection has no client id"));
    }
    let credential = match response.credential.take().and_then(|c| c.kind) {
        Some(credential::Kind::ClientSecret(mut secret)) => {
            if secret.secret_value.is_empty() {
                return Err(unusable(tenant, "the client secret is empty"));
            }
            ClientCredential::Secret(SecretString::from(std::mem::take(&mut secret.secret_value)))
        }
        Some(credential::Kind::Certificate(mut cert)) => {
            let key = SecretString::from(std::mem::take(&mut cert.private_key_pem));
            let parsed = CertificateCredential::from_pem(&cert.certificate_pem, &key)
                .map_err(|e| unusable(tenant, format!("the certificate cannot be used: {e}")))?;
            ClientCredential::Certificate(parsed)
        }
        None => return Err(unusable(tenant, "the connection has no credential")),
    };
    let cloud = v1::Cloud::try_from(response.cloud).unwrap_or(v1::Cloud::Unspecified);
    let endpoints = endpoints(tenant, cloud, response.endpoints.as_ref())?;
    Ok(VaultConnection {
        app: AppConnection {
            tenant_id: tenant.to_string(),
            client_id: response.client_id.trim().to_owned(),
            credential,
            endpoints,
        },
        credential_version: response.credential_version,
    })
}

/// The hosts the vault resolved for the tenant, with the scopes of its cloud. Scopes name the
/// resource, not the host a request goes to, so custom endpoints (a proxy, the simulator) keep
/// the worldwide scopes, and GCC takes its Defender and Management Activity scopes from its hosts.
fn endpoints(
    tenant: &TenantId,
    cloud: v1::Cloud,
    given: Option<&v1::CloudEndpoints>,
) -> Result<Endpoints, TokensError> {
    let mut base = match cloud {
        v1::Cloud::Global | v1::Cloud::UsGovGcc | v1::Cloud::Custom => Cloud::Global.endpoints(),
        v1::Cloud::UsGovGccHigh => Cloud::UsGovHigh.endpoints(),
        v1::Cloud::UsGovDod => Cloud::UsGovDod.endpoints(),
        v1::Cloud::China => Cloud::China.endpoints(),
        v1::Cloud::Unspecified => return Err(unusable(tenant, "the connection names no cloud")),
    };
    let Some(given) = given else {
        if cloud == v1::Cloud::Custom {
            return Err(unusable(tenant, "a custom cloud needs endpoints"));
        }
        return Ok(base);
    };
    let join = |field: &str, value: &str, suffix: &str| -> Result<Option<Url>, TokensError> {
        let value = value.trim().trim_end_matches('/');
        if value.is_empty() {
            return Ok(None);
        }
        let url = Url::parse(&format!("{value}/{suffix}"))
            .map_err(|e| unusable(tenant, format!("endpoint {field} is not a URL: {e}")))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(unusable(tenant, format!("endpoint {field} must use https")));
        }
        Ok(Some(url))
    };
    let origin_scope = |url: &Url| format!("{}/.default", url.origin().ascii_serialization());
    if let Some(url) = join("authority_url", &given.authority_url, "")? {
        base.authority = url;
    }
    if let Some(url) = join("graph_url", &given.graph_url, "v1.0/")? {
        base.graph = url;
    }
    if let Some(url) = join("defender_url", &given.defender_url, "api/")? {
        if cloud == v1::Cloud::UsGovGcc {
            base.defender_scope = origin_scope(&url);
        }
        base.defender = url;
    }
    if let Some(url) = join(
        "management_activity_url",
        &given.management_activity_url,
        "api/v1.0/",
    )? {
        if cloud == v1::Cloud::UsGovGcc {
            base.management_scope = origin_scope(&url);
        }
        base.management = url;
    }
    if let Some(url) = join("exchange_url", &given.exchange_url, "adminapi/beta/")? {
        base.exchange = url;
    }
    if cloud == v1::Cloud::Custom && given.authority_url.trim().is_empty() {
        return Err(unusable(tenant, "a custom cloud needs an authority_url"));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("a GUID")
    }

    #[test]
    fn custom_endpoints_keep_worldwide_scopes_and_append_api_paths() {
        let given = v1::CloudEndpoints {
            authority_url: "http://127.0.0.1:9000/login".into(),
            graph_url: "http://127.0.0.1:9000/graph/".into(),
            defender_url: "http://127.0.0.1:9000/mde".into(),
            management_activity_url: "http://127.0.0.1:9000/manage".into(),
            exchange_url: "http://127.0.0.1:9000/exo".into(),
        };
        let e = endpoints(&tenant(), v1::Cloud::Custom, Some(&given)).expect("usable");
        assert_eq!(e.graph.as_str(), "http://127.0.0.1:9000/graph/v1.0/");
        assert_eq!(e.defender.as_str(), "http://127.0.0.1:9000/mde/api/");
        assert_eq!(e.management.as_str(), "http://127.0.0.1:9000/manage/api/v1.0/");
        assert_eq!(e.exchange.as_str(), "http://127.0.0.1:9000/exo/adminapi/beta/");
        assert_eq!(
            e.token_url("t").expect("token url").as_str(),
            "http://127.0.0.1:9000/login/t/oauth2/v2.0/token"
        );
        assert_eq!(e.graph_scope, "https://graph.microsoft.com/.default");
    }

    #[test]
    fn gcc_takes_defender_and_activity_scopes_from_its_hosts() {
        let given = v1::CloudEndpoints {
            authority_url: String::new(),
            graph_url: String::new(),
            defender_url: "https://api-gcc.securitycenter.microsoft.us".into(),
            management_activity_url: "https://manage-gcc.office.com".into(),
            exchange_url: String::new(),
        };
        let e = endpoints(&tenant(), v1::Cloud::UsGovGcc, Some(&given)).expect("usable");
        assert_eq!(
            e.defender_scope,
            "https://api-gcc.securitycenter.microsoft.us/.default"
        );
        assert_eq!(e.management_scope, "https://manage-gcc.office.com/.default");
        assert_eq!(e.graph_scope, "https://graph.microsoft.com/.default");
    }

    #[test]
    fn plain_http_to_a_remote_host_and_missing_clouds_are_refused() {
        let given = v1::CloudEndpoints {
            authority_url: "http://login.example.com".into(),
            ..Default::default()
        };
        assert!(endpoints(&tenant(), v1::Cloud::Custom, Some(&given)).is_err());
        assert!(endpoints(&tenant(), v1::Cloud::Unspecified, None).is_err());
        assert!(endpoints(&tenant(), v1::Cloud::Custom, None).is_err());
        let high = endpoints(&tenant(), v1::Cloud::UsGovGccHigh, None).expect("usable");
        assert_eq!(high.graph_scope, "https://graph.microsoft.us/.default");
    }
}
