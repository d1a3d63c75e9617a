//! `posture.v1.ApiKeyService`: create (the key is returned once), list (metadata only) and revoke.
//! A key may only hand out or see keys within its own tenant scope, so a tenant-scoped admin
//! cannot mint an all-tenants key.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posture_kit::ServiceError;
use posture_kit::clock::Clock;
use posture_kit::error::{page_size, require_max_len, require_non_empty};
use posture_kit::ids::ApiKeyId;
use posture_proto::v1;
use posture_proto::v1::api_key_service_server::ApiKeyService;
use secrecy::ExposeSecret;
use tonic::{Request, Response, Status};

use super::{ApiKeyRecord, ApiKeyStore, NewApiKey, StoreError, issue_key};
use crate::activity::CallNote;
use crate::auth::{AccessRole, TenantScope, principal_of};
use posture_kit::paging::Keyset;
use posture_kit::time::{from_timestamp, timestamp};

const MAX_DISPLAY_NAME: usize = 200;

/// The ApiKeyService implementation mounted on the gateway.
#[derive(Debug, Clone)]
pub struct ApiKeyApi {
    store: ApiKeyStore,
    clock: Arc<dyn Clock>,
}

impl ApiKeyApi {
    pub fn new(store: ApiKeyStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::DuplicateName(name) => ServiceError::AlreadyExists {
                what: "API key named",
                id: name,
            },
            other => ServiceError::internal("using the API key store", other),
        }
    }
}

pub(crate) fn api_key_message(record: &ApiKeyRecord) -> v1::ApiKey {
    v1::ApiKey {
        api_key_id: record.id.to_string(),
        display_name: record.display_name.clone(),
        role: record.role.to_proto() as i32,
        scope: Some(record.scope.to_proto()),
        key_prefix: record.key_prefix.clone(),
        created_by: record.created_by.clone(),
        created_at: Some(timestamp(record.created_at)),
        expires_at: record.expires_at.map(timestamp),
        last_used_at: record.last_used_at.map(timestamp),
        revoked_at: record.revoked_at.map(timestamp),
    }
}

/// API keys, newest first; a page resumes after the last key's creation time and id.
fn listing(include_revoked: bool) -> Keyset {
    Keyset::new("api-keys", if include_revoked { "all" } else { "unrevoked" })
}

fn resume_after(keyset: &Keyset, token: &str) -> Result<Option<(DateTime<Utc>, ApiKeyId)>, ServiceError> {
    let invalid = || ServiceError::invalid("page_token", "is not a page token returned by this API");
    let Some(position) = keyset.resume(token)? else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(position.text(0)?).map_err(|_| invalid())?;
    let id = position.text(1)?.parse::<ApiKeyId>().map_err(|_| invalid())?;
    Ok(Some((at.with_timezone(&Utc), id)))
}

/// A key scoped to tenants is recorded in the activity log against them, so the admins of those
/// tenants see who handed out or revoked access to them.
fn note_scope<T>(request: &Request<T>, scope: &TenantScope) {
    if let TenantScope::Tenants(tenants) = scope {
        CallNote::add_to(request, tenants.iter().copied());
    }
}

#[tonic::async_trait]
impl ApiKeyService for ApiKeyApi {
    async fn create_api_key(
        &self,
        request: Request<v1::CreateApiKeyRequest>,
    ) -> Result<Response<v1::CreateApiKeyResponse>, Status> {
        let caller = principal_of(&request)?;
        let input = request.get_ref();
        let display_name = require_non_empty("display_name", &input.display_name)?;
        require_max_len("display_name", display_name, MAX_DISPLAY_NAME)?;
        let role = AccessRole::from_proto(input.role)?;
        let scope = TenantScope::from_proto(input.scope.as_ref())?;
        note_scope(&request, &scope);
        let now = self.clock.now();
        let expires_at = input
            .expires_at
            .as_ref()
            .map(|at| from_timestamp("expires_at", at))
            .transpose()?;
        if expires_at.is_some_and(|at| at <= now) {
            return Err(ServiceError::invalid("expires_at", "must be in the future").into());
        }
        if !caller.scope.covers(&scope) {
            return Err(ServiceError::PermissionDenied {
                reason: format!(
                    "the API key `{}` cannot create a key for tenants outside its own scope",
                    caller.name
                ),
            }
            .into());
        }
        let new = NewApiKey {
            display_name: display_name.to_owned(),
            role,
            scope,
            expires_at,
            created_by: caller.name.clone(),
        };
        let issued = issue_key(&self.store, new, now)
            .await
            .map_err(ServiceError::from)?;
        tracing::info!(api_key_id = %issued.record.id, created_by = %caller.name, role = %role, "API key created");
        Ok(Response::new(v1::CreateApiKeyResponse {
            api_key: Some(api_key_message(&issued.record)),
            key: issued.key.expose_secret().to_owned(),
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<v1::ListApiKeysRequest>,
    ) -> Result<Response<v1::ListApiKeysResponse>, Status> {
        let caller = principal_of(&request)?;
        let input = request.get_ref();
        let limit = page_size(input.page_size, 50, 500)?;
        let keyset = listing(input.include_revoked);
        let after = resume_after(&keyset, &input.page_token)?;
        // One row more than asked says whether another page exists.
        let mut page: Vec<ApiKeyRecord> = self
            .store
            .list(input.include_revoked, self.clock.now(), after, limit + 1)
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = keyset.page(&mut page, limit as usize, |last| {
            [last.created_at.to_rfc3339(), last.id.to_string()]
        });
        // Filtering after paging keeps tokens valid; a scoped caller may see short pages.
        let api_keys = page
            .iter()
            .filter(|record| caller.scope.covers(&record.scope))
            .map(api_key_message)
            .collect();
        Ok(Response::new(v1::ListApiKeysResponse {
            api_keys,
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<v1::RevokeApiKeyRequest>,
    ) -> Result<Response<v1::RevokeApiKeyResponse>, Status> {
        let caller = principal_of(&request)?;
        let id: ApiKeyId = request.get_ref().api_key_id.parse().map_err(ServiceError::from)?;
        let not_found = || ServiceError::not_found("API key", id);
        let existing = self.store.get(&id).await.map_err(ServiceError::from)?;
        match existing {
            Some(stored) if caller.scope.covers(&stored.record.scope) => {
                note_scope(&request, &stored.record.scope);
            }
            _ => return Err(not_found().into()),
        }
        let revoked = self
            .store
            .revoke(&id, self.clock.now())
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(not_found)?;
        tracing::info!(api_key_id = %id, revoked_by = %caller.name, "API key revoked");
        Ok(Response::new(v1::RevokeApiKeyResponse {
            api_key: Some(api_key_message(&revoked)),
        }))
    }
}
