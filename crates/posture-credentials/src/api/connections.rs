//! `posture.v1.TenantConnectionService`: connections and their credentials. Secrets go in through
//! CreateConnection and UpdateCredentials and never come back out.

use std::sync::Arc;

use posture_kit::grpc::principal;
use posture_kit::ids::ConnectionId;
use posture_kit::time::timestamp;
use posture_proto::v1::tenant_connection_service_server::TenantConnectionService;
use posture_proto::v1::{
    Cloud, CreateConnectionRequest, CreateConnectionResponse, DeleteConnectionRequest,
    DeleteConnectionResponse, GetConnectionRequest, GetConnectionResponse, ListConnectionsRequest,
    ListConnectionsResponse, ListCredentialAccessesRequest, ListCredentialAccessesResponse,
    TestConnectionRequest, TestConnectionResponse, UpdateConnectionRequest, UpdateConnectionResponse,
    UpdateCredentialsRequest, UpdateCredentialsResponse,
};
use tonic::{Request, Response, Status};

use super::paging;
use crate::cloud::validate_cloud;
use crate::convert::connection;
use crate::core::Core;
use crate::envelope::{SecretBinding, seal};
use crate::error::CredentialsError;
use crate::store::{CredentialReplacement, NewConnection, SecretMetadata, SettingsChange};
use crate::validate::{self, ValidCredential};

/// The public connection service; cheap to clone.
#[derive(Clone)]
pub struct ConnectionApi {
    pub(crate) core: Arc<Core>,
}

