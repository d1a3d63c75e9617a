//! Secret material must not reach logs through `{:?}`: the messages that carry it print
//! `[redacted]` in place of the value, including when nested in requests and responses.

use posture_proto::internal::v1::{GetConnectionSecretResponse, GetTokenResponse};
use posture_proto::v1::credential::Kind;
use posture_proto::v1::{
    ApiKey, CertificateCredential, ClientSecretCredential, Cloud, CreateApiKeyResponse,
    CreateConnectionRequest, Credential, UpdateCredentialsRequest,
};
use prost_types::Timestamp;

const SECRET: &str = "Qx8Q~sentinel-client-secret-value";
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nsentinelPRIVATEkey\n-----END PRIVATE KEY-----\n";

fn both_formats(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}\n{value:#?}")
}

fn secret_credential() -> Credential {
    Credential {
        kind: Some(Kind::ClientSecret(ClientSecretCredential {
            secret_value: SECRET.to_owned(),
            expires_at: Some(Timestamp {
                seconds: 1_900_000_000,
                nanos: 0,
            }),
        })),
    }
}

fn certificate_credential() -> Credential {
    Credential {
        kind: Some(Kind::Certificate(CertificateCredential {
            certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_owned(),
            private_key_pem: PRIVATE_KEY.to_owned(),
        })),
    }
}

#[test]
fn create_connection_request_debug_hides_the_client_secret() {
    let request = CreateConnectionRequest {
        tenant_id: "8d3c0a2e-5b7f-4e0a-9c1d-2f6b8e4a7c90".to_owned(),
        display_name: "Contoso".to_owned(),
        client_id: "3f2a9b6c-1d4e-4f8a-b7c2-5e9d0a1b2c3d".to_owned(),
        cloud: Cloud::Global as i32,
        endpoints: None,
        credential: Some(secret_credential()),
        tags: Vec::new(),
    };
    let printed = both_formats(&request);
    assert!(!printed.contains("sentinel"), "secret leaked: {printed}");
    assert!(printed.contains("[redacted]"));
    // Everything that is not secret stays visible for debugging.
    assert!(printed.contains("Contoso") && printed.contains("1900000000"));
}

#[test]
fn update_credentials_request_debug_hides_the_private_key() {
    let request = UpdateCredentialsRequest {
        tenant_id: "8d3c0a2e-5b7f-4e0a-9c1d-2f6b8e4a7c90".to_owned(),
        credential: Some(certificate_credential()),
        client_id: String::new(),
    };
    let printed = both_formats(&request);
    assert!(!printed.contains("sentinel"), "private key leaked: {printed}");
    assert!(printed.contains("private_key_pem: \"[redacted]\""));
    assert!(printed.contains("certificate_pem_len"));
}

#[test]
fn vault_response_debug_hides_secret_and_key() {
    for credential in [secret_credential(), certificate_credential()] {
        let response = GetConnectionSecretResponse {
            client_id: "3f2a9b6c-1d4e-4f8a-b7c2-5e9d0a1b2c3d".to_owned(),
            credential: Some(credential),
            credential_version: 7,
            ..Default::default()
        };
        let printed = both_formats(&response);
        assert!(!printed.contains("sentinel"), "secret material leaked: {printed}");
        assert!(printed.contains("credential_version: 7"));
    }
}

#[test]
fn token_response_debug_hides_the_access_token() {
    let response = GetTokenResponse {
        access_token: "eyJ0eXAiOiJKV1Qi.sentinel.signature".to_owned(),
        expires_at: Some(Timestamp {
            seconds: 1_900_000_000,
            nanos: 0,
        }),
        roles: vec!["User.Read.All".to_owned()],
        credential_version: 3,
    };
    let printed = both_formats(&response);
    assert!(!printed.contains("sentinel"), "token leaked: {printed}");
    assert!(printed.contains("User.Read.All") && printed.contains("[redacted]"));
}

#[test]
fn created_api_key_debug_hides_the_key_but_shows_its_metadata() {
    let response = CreateApiKeyResponse {
        api_key: Some(ApiKey {
            display_name: "ci pipeline".to_owned(),
            key_prefix: "pst_3fa8".to_owned(),
            ..Default::default()
        }),
        key: "pst_3fa8_sentinelkeymaterial".to_owned(),
    };
    let printed = both_formats(&response);
    assert!(!printed.contains("sentinel"), "API key leaked: {printed}");
    assert!(printed.contains("ci pipeline") && printed.contains("pst_3fa8"));
}

#[test]
fn empty_secret_fields_print_as_empty_not_redacted() {
    let printed = format!("{:?}", ClientSecretCredential::default());
    assert!(printed.contains("[empty]"), "{printed}");
}
