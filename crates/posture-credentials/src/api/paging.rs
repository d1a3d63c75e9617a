//! The two paged listings: connections (by tenant id) and the access log (newest first by time,
//! for one tenant, a set of tenants or all of them), both
//! keyset pages through `posture_kit::paging`, whose tokens pin the filters they were issued for.

use posture_kit::error::page_size;
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, from_optional_timestamp, micros, timestamp};
use posture_proto::v1::{
    ConnectionState as ApiState, CredentialAccess, ListConnectionsRequest, ListConnectionsResponse,
    ListCredentialAccessesRequest, ListCredentialAccessesResponse,
};

use crate::convert::connection;
use crate::core::Core;
use crate::domain::ConnectionState;
use crate::error::CredentialsError;
use crate::store::{AccessQuery, AccessTenants, ListFilter};
use crate::validate;

/// Connections by tenant id; the filters are the state, the expiring-soon flag and the tag.
fn connections_listing(request: &ListConnectionsRequest) -> Keyset {
    Keyset::new(
        "connections",
        format!(
            "{}|{}|{}",
            request.state,
            request.expiring_soon_only,
            request.tag.trim().to_ascii_lowercase()
        ),
    )
}

pub(crate) async fn list_connections(
    core: &Core,
    request: &ListConnectionsRequest,
) -> Result<ListConnectionsResponse, CredentialsError> {
    let size = page_size(request.page_size, 50, 500)?;
    let state = match ConnectionState::from_proto(request.state) {
        Some(state) => Some(state),
        None if request.state == ApiState::Unspecified as i32 => None,
        None => {
            return Err(CredentialsError::invalid(
                "state",
                "must be one of the ConnectionState values",
            ));
        }
    };
    let listing = connections_listing(request);
    let after_tenant = match listing.resume(&request.page_token)? {
        Some(position) => Some(validate::tenant_id("page_token", position.text(0)?).map_err(|_| {
            CredentialsError::invalid("page_token", "is not a page token returned by this API")
        })?),
        None => None,
    };
    let now = core.now();
    let window = core.warning_window();
    let filter = ListFilter {
        state,
        // `expiring_soon` includes credentials that expire exactly at the window's end.
        expiring_before: request
            .expiring_soon_only
            .then(|| now + window + chrono::Duration::microseconds(1)),
        after_tenant,
        tag: match request.tag.trim() {
            "" => None,
            tag => Some(crate::validate::tag("tag", tag)?),
        },
        limit: i64::from(size) + 1,
    };
    let mut records = core.store.list_connections(&filter).await?;
    let next_page_token = listing.page(&mut records, size as usize, |record| {
        [record.tenant_id.to_string()]
    });
    Ok(ListConnectionsResponse {
        connections: records.iter().map(|r| connection(r, now, window)).collect(),
        next_page_token,
    })
}

/// Most tenants one access-log listing may name (an API key's largest scope).
const MAX_LISTED_TENANTS: usize = 10_000;

/// Whose accesses a request lists: `tenant_id`, else `tenant_ids`, else every tenant.
fn access_tenants(request: &ListCredentialAccessesRequest) -> Result<AccessTenants, CredentialsError> {
    if !request.tenant_id.is_empty() {
        if !request.tenant_ids.is_empty() {
            return Err(CredentialsError::invalid(
                "tenant_ids",
                "must be empty when tenant_id is set",
            ));
        }
        return Ok(AccessTenants::Only(vec![validate::tenant_id(
            "tenant_id",
            &request.tenant_id,
        )?]));
    }
    if request.tenant_ids.is_empty() {
        return Ok(AccessTenants::All);
    }
    if request.tenant_ids.len() > MAX_LISTED_TENANTS {
        return Err(CredentialsError::invalid(
            "tenant_ids",
            format!("must name at most {MAX_LISTED_TENANTS} tenants"),
        ));
    }
    let mut tenants = request
        .tenant_ids
        .iter()
        .map(|id| validate::tenant_id("tenant_ids", id))
        .collect::<Result<Vec<_>, _>>()?;
    tenants.sort();
    tenants.dedup();
    Ok(AccessTenants::Only(tenants))
}

pub(crate) async fn list_accesses(
    core: &Core,
    request: &ListCredentialAccessesRequest,
) -> Result<ListCredentialAccessesResponse, CredentialsError> {
    let tenants = access_tenants(request)?;
    let size = page_size(request.page_size, 100, 1000)?;
    let range = request.accessed.unwrap_or_default();
    let from = from_optional_timestamp("accessed.start_at", range.start_at.as_ref())?;
    let until = from_optional_timestamp("accessed.end_at", range.end_at.as_ref())?;
    if let (Some(from), Some(until)) = (from, until)
        && from > until
    {
        return Err(CredentialsError::invalid(
            "accessed",
            "start_at must not be after end_at",
        ));
    }
    let tenant_filter = match &tenants {
        AccessTenants::All => String::new(),
        AccessTenants::Only(tenants) => tenants
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    };
    let listing = Keyset::new(
        "credential-accesses",
        format!(
            "{tenant_filter}|{}|{}",
            from.map(micros).unwrap_or_default(),
            until.map(micros).unwrap_or_default()
        ),
    );
    let before = match listing.resume(&request.page_token)? {
        Some(position) => Some((from_micros(position.int(0)?), position.int(1)?)),
        None => None,
    };
    let mut entries = core
        .store
        .list_accesses(&AccessQuery {
            tenants,
            accessed_from: from,
            accessed_until: until,
            before,
            limit: i64::from(size) + 1,
        })
        .await?;
    let next_page_token = listing.page(&mut entries, size as usize, |(id, entry)| {
        [micros(entry.accessed_at).to_string(), id.to_string()]
    });
    Ok(ListCredentialAccessesResponse {
        accesses: entries
            .into_iter()
            .map(|(id, entry)| CredentialAccess {
                tenant_id: entry.tenant_id.to_string(),
                caller: entry.caller,
                purpose: entry.purpose.proto() as i32,
                credential_version: u64::try_from(entry.credential_version).unwrap_or(0),
                accessed_at: Some(timestamp(entry.accessed_at)),
                trace_id: entry.trace_id,
                access_id: u64::try_from(id).unwrap_or(0),
            })
            .collect(),
        next_page_token,
    })
}
