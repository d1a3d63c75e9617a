//! EvidenceService: signed evidence bundles of assessments for auditors, and the public keys that
//! verify them. The files are gathered in [`bundle`], written and signed in the format of
//! [`posture_kit::evidence`]; the signature comes from the credentials role's SigningService,
//! which keeps the private key (this role never holds it).

mod bundle;
mod json;

use std::pin::Pin;

use futures::Stream;
use posture_kit::ServiceError;
use posture_kit::archive::sha256_hex;
use posture_kit::clock::SharedClock;
use posture_kit::evidence::{FORMAT, Manifest, entries, public_key_pem, write_bundle};
use posture_kit::time::timestamp;
use posture_proto::internal::v1 as internal;
use posture_proto::internal::v1::signing_service_client::SigningServiceClient;
use posture_proto::v1 as pb;
use posture_proto::v1::evidence_service_server::EvidenceService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

use super::api::{AssessmentApi, DriftApi, ExceptionApi, validate};
use super::reader::InventoryReader;

/// Archive bytes per streamed message.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The evidence service; cheap to clone.
#[derive(Clone)]
pub struct EvidenceApi {
    pub(crate) assessments: AssessmentApi,
    pub(crate) exceptions: ExceptionApi,
    pub(crate) drift: DriftApi,
    pub(crate) reader: InventoryReader,
    /// The credentials role: the connection (permission test) and the signing service.
    pub(crate) credentials: Channel,
    pub(crate) clock: SharedClock,
}

/// A signing failure as the caller sees it: the credentials role's refusal is this role's
/// misconfiguration or outage, never the caller's mistake.
fn signing_status(status: Status) -> Status {
    tracing::warn!(code = ?status.code(), message = %status.message(), "evidence signing failed");
    match status.code() {
        Code::PermissionDenied | Code::Unauthenticated => Status::internal(
            "the credentials role refused to sign for the assessment role; check the role certificates",
        ),
        _ => Status::unavailable(format!(
            "the evidence signing key cannot be used right now: {}",
            status.message()
        )),
    }
}

/// A built bundle: its signed manifest and the archive.
struct Built {
    manifest: pb::EvidenceManifest,
    archive: Vec<u8>,
}

impl EvidenceApi {
    async fn build(
        &self,
        tenant_id: &str,
        assessment_id: &str,
        as_of: Option<&prost_types::Timestamp>,
        exclude_raw_evidence: bool,
    ) -> Result<Built, Status> {
        let tenant = validate::tenant(tenant_id)?;
        let assessment = self.resolve(&tenant, assessment_id.trim(), as_of).await?;
        let gathered = self.gather(&tenant, assessment, exclude_raw_evidence).await?;
        let files = entries(&gathered.files);
        let mut signing = SigningServiceClient::new(self.credentials.clone());
        // A key rotated between the two calls is noticed by Sign; one more round uses the new one.
        let mut attempt = 0;
        let (manifest, manifest_bytes, signature) = loop {
            attempt += 1;
            let key = signing
                .get_active_signing_key(internal::GetActiveSigningKeyRequest {})
                .await
                .map_err(signing_status)?
                .into_inner()
                .key
                .unwrap_or_default();
            let manifest = Manifest {
                format: FORMAT.to_owned(),
                tenant_id: gathered.assessment.tenant_id.clone(),
                assessment_id: gathered.assessment.assessment_id.clone(),
                pack_version: gathered.assessment.pack_version.clone(),
                assessed_at: gathered.assessed_at,
                signed_at: self.clock.now(),
                key_id: key.key_id.clone(),
                files: files.clone(),
            };
            let bytes = manifest.to_bytes();
            let signed = signing
                .sign(internal::SignRequest {
                    payload: bytes.clone(),
                    key_id: key.key_id,
                    purpose: format!(
                        "evidence manifest of assessment {}",
                        gathered.assessment.assessment_id
                    ),
                })
                .await;
            match signed {
                Ok(signed) => break (manifest, bytes, signed.into_inner().signature),
                Err(status) if status.code() == Code::FailedPrecondition && attempt < 2 => continue,
                Err(status) => return Err(signing_status(status)),
            }
        };
        let archive = write_bundle(
            &gathered.files,
            &manifest_bytes,
            &signature,
            gathered.assessed_at.timestamp(),
        )
        .map_err(|error| Status::from(ServiceError::internal("writing the evidence archive", error)))?;
        tracing::info!(
            tenant_id = %manifest.tenant_id,
            assessment_id = %manifest.assessment_id,
            key_id = %manifest.key_id,
            files = manifest.files.len(),
            bytes = archive.len(),
            "evidence bundle built"
        );
        Ok(Built {
            manifest: pb::EvidenceManifest {
                tenant_id: manifest.tenant_id,
                assessment_id: manifest.assessment_id,
                pack_version: manifest.pack_version,
                assessed_at: Some(timestamp(manifest.assessed_at)),
                entries: manifest
                    .files
                    .into_iter()
                    .map(|e| pb::ManifestEntry {
                        path: e.path,
                        sha256: e.sha256,
                        size_bytes: e.size_bytes,
                        media_type: e.media_type,
                    })
                    .collect(),
                signed_at: Some(timestamp(manifest.signed_at)),
                key_id: manifest.key_id,
                signature,
                format: manifest.format,
            },
            archive,
        })
    }
}

