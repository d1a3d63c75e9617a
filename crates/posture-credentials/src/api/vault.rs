//! `posture.internal.v1.VaultService`: the one place decrypted secrets leave the role (to the
//! tokens role, each time recorded in the access log), and where health results come back.

use std::sync::Arc;

use posture_kit::ids::TenantId;
use posture_kit::time::timestamp;
use posture_kit::tls::{PeerIdentity, peer_identity};
use posture_proto::internal::v1::vault_service_server::VaultService;
use posture_proto::internal::v1::{
    GetConnectionSecretRequest, GetConnectionSecretResponse, RecordHealthRequest, RecordHealthResponse,
};
use posture_proto::v1::credential::Kind;
use posture_proto::v1::{
    CertificateCredential, ClientSecretCredential, ConnectionHealth, ConnectionState, Credential, ErrorClass,
    FailureReason,
};
use tonic::{Request, Response, Status};

use crate::cloud::resolved_endpoints;
use crate::core::{Core, trace_id};
use crate::domain::AccessPurpose;
use crate::envelope::{EnvelopeError, SecretBinding, SecretKind, open};
use crate::error::{CredentialsError, UNREADABLE_SECRET_HINT};
use crate::health::health_record;
use crate::keyring::KeyringError;
use crate::store::{AccessRecord, ConnectionRecord, HealthOutcome, SealedRow};
use crate::validate;

/// The internal vault service; cheap to clone.
#[derive(Clone)]
pub struct VaultApi {
    pub(crate) core: Arc<Core>,
}

/// Stores a health result (the store stages the event of a state change with it); `false` when
/// it was for another credential version and was ignored.
pub(crate) async fn store_health(
    core: &Core,
    tenant_id: &TenantId,
    health: Option<&ConnectionHealth>,
    credential_version: u64,
) -> Result<bool, CredentialsError> {
    let now = core.now();
    let record = health_record(health, credential_version, now)?;
    match core.store.record_health(tenant_id, &record, now).await? {
        None => Err(CredentialsError::not_found(tenant_id)),
        Some(HealthOutcome::Stale { current_version }) => {
            tracing::info!(
                %tenant_id,
                credential_version,
                current_version,
                "health result for another credential version ignored"
            );
            Ok(false)
        }
        Some(HealthOutcome::Recorded { previous }) => {
            if previous != record.state {
                core.outbox.notify();
            }
            Ok(true)
        }
    }
}

/// The connection and its sealed secret from the same credential version: a replacement that
/// commits between the two reads is noticed and the pair read again.
async fn consistent_read(
    core: &Core,
    tenant_id: &TenantId,
) -> Result<(ConnectionRecord, SealedRow), CredentialsError> {
    for _ in 0..3 {
        let record = core.existing(tenant_id).await?;
        let sealed = core
            .store
            .sealed_secret(tenant_id)
            .await?
            .ok_or_else(|| CredentialsError::not_found(tenant_id))?;
        if sealed.credential_version == record.credential_version
            && sealed.connection_id == record.connection_id
        {
            return Ok((record, sealed));
        }
    }
    Err(CredentialsError::Unavailable {
        what: "the connection's credential".to_owned(),
        reason: "it is being replaced right now; retry".to_owned(),
    })
}

/// The code a connection's health carries when its stored secret does not decrypt.
pub const UNREADABLE_SECRET_CODE: &str = "StoredCredentialUnreadable";

/// Why a sealed secret did not open, in words that name ids and key ids but no key material;
/// `None` for failures that are not about the stored row (those stay internal errors).
fn unreadable_cause(error: &EnvelopeError, sealed: &SealedRow) -> Option<String> {
    let key_id = &sealed.sealed.key_id;
    match error {
        EnvelopeError::Tampered { connection_id, .. } => Some(format!(
            "it was sealed for another connection or has been altered since it was saved \
             (connection {connection_id}, vault key '{key_id}')"
        )),
        EnvelopeError::UnknownFormat(version) => Some(format!("it has an unknown format version {version}")),
        EnvelopeError::Keyring(KeyringError::UnknownKey(id)) => Some(format!(
            "it was sealed with vault key '{id}', which is no longer in the keyring"
        )),
        _ => None,
    }
}

/// A stored secret that cannot be decrypted: no retry helps, so the connection's health becomes
/// Authentication Error (the state whose remedy is saving the credential again) with the whole
/// cause, recorded like any test result so the change is announced; the caller gets the error.
async fn unreadable(core: &Core, sealed: &SealedRow, tenant_id: TenantId, cause: String) -> CredentialsError {
    let kind = match sealed.kind {
        SecretKind::ClientSecret => "client secret",
        SecretKind::CertificateKey => "certificate private key",
    };
    tracing::error!(%tenant_id, kind, %cause, "stored secret cannot be decrypted");
    let health = ConnectionHealth {
        state: ConnectionState::AuthenticationError as i32,
        reason: Some(FailureReason {
            error_class: ErrorClass::Authentication as i32,
            code: UNREADABLE_SECRET_CODE.to_owned(),
            message: format!("the stored {kind} cannot be decrypted: {cause}; {UNREADABLE_SECRET_HINT}"),
            ..Default::default()
        }),
        checked_at: Some(timestamp(core.now())),
        ..Default::default()
    };
    let version = u64::try_from(sealed.credential_version).unwrap_or(0);
    if let Err(error) = store_health(core, &tenant_id, Some(&health), version).await {
        tracing::warn!(%tenant_id, %error, "could not record the unreadable secret as connection health");
    }
    CredentialsError::SecretUnreadable {
        tenant_id,
        kind,
        cause,
    }
}

