//! The two paged listings: connections (by tenant id) and the access log (newest first). Page
//! tokens are opaque cursors that also pin the filters they were issued for.

use posture_kit::error::page_size;
use posture_kit::ids::PageToken;
use posture_proto::v1::{
    ConnectionState, CredentialAccess, CredentialAccessPurpose, ListConnectionsRequest,
    ListConnectionsResponse, ListCredentialAccessesRequest, ListCredentialAccessesResponse,
};

use crate::convert::{connection, from_timestamp, timestamp};
use crate::core::Core;
use crate::error::CredentialsError;
use crate::store::{AccessQuery, ListFilter};
use crate::validate;

fn bad_token(reason: &str) -> CredentialsError {
    CredentialsError::invalid("page_token", reason.to_owned())
}

/// Splits a cursor issued by this module: `{scope}|{filters...}|{position}`.
fn cursor(token: &str, scope: &str, filters: &str) -> Result<Option<String>, CredentialsError> {
    let Some(token) = PageToken::decode(token)? else {
        return Ok(None);
    };
    let PageToken::Cursor(text) = token else {
        return Err(bad_token("is not a page token returned by this API"));
    };
    let prefix = format!("{scope}|{filters}|");
    match text.strip_prefix(&prefix) {
        Some(position) if !position.is_empty() => Ok(Some(position.to_owned())),
        _ if text.starts_with(&format!("{scope}|")) => Err(bad_token(
            "was issued for other filters; repeat the request with the same filters or start without a token",
        )),
        _ => Err(bad_token("is not a page token returned by this API")),
    }
}

fn next_token(scope: &str, filters: &str, position: &str) -> String {
    PageToken::Cursor(format!("{scope}|{filters}|{position}")).encode()
}

pub(crate) async fn list_connections(
    core: &Core,
    request: &ListConnectionsRequest,
) -> Result<ListConnectionsResponse, CredentialsError> {
    let size = page_size(request.page_size, 50, 500)?;
    let state = match ConnectionState::try_from(request.state) {
        Ok(ConnectionState::Unspecified) => None,
        Ok(state) => Some(state),
        Err(_) => {
            return Err(CredentialsError::invalid(
                "state",
                "must be one of the ConnectionState values",
            ));
        }
    };
    let filters = format!("{}|{}", request.state, request.expiring_soon_only);
    let after_tenant = cursor(&request.page_token, "c1", &filters)?;
    if let Some(after) = &after_tenant {
        validate::tenant_id("page_token", after)
            .map_err(|_| bad_token("is not a page token returned by this API"))?;
    }
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
    let more = records.len() > size as usize;
    records.truncate(size as usize);
    let next_page_token = match records.last() {
        Some(last) if more => next_token("c1", &filters, &last.tenant_id),
        _ => String::new(),
    };
    Ok(ListConnectionsResponse {
        connections: records.iter().map(|r| connection(r, now, window)).collect(),
        next_page_token,
    })
}

pub(crate) fn purpose_name(purpose: CredentialAccessPurpose) -> &'static str {
    match purpose {
        CredentialAccessPurpose::Unspecified => "unspecified",
        CredentialAccessPurpose::TokenRequest => "token_request",
        CredentialAccessPurpose::ConnectionTest => "connection_test",
    }
}

fn purpose_from_name(name: &str) -> CredentialAccessPurpose {
    match name {
        "token_request" => CredentialAccessPurpose::TokenRequest,
        "connection_test" => CredentialAccessPurpose::ConnectionTest,
        _ => CredentialAccessPurpose::Unspecified,
    }
}

pub(crate) async fn list_accesses(
    core: &Core,
    request: &ListCredentialAccessesRequest,
) -> Result<ListCredentialAccessesResponse, CredentialsError> {
    let tenant_id = validate::tenant_id("tenant_id", &request.tenant_id)?;
    let size = page_size(request.page_size, 100, 1000)?;
    let range = request.accessed.unwrap_or_default();
    let from = range
        .start_at
        .as_ref()
        .map(|t| from_timestamp("accessed.start_at", t))
        .transpose()?;
    let until = range
        .end_at
        .as_ref()
        .map(|t| from_timestamp("accessed.end_at", t))
        .transpose()?;
    if let (Some(from), Some(until)) = (from, until)
        && from > until
    {
        return Err(CredentialsError::invalid(
            "accessed",
            "start_at must not be after end_at",
        ));
    }
    let filters = format!(
        "{tenant_id}|{}|{}",
        from.map(|t| t.timestamp_micros()).unwrap_or_default(),
        until.map(|t| t.timestamp_micros()).unwrap_or_default()
    );
    let before_id = cursor(&request.page_token, "a1", &filters)?
        .map(|position| {
            position
                .parse::<i64>()
                .map_err(|_| bad_token("is not a page token returned by this API"))
        })
        .transpose()?;
    let page = core
        .store
        .list_accesses(&AccessQuery {
            tenant_id,
            accessed_from: from,
            accessed_until: until,
            before_id,
            limit: i64::from(size) + 1,
        })
        .await?;
    let more = page.entries.len() > size as usize;
    let mut entries = page.entries;
    entries.truncate(size as usize);
    // The store returned one row more than the page holds when there is a next page; the cursor
    // is the id of the last entry returned.
    let next_page_token = match page.ids.get(entries.len().saturating_sub(1)) {
        Some(last) if more => next_token("a1", &filters, &last.to_string()),
        _ => String::new(),
    };
    Ok(ListCredentialAccessesResponse {
        accesses: entries
            .into_iter()
            .map(|entry| CredentialAccess {
                tenant_id: entry.tenant_id,
                caller: entry.caller,
                purpose: purpose_from_name(&entry.purpose) as i32,
                credential_version: u64::try_from(entry.credential_version).unwrap_or(0),
                accessed_at: Some(timestamp(entry.accessed_at)),
                trace_id: entry.trace_id,
            })
            .collect(),
        next_page_token,
    })
}
