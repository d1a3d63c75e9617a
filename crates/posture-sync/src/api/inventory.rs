//! InventoryService: the entity kinds, and the synced objects and versions of a tenant.

use posture_kit::ids::TenantId;
use posture_kit::paging::Keyset;
use posture_proto::v1 as pb;
use posture_proto::v1::inventory_service_server::InventoryService;
use tonic::{Request, Response, Status};

use super::validate;
use crate::convert;
use crate::error::SyncError;
use crate::kinds::{self, ReadMode};
use crate::store::{InventoryStore, ObjectQuery};

#[derive(Clone)]
pub struct InventoryApi {
    pub store: InventoryStore,
}

impl InventoryApi {
    /// A tenant the inventory has never synced is NOT_FOUND.
    async fn known_tenant(&self, tenant: &str) -> Result<TenantId, SyncError> {
        let tenant = validate::tenant(tenant)?;
        if self.store.tenant_known(&tenant).await? {
            Ok(tenant)
        } else {
            Err(SyncError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            })
        }
    }
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn list_entity_kinds(
        &self,
        _request: Request<pb::ListEntityKindsRequest>,
    ) -> Result<Response<pb::ListEntityKindsResponse>, Status> {
        let entity_kinds = kinds::ALL
            .iter()
            .map(|k| pb::EntityKind {
                name: k.name.to_owned(),
                display_name: k.display_name.to_owned(),
                resource: pb::ApiResource::Graph as i32,
                endpoint: k.endpoint(),
                permissions: k.spec().permissions.iter().map(|p| (*p).to_owned()).collect(),
                configuration: k.configuration,
                delta: k.read == ReadMode::Delta,
            })
            .collect();
        Ok(Response::new(pb::ListEntityKindsResponse { entity_kinds }))
    }

    async fn list_objects(
        &self,
        request: Request<pb::ListObjectsRequest>,
    ) -> Result<Response<pb::ListObjectsResponse>, Status> {
        let body = request.into_inner();
        let kind = validate::kind("entity_kind", &body.entity_kind)?;
        let limit = validate::page_size(body.page_size, 100, 1000)?;
        let view = pb::ObjectView::try_from(body.view)
            .map_err(|_| SyncError::invalid("view", "is not an ObjectView"))?;
        let as_of = posture_kit::time::from_optional_timestamp("as_of", body.as_of.as_ref())
            .map_err(SyncError::from)?;
        if as_of.is_some() && !kind.configuration {
            return Err(SyncError::FailedPrecondition(format!(
                "{} is not a configuration kind; it keeps no versions to read as of a time",
                kind.name
            ))
            .into());
        }
        let tenant = self.known_tenant(&body.tenant_id).await?;
        // The time is part of the listing: a token from one point in time does not resume another.
        let listing = Keyset::new(
            "objects",
            format!(
                "{tenant}|{}|{}|{}",
                kind.name,
                body.include_removed,
                as_of.map(posture_kit::time::micros).unwrap_or(-1)
            ),
        );
        let after = listing.resume(&body.page_token)?;
        let after = match &after {
            Some(position) => Some(position.text(0)?),
            None => None,
        };
        let mut objects = self
            .store
            .list_objects(&ObjectQuery {
                tenant_id: tenant,
                kind: kind.name,
                include_removed: body.include_removed,
                with_content: view == pb::ObjectView::Full,
                after,
                limit: limit + 1,
                as_of,
            })
            .await
            .map_err(SyncError::from)?;
        let next_page_token = listing.page(&mut objects, limit as usize, |o| [o.object_id.clone()]);
        Ok(Response::new(pb::ListObjectsResponse {
            objects: objects.into_iter().map(convert::object).collect(),
            next_page_token,
        }))
    }

    async fn get_object(
        &self,
        request: Request<pb::GetObjectRequest>,
    ) -> Result<Response<pb::GetObjectResponse>, Status> {
        let body = request.into_inner();
        let kind = validate::kind("entity_kind", &body.entity_kind)?;
        let object_id = validate::object_id(&body.object_id)?;
        let tenant = validate::tenant(&body.tenant_id)?;
        let object = self
            .store
            .object(&tenant, kind.name, object_id)
            .await
            .map_err(SyncError::from)?
            .ok_or_else(|| SyncError::NotFound {
                what: "object",
                id: object_id.to_owned(),
            })?;
        Ok(Response::new(pb::GetObjectResponse {
            object: Some(convert::object(object)),
        }))
    }

    async fn list_object_versions(
        &self,
        request: Request<pb::ListObjectVersionsRequest>,
    ) -> Result<Response<pb::ListObjectVersionsResponse>, Status> {
        let body = request.into_inner();
        let kind = validate::kind("entity_kind", &body.entity_kind)?;
        let object_id = validate::object_id(&body.object_id)?;
        let limit = validate::page_size(body.page_size, 50, 500)?;
        let tenant = validate::tenant(&body.tenant_id)?;
        let listing = Keyset::new("object-versions", format!("{tenant}|{}|{object_id}", kind.name));
        let before = match listing.resume(&body.page_token)? {
            Some(position) => Some(position.int(0)?),
            None => None,
        };
        if !kind.configuration {
            return Err(SyncError::FailedPrecondition(format!(
                "{} is not a configuration kind; it keeps no versions",
                kind.name
            ))
            .into());
        }
        let object = self
            .store
            .object(&tenant, kind.name, object_id)
            .await
            .map_err(SyncError::from)?
            .ok_or_else(|| SyncError::NotFound {
                what: "object",
                id: object_id.to_owned(),
            })?;
        let mut versions = self
            .store
            .versions(&tenant, kind.name, object_id, before, limit + 1)
            .await
            .map_err(SyncError::from)?;
        let next_page_token = listing.page(&mut versions, limit as usize, |v| [v.version.to_string()]);
        Ok(Response::new(pb::ListObjectVersionsResponse {
            versions: versions
                .into_iter()
                .map(|v| convert::version(kind.name, &object.display_name, v))
                .collect(),
            next_page_token,
        }))
    }

    async fn get_object_version(
        &self,
        request: Request<pb::GetObjectVersionRequest>,
    ) -> Result<Response<pb::GetObjectVersionResponse>, Status> {
        let body = request.into_inner();
        let kind = validate::kind("entity_kind", &body.entity_kind)?;
        let object_id = validate::object_id(&body.object_id)?;
        let tenant = validate::tenant(&body.tenant_id)?;
        let version = i64::try_from(body.version)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| SyncError::invalid("version", "must be a version number starting at 1"))?;
        if !kind.configuration {
            return Err(SyncError::FailedPrecondition(format!(
                "{} is not a configuration kind; it keeps no versions",
                kind.name
            ))
            .into());
        }
        let found = self
            .store
            .version(&tenant, kind.name, object_id, version)
            .await
            .map_err(SyncError::from)?
            .ok_or_else(|| SyncError::NotFound {
                what: "object version",
                id: format!("{object_id}@{version}"),
            })?;
        let name = self
            .store
            .object(&tenant, kind.name, object_id)
            .await
            .map_err(SyncError::from)?
            .map(|o| o.display_name)
            .unwrap_or_default();
        Ok(Response::new(pb::GetObjectVersionResponse {
            version: Some(convert::version(kind.name, &name, found)),
        }))
    }
}
