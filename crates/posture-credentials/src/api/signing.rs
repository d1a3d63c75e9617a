//! `posture.internal.v1.SigningService`: signs evidence manifests for the assessment role and
//! lists the public keys. The private key never leaves the role.

use std::sync::Arc;

use posture_kit::ServiceRole;
use posture_kit::time::timestamp;
use posture_kit::tls::{PeerIdentity, peer_identity};
use posture_proto::internal::v1::signing_service_server::SigningService;
use posture_proto::internal::v1::{
    GetActiveSigningKeyRequest, GetActiveSigningKeyResponse, ListSigningKeysRequest, ListSigningKeysResponse,
    SignRequest, SignResponse, SigningKeyInfo,
};
use tonic::{Request, Response, Status};

use crate::core::Core;
use crate::error::CredentialsError;
use crate::signing::{MAX_PAYLOAD_BYTES, active_key, sign};
use crate::store::SigningKeyRow;

/// The internal signing service; cheap to clone.
#[derive(Clone)]
pub struct SigningApi {
    pub(crate) core: Arc<Core>,
}

/// Only the assessment role, which builds evidence bundles, may use the signing key. The internal
/// server's policy refuses everyone else first; this keeps the key closed on a server mounted
/// without it.
fn caller_may_sign(peer: Option<&PeerIdentity>) -> Result<(), CredentialsError> {
    match peer {
        None => Err(CredentialsError::Unauthenticated {
            reason: "signing answers only callers with a role certificate from the internal CA".to_owned(),
        }),
        Some(peer) if peer.holds(ServiceRole::Assessment) => Ok(()),
        Some(peer) => Err(CredentialsError::PermissionDenied {
            reason: format!("the {peer} role may not use the evidence signing key"),
        }),
    }
}

fn info(key: &SigningKeyRow) -> SigningKeyInfo {
    SigningKeyInfo {
        key_id: key.key_id.clone(),
        public_key: key.public_key.clone(),
        created_at: Some(timestamp(key.created_at)),
        retired_at: key.retired_at.map(timestamp),
    }
}

#[tonic::async_trait]
impl SigningService for SigningApi {
    async fn get_active_signing_key(
        &self,
        request: Request<GetActiveSigningKeyRequest>,
    ) -> Result<Response<GetActiveSigningKeyResponse>, Status> {
        caller_may_sign(peer_identity(&request))?;
        let key = active_key(&self.core).await?;
        Ok(Response::new(GetActiveSigningKeyResponse {
            key: Some(info(&key)),
        }))
    }

    async fn sign(&self, request: Request<SignRequest>) -> Result<Response<SignResponse>, Status> {
        caller_may_sign(peer_identity(&request))?;
        let request = request.into_inner();
        if request.payload.is_empty() || request.payload.len() > MAX_PAYLOAD_BYTES {
            return Err(CredentialsError::invalid(
                "payload",
                format!("must hold 1 to {MAX_PAYLOAD_BYTES} bytes"),
            )
            .into());
        }
        let key = active_key(&self.core).await?;
        if key.key_id != request.key_id {
            return Err(Status::failed_precondition(format!(
                "key {:?} is not the active signing key (it is {}); ask GetActiveSigningKey again",
                request.key_id.chars().take(80).collect::<String>(),
                key.key_id
            )));
        }
        let signature = sign(&self.core, &key, &request.payload)?;
        tracing::info!(
            key_id = %key.key_id,
            purpose = %request.purpose.chars().take(200).collect::<String>(),
            bytes = request.payload.len(),
            "signed"
        );
        Ok(Response::new(SignResponse {
            signature,
            key_id: key.key_id,
        }))
    }

    async fn list_signing_keys(
        &self,
        request: Request<ListSigningKeysRequest>,
    ) -> Result<Response<ListSigningKeysResponse>, Status> {
        caller_may_sign(peer_identity(&request))?;
        let keys = self
            .core
            .store
            .signing_keys()
            .await
            .map_err(CredentialsError::from)?;
        Ok(Response::new(ListSigningKeysResponse {
            keys: keys.iter().map(info).collect(),
        }))
    }
}