type BundleStream = Pin<Box<dyn Stream<Item = Result<pb::ExportEvidenceBundleResponse, Status>> + Send>>;

#[tonic::async_trait]
impl EvidenceService for EvidenceApi {
    type ExportEvidenceBundleStream = BundleStream;

    async fn export_evidence_bundle(
        &self,
        request: Request<pb::ExportEvidenceBundleRequest>,
    ) -> Result<Response<Self::ExportEvidenceBundleStream>, Status> {
        let body = request.into_inner();
        let built = self
            .build(
                &body.tenant_id,
                &body.assessment_id,
                body.as_of.as_ref(),
                body.exclude_raw_evidence,
            )
            .await?;
        use pb::export_evidence_bundle_response::Part;
        let digest = pb::BundleDigest {
            sha256: sha256_hex(&built.archive),
            size_bytes: built.archive.len() as u64,
        };
        let mut parts = vec![Part::Manifest(built.manifest)];
        parts.extend(built.archive.chunks(CHUNK_BYTES).map(|c| Part::Chunk(c.to_vec())));
        parts.push(Part::Digest(digest));
        let messages = parts
            .into_iter()
            .map(|part| Ok(pb::ExportEvidenceBundleResponse { part: Some(part) }));
        Ok(Response::new(Box::pin(futures::stream::iter(messages))))
    }

    async fn get_evidence_manifest(
        &self,
        request: Request<pb::GetEvidenceManifestRequest>,
    ) -> Result<Response<pb::GetEvidenceManifestResponse>, Status> {
        let body = request.into_inner();
        let built = self
            .build(
                &body.tenant_id,
                &body.assessment_id,
                body.as_of.as_ref(),
                body.exclude_raw_evidence,
            )
            .await?;
        Ok(Response::new(pb::GetEvidenceManifestResponse {
            manifest: Some(built.manifest),
        }))
    }

    async fn list_signing_keys(
        &self,
        _request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        let keys = SigningServiceClient::new(self.credentials.clone())
            .list_signing_keys(internal::ListSigningKeysRequest {})
            .await
            .map_err(signing_status)?
            .into_inner()
            .keys;
        Ok(Response::new(pb::ListSigningKeysResponse {
            keys: keys
                .into_iter()
                .map(|k| pb::SigningKey {
                    public_key_pem: public_key_pem(&k.public_key),
                    key_id: k.key_id,
                    algorithm: "Ed25519".to_owned(),
                    public_key: k.public_key,
                    created_at: k.created_at,
                    retired_at: k.retired_at,
                })
                .collect(),
        }))
    }
}