impl VaultApi {
    async fn secret(
        &self,
        trace_id: String,
        peer: Option<&PeerIdentity>,
        request: &GetConnectionSecretRequest,
    ) -> Result<GetConnectionSecretResponse, CredentialsError> {
        let core = &self.core;
        let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
        let purpose = AccessPurpose::from_proto(request.purpose).ok_or_else(|| {
            CredentialsError::invalid("purpose", "must be TOKEN_REQUEST or CONNECTION_TEST")
        })?;
        // Who is asking comes from the caller's verified certificate, never from the request. The
        // internal server's policy already refused anyone else; this check keeps the vault closed
        // even on a server mounted without it.
        let Some(peer) = peer else {
            tracing::warn!(%tenant_id, "vault access refused: no verified role certificate");
            return Err(CredentialsError::Unauthenticated {
                reason: "the vault answers only callers with a role certificate from the internal CA"
                    .to_owned(),
            });
        };
        let Some(role) = core
            .settings
            .vault_callers
            .iter()
            .copied()
            .find(|role| peer.holds(*role))
        else {
            tracing::warn!(%tenant_id, caller = %peer, "vault access refused");
            return Err(CredentialsError::PermissionDenied {
                reason: format!("the {peer} role may not read connection secrets"),
            });
        };
        let caller = role.as_str();
        let (record, sealed) = consistent_read(core, &tenant_id).await?;
        let binding = SecretBinding {
            tenant_id,
            connection_id: record.connection_id,
            kind: sealed.kind,
        };
        let plaintext = match open(&core.keyring, binding, &sealed.sealed) {
            Ok(plaintext) => plaintext,
            Err(error) => match unreadable_cause(&error, &sealed) {
                Some(cause) => return Err(unreadable(core, &sealed, tenant_id, cause).await),
                None => return Err(error.into()),
            },
        };
        let Ok(text) = String::from_utf8(plaintext.to_vec()) else {
            let cause = "it opened to bytes that are not UTF-8".to_owned();
            return Err(unreadable(core, &sealed, tenant_id, cause).await);
        };
        // Recorded before the secret leaves: without a log entry there is no secret.
        core.store
            .append_access(&AccessRecord {
                tenant_id,
                connection_id: record.connection_id,
                caller: caller.to_owned(),
                purpose,
                credential_version: sealed.credential_version,
                trace_id,
                accessed_at: core.now(),
            })
            .await?;
        tracing::info!(
            %tenant_id,
            caller,
            purpose = purpose.name(),
            "connection secret handed out"
        );
        let expires_at = Some(timestamp(record.secret.expires_at));
        let kind = match sealed.kind {
            SecretKind::ClientSecret => Kind::ClientSecret(ClientSecretCredential {
                secret_value: text,
                expires_at,
            }),
            SecretKind::CertificateKey => Kind::Certificate(CertificateCredential {
                certificate_pem: record.secret.certificate_pem.clone().unwrap_or_default(),
                private_key_pem: text,
            }),
        };
        Ok(GetConnectionSecretResponse {
            client_id: record.client_id.clone(),
            cloud: record.cloud.proto() as i32,
            endpoints: Some(resolved_endpoints(record.cloud, record.endpoints.clone()).into()),
            credential: Some(Credential { kind: Some(kind) }),
            credential_version: u64::try_from(sealed.credential_version).unwrap_or(0),
            expires_at,
        })
    }
}

#[tonic::async_trait]
impl VaultService for VaultApi {
    async fn get_connection_secret(
        &self,
        request: Request<GetConnectionSecretRequest>,
    ) -> Result<Response<GetConnectionSecretResponse>, Status> {
        let trace_id = trace_id(request.metadata());
        let peer = peer_identity(&request);
        Ok(Response::new(
            self.secret(trace_id, peer, request.get_ref()).await?,
        ))
    }

    async fn record_health(
        &self,
        request: Request<RecordHealthRequest>,
    ) -> Result<Response<RecordHealthResponse>, Status> {
        let request = request.get_ref();
        let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
        let recorded = store_health(
            &self.core,
            &tenant_id,
            request.health.as_ref(),
            request.credential_version,
        )
        .await?;
        Ok(Response::new(RecordHealthResponse { recorded }))
    }
}