fn metadata_of(
    credential: &ValidCredential,
    saved_by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> SecretMetadata {
    SecretMetadata {
        auth_method: credential.auth_method,
        saved_by: saved_by.to_owned(),
        saved_at: now,
        expires_at: credential.expires_at,
        certificate_thumbprint: credential.certificate_thumbprint.clone(),
        certificate_subject: credential.certificate_subject.clone(),
        certificate_pem: credential.certificate_pem.clone(),
    }
}

impl ConnectionApi {
    async fn create(
        &self,
        principal: String,
        request: CreateConnectionRequest,
    ) -> Result<CreateConnectionResponse, CredentialsError> {
        let core = &self.core;
        let now = core.now();
        let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
        let display_name = validate::display_name(&request.display_name)?;
        let client_id = validate::client_id("client_id", &request.client_id)?;
        let (cloud, endpoints) = validate_cloud(request.cloud, request.endpoints.as_ref())?;
        let credential = validate::credential(request.credential.as_ref(), now)?;
        let tags = validate::tags("tags", &request.tags)?;
        if core.store.connection(&tenant_id).await?.is_some() {
            return Err(CredentialsError::AlreadyConnected { tenant_id });
        }
        // A fresh id per connection: a secret sealed for a deleted connection of the same tenant
        // can never be opened for its successor.
        let connection_id = ConnectionId::new_random();
        let binding = SecretBinding {
            tenant_id,
            connection_id,
            kind: credential.kind,
        };
        let sealed = seal(&core.keyring, binding, credential.secret.expose())?;
        let record = core
            .store
            .create_connection(&NewConnection {
                tenant_id,
                connection_id,
                display_name,
                client_id,
                cloud,
                endpoints,
                secret: metadata_of(&credential, &principal, now),
                kind: credential.kind,
                sealed,
                created_by: principal.clone(),
                tags,
                now,
            })
            .await
            .map_err(|error| match error {
                crate::store::StoreError::AlreadyExists { .. } => {
                    CredentialsError::AlreadyConnected { tenant_id }
                }
                other => other.into(),
            })?;
        core.outbox.notify();
        tracing::info!(%tenant_id, created_by = principal, auth_method = ?credential.auth_method, "tenant connected");
        Ok(CreateConnectionResponse {
            connection: Some(connection(&record, now, core.warning_window())),
        })
    }

    async fn update(
        &self,
        principal: String,
        request: UpdateConnectionRequest,
    ) -> Result<UpdateConnectionResponse, CredentialsError> {
        let core = &self.core;
        let input = request.connection.ok_or_else(|| {
            CredentialsError::invalid("connection", "must be set; its tenant_id selects the connection")
        })?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        if paths.is_empty() {
            return Err(CredentialsError::invalid(
                "update_mask.paths",
                "must list the fields to change: display_name, cloud, endpoints, tags",
            ));
        }
        if let Some(bad) = paths
            .iter()
            .find(|p| !matches!(p.as_str(), "display_name" | "cloud" | "endpoints" | "tags"))
        {
            return Err(CredentialsError::invalid(
                "update_mask.paths",
                format!(
                    "`{bad}` cannot be changed here; allowed paths are display_name, cloud, endpoints, tags (use UpdateCredentials for the credential)"
                ),
            ));
        }
        let has = |path: &str| paths.iter().any(|p| p == path);
        let tenant_id = validate::tenant_id("connection.tenant_id", &input.tenant_id)?;
        let current = core.existing(&tenant_id).await?;
        let display_name = if has("display_name") {
            validate::display_name(&input.display_name)?
        } else {
            current.display_name.clone()
        };
        let cloud_value = if has("cloud") {
            input.cloud
        } else {
            current.cloud.proto() as i32
        };
        let endpoints_in = if has("endpoints") {
            input.endpoints.clone()
        } else if cloud_value == Cloud::Custom as i32 {
            current.endpoints.clone().map(Into::into)
        } else {
            None
        };
        let (cloud, endpoints) = validate_cloud(cloud_value, endpoints_in.as_ref())?;
        let now = core.now();
        let tags = if has("tags") {
            validate::tags("connection.tags", &input.tags)?
        } else {
            current.tags.clone()
        };
        let change = SettingsChange {
            reset_health: cloud != current.cloud || endpoints != current.endpoints,
            tags,
            display_name,
            cloud,
            endpoints,
            changed_by: principal,
            now,
        };
        if !core.store.update_settings(&tenant_id, &change).await? {
            return Err(CredentialsError::not_found(&tenant_id));
        }
        core.outbox.notify();
        let record = core.existing(&tenant_id).await?;
        Ok(UpdateConnectionResponse {
            connection: Some(connection(&record, now, core.warning_window())),
        })
    }

    async fn update_credentials(
        &self,
        principal: String,
        request: UpdateCredentialsRequest,
    ) -> Result<UpdateCredentialsResponse, CredentialsError> {
        let core = &self.core;
        let now = core.now();
        let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
        let client_id = match request.client_id.trim() {
            "" => None,
            other => Some(validate::client_id("client_id", other)?),
        };
        let credential = validate::credential(request.credential.as_ref(), now)?;
        let current = core.existing(&tenant_id).await?;
        let binding = SecretBinding {
            tenant_id,
            connection_id: current.connection_id,
            kind: credential.kind,
        };
        let sealed = seal(&core.keyring, binding, credential.secret.expose())?;
        let version = core
            .store
            .replace_credential(
                &tenant_id,
                &CredentialReplacement {
                    connection_id: current.connection_id,
                    client_id: client_id.as_deref(),
                    secret: &metadata_of(&credential, &principal, now),
                    kind: credential.kind,
                    sealed: &sealed,
                    now,
                },
            )
            .await?
            .ok_or_else(|| CredentialsError::not_found(&tenant_id))?;
        core.outbox.notify();
        tracing::info!(
            %tenant_id,
            credential_version = version,
            saved_by = principal,
            "credential replaced"
        );
        let record = core.existing(&tenant_id).await?;
        Ok(UpdateCredentialsResponse {
            connection: Some(connection(&record, now, core.warning_window())),
        })
    }

    async fn delete(
        &self,
        principal: String,
        request: DeleteConnectionRequest,
    ) -> Result<DeleteConnectionResponse, CredentialsError> {
        let core = &self.core;
        let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
        let confirmed =
            validate::tenant_id("confirm_tenant_id", &request.confirm_tenant_id).map_err(|_| {
                CredentialsError::invalid(
                    "confirm_tenant_id",
                    "must repeat tenant_id to confirm the deletion",
                )
            })?;
        if confirmed != tenant_id {
            return Err(CredentialsError::invalid(
                "confirm_tenant_id",
                "does not match tenant_id; repeat the tenant id of the connection to delete",
            ));
        }
        let reason = validate::reason(&request.reason)?;
        if request.purge_now && !request.purge {
            return Err(CredentialsError::invalid(
                "purge_now",
                "purges at once only with purge set",
            ));
        }
        let now = core.now();
        let purge_at = match (request.purge, request.purge_now) {
            (false, _) => None,
            (true, true) => Some(now),
            (true, false) => Some(crate::purge::due_after(now, core.settings.purge_grace)),
        };
        let deleted = core
            .store
            .delete_connection(&tenant_id, &principal, &reason, now, purge_at)
            .await?
            .ok_or_else(|| CredentialsError::not_found(&tenant_id))?;
        if request.purge_now {
            core.store.run_purge(&tenant_id, now).await?;
            tracing::info!(%tenant_id, requested_by = principal, "tenant purged");
        }
        core.outbox.notify();
        tracing::info!(
            %tenant_id,
            deleted_by = deleted.deleted_by,
            reason = deleted.reason,
            "connection deleted"
        );
        Ok(DeleteConnectionResponse {
            deleted_at: Some(timestamp(deleted.deleted_at)),
            purge_at: purge_at.map(timestamp),
        })
    }
}

#[tonic::async_trait]
impl TenantConnectionService for ConnectionApi {
    async fn create_connection(
        &self,
        request: Request<CreateConnectionRequest>,
    ) -> Result<Response<CreateConnectionResponse>, Status> {
        let principal = principal(request.metadata());
        Ok(Response::new(self.create(principal, request.into_inner()).await?))
    }

    async fn get_connection(
        &self,
        request: Request<GetConnectionRequest>,
    ) -> Result<Response<GetConnectionResponse>, Status> {
        let tenant_id = validate::tenant_id("tenant_id", &request.get_ref().tenant_id)?;
        let record = self.core.existing(&tenant_id).await?;
        Ok(Response::new(GetConnectionResponse {
            connection: Some(connection(&record, self.core.now(), self.core.warning_window())),
        }))
    }

    async fn list_connections(
        &self,
        request: Request<ListConnectionsRequest>,
    ) -> Result<Response<ListConnectionsResponse>, Status> {
        Ok(Response::new(
            paging::list_connections(&self.core, request.get_ref()).await?,
        ))
    }

    async fn update_connection(
        &self,
        request: Request<UpdateConnectionRequest>,
    ) -> Result<Response<UpdateConnectionResponse>, Status> {
        let principal = principal(request.metadata());
        Ok(Response::new(self.update(principal, request.into_inner()).await?))
    }

    async fn update_credentials(
        &self,
        request: Request<UpdateCredentialsRequest>,
    ) -> Result<Response<UpdateCredentialsResponse>, Status> {
        let principal = principal(request.metadata());
        Ok(Response::new(
            ConnectionApi::update_credentials(self, principal, request.into_inner()).await?,
        ))
    }

    async fn delete_connection(
        &self,
        request: Request<DeleteConnectionRequest>,
    ) -> Result<Response<DeleteConnectionResponse>, Status> {
        let principal = principal(request.metadata());
        Ok(Response::new(self.delete(principal, request.into_inner()).await?))
    }

    async fn test_connection(
        &self,
        request: Request<TestConnectionRequest>,
    ) -> Result<Response<TestConnectionResponse>, Status> {
        Ok(Response::new(
            super::test::test_connection(&self.core, request.get_ref()).await?,
        ))
    }

    async fn list_credential_accesses(
        &self,
        request: Request<ListCredentialAccessesRequest>,
    ) -> Result<Response<ListCredentialAccessesResponse>, Status> {
        Ok(Response::new(
            paging::list_accesses(&self.core, request.get_ref()).await?,
        ))
    }
}
