//! The two paged listings: connections (by tenant id) and the access log (newest first), both
//! keyset pages through `posture_kit::paging`, whose tokens pin the filters they were issued for.

use posture_kit::error::page_size;
use posture_kit::paging::Keyset;
use posture_kit::time::{from_optional_timestamp, micros, timestamp};
use posture_proto::v1::{
    ConnectionState as ApiState, CredentialAccess, ListConnectionsRequest, ListConnectionsResponse,
    ListCredentialAccessesRequest, ListCredentialAccessesResponse,
};

use crate::convert::connection;
use crate::core::Core;
use crate::domain::ConnectionState;
use crate::error::CredentialsError;
use crate::store::{AccessQuery, ListFilter};
use crate::validate;

/// Connections by tenant id; the filters are the state and the expiring-soon flag.
fn connections_listing(request: &ListConnectionsRequest) -> Keyset {
    Keyset::new(
        "connections",
        format!("{}|{}", request.state, request.expiring_soon_only),
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

pub(crate) async fn list_accesses(
    core: &Core,
    request: &ListCredentialAccessesRequest,
) -> Result<ListCredentialAccessesResponse, CredentialsError> {
    let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
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
    let listing = Keyset::new(
        "credential-accesses",
        format!(
            "{tenant_id}|{}|{}",
            from.map(micros).unwrap_or_default(),
            until.map(micros).unwrap_or_default()
        ),
    );
    let before_id = listing
        .resume(&request.page_token)?
        .map(|position| position.int(0))
        .transpose()?;
    let mut entries = core
        .store
        .list_accesses(&AccessQuery {
            tenant_id,
            accessed_from: from,
            accessed_until: until,
            before_id,
            limit: i64::from(size) + 1,
        })
        .await?;
    let next_page_token = listing.page(&mut entries, size as usize, |(id, _)| [id.to_string()]);
    Ok(ListCredentialAccessesResponse {
        accesses: entries
            .into_iter()
            .map(|(_, entry)| CredentialAccess {
                tenant_id: entry.tenant_id.to_string(),
                caller: entry.caller,
                purpose: entry.purpose.proto() as i32,
                credential_version: u64::try_from(entry.credential_version).unwrap_or(0),
                accessed_at: Some(timestamp(entry.accessed_at)),
                trace_id: entry.trace_id,
            })
            .collect(),
        next_page_token,
    })
}
