//! Secret reads for the activity log, read from the credentials role's access log
//! (`TenantConnectionService.ListCredentialAccesses`). The gateway resumes that listing after any
//! entry of a merged page, not only after the last entry of one of its own pages: it bounds the
//! time range at the entry's instant and skips the entries of that very instant already shown
//! (the listing orders each instant's entries by decreasing id).

use chrono::{DateTime, Duration, Utc};
use posture_kit::ServiceRole;
use posture_kit::ids::TenantId;
use posture_kit::time::{micros, timestamp};
use posture_proto::v1;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::Status;
use tonic::metadata::MetadataMap;

use super::page::{Entry, Source};
use crate::auth::Principal;
use crate::forward::{Forwarder, outgoing, service_status};

/// The credentials listing's largest page.
const MAX_PAGE: usize = 1000;

/// Whose secret reads to list.
#[derive(Debug, Clone)]
pub enum ReadTenants {
    All,
    Only(Vec<TenantId>),
}

/// What to read: a range, and the position to resume before (`(µs, id bound)`: entries of that
/// instant with an id at or above the bound were shown already).
#[derive(Debug, Clone)]
pub struct ReadQuery {
    pub tenants: ReadTenants,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<(i64, i64)>,
    pub limit: usize,
}

/// Up to `query.limit` secret reads, newest first.
pub async fn list(
    forwarder: &Forwarder,
    principal: &Principal,
    incoming: &MetadataMap,
    query: &ReadQuery,
) -> Result<Vec<Entry>, Status> {
    let role = ServiceRole::Credentials;
    let mut client = TenantConnectionServiceClient::new(forwarder.upstreams().channel(role)?)
        .max_decoding_message_size(forwarder.max_message_bytes())
        .max_encoding_message_size(forwarder.max_message_bytes());
    let (tenant_id, tenant_ids) = match &query.tenants {
        ReadTenants::All => (String::new(), Vec::new()),
        ReadTenants::Only(tenants) => match tenants.as_slice() {
            [one] => (one.to_string(), Vec::new()),
            many => (String::new(), many.iter().map(ToString::to_string).collect()),
        },
    };
    // The resume instant is included (`end_at` is exclusive, hence one microsecond later).
    let until = match (query.until, query.before) {
        (until, None) => until,
        (None, Some((at, _))) => Some(after(at)),
        (Some(until), Some((at, _))) => Some(until.min(after(at))),
    };
    let accessed = v1::TimeRange {
        start_at: query.from.map(timestamp),
        end_at: until.map(timestamp),
    };
    let mut entries = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = v1::ListCredentialAccessesRequest {
            tenant_id: tenant_id.clone(),
            accessed: Some(accessed),
            page_size: i32::try_from((query.limit + 1).min(MAX_PAGE)).unwrap_or(100),
            page_token,
            tenant_ids: tenant_ids.clone(),
        };
        let page = client
            .list_credential_accesses(outgoing(incoming, principal, request))
            .await
            .map_err(|status| service_status(role, "TenantConnectionService", status))?
            .into_inner();
        for access in page.accesses {
            let entry = entry(access);
            let shown = query
                .before
                .is_some_and(|(at, bound)| entry.at == at && entry.id >= bound);
            if !shown {
                entries.push(entry);
            }
        }
        if entries.len() >= query.limit || page.next_page_token.is_empty() {
            entries.truncate(query.limit);
            return Ok(entries);
        }
        page_token = page.next_page_token;
    }
}

fn after(at_micros: i64) -> DateTime<Utc> {
    posture_kit::time::from_micros(at_micros) + Duration::microseconds(1)
}

fn entry(access: v1::CredentialAccess) -> Entry {
    let at = access
        .accessed_at
        .as_ref()
        .and_then(|ts| posture_kit::time::from_timestamp("accessed_at", ts).ok())
        .map_or(0, micros);
    let id = i64::try_from(access.access_id).unwrap_or(i64::MAX);
    Entry {
        at,
        source: Source::SecretRead,
        id,
        activity: v1::Activity {
            activity_id: format!("secret-read-{id}"),
            kind: v1::ActivityKind::SecretRead as i32,
            occurred_at: access.accessed_at,
            principal: Some(v1::ActivityPrincipal {
                service_role: access.caller,
                ..Default::default()
            }),
            tenant_ids: vec![access.tenant_id],
            rpc: String::new(),
            status_code: 0,
            trace_id: access.trace_id,
            read_purpose: access.purpose,
            credential_version: access.credential_version,
        },
    }
}
