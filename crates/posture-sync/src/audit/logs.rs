//! Entra's own logs, read from Graph: `auditLogs/directoryAudits`, `auditLogs/signIns` (v1.0
//! lists interactive sign-ins only) and the service-principal sign-ins of one app (beta, by event
//! type), newest first. Each read asks for everything at or after the last complete read's newest event, less an
//! overlap for events Entra records late, and stores what it has not seen (records are keyed by
//! id). The cursor moves to the newest event only after the last page, so a read that stops midway
//! is repeated whole.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use posture_graph::{EntityKind, GraphClient, GraphError, Record, Resource, pages};
use posture_kit::ids::TenantId;
use serde_json::Value;
use tokio_stream::StreamExt;
use url::Url;

use super::{AuditError, StreamRead, normalize};
use crate::store::{AuditEvent, InventoryStore};

/// Entra writes some events minutes after they happen; each read goes back this far.
const OVERLAP_MINUTES: i64 = 15;

/// Which Graph log a stream reads.
#[derive(Debug, Clone)]
pub(super) enum GraphLog {
    DirectoryAudits,
    SignIns,
    /// One app's own sign-ins, by the app id given.
    ServicePrincipalSignIns(String),
}

impl GraphLog {
    fn kind(&self) -> EntityKind {
        match self {
            GraphLog::DirectoryAudits => EntityKind::DirectoryAudits,
            GraphLog::SignIns | GraphLog::ServicePrincipalSignIns(_) => EntityKind::SignIns,
        }
    }

    fn time_field(&self) -> &'static str {
        match self {
            GraphLog::DirectoryAudits => "activityDateTime",
            GraphLog::SignIns | GraphLog::ServicePrincipalSignIns(_) => "createdDateTime",
        }
    }

    /// The first page: the catalog's v1.0 listing, or beta for service-principal sign-ins.
    // posture-graph's `GraphError`, passed through once per read.
    #[allow(clippy::result_large_err)]
    fn url(&self, client: &GraphClient) -> Result<Url, GraphError> {
        let spec = self.kind().spec();
        match self {
            GraphLog::ServicePrincipalSignIns(_) => {
                let mut url = client.url(Resource::Graph, "../beta/auditLogs/signIns")?;
                if let Some(top) = spec.page_size {
                    url.query_pairs_mut().append_pair("$top", &top.to_string());
                }
                Ok(url)
            }
            _ => spec.first_page_url(client),
        }
    }

    /// Clauses besides the time: the event type and the app, for service-principal sign-ins.
    fn filter(&self) -> Option<String> {
        match self {
            GraphLog::ServicePrincipalSignIns(app_id) => Some(format!(
                "signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '{}'",
                app_id.replace('\'', "''")
            )),
            _ => None,
        }
    }

    fn normalize(&self, tenant: TenantId, source: &str, record: &Record<Value>) -> Option<AuditEvent> {
        match self {
            GraphLog::DirectoryAudits => normalize::directory_audit(tenant, &record.value, record.raw.get()),
            _ => normalize::sign_in(tenant, source, &record.value, record.raw.get()),
        }
    }
}

/// Reads `log` into `source` from its cursor.
pub(super) async fn read(
    store: &InventoryStore,
    client: &GraphClient,
    tenant: TenantId,
    (log, source): (GraphLog, &'static str),
    now: DateTime<Utc>,
    keep_after: DateTime<Utc>,
) -> Result<StreamRead, AuditError> {
    let stream = store.audit_stream(&tenant, source).await?;
    let since = stream
        .complete_until
        .map(|t| t - Duration::minutes(OVERLAP_MINUTES))
        .unwrap_or(keep_after)
        .max(keep_after);
    let spec = log.kind().spec();
    let mut url = log.url(client)?;
    let mut clauses = vec![format!(
        "{} ge {}",
        log.time_field(),
        since.to_rfc3339_opts(SecondsFormat::Secs, true)
    )];
    clauses.extend(log.filter());
    url.query_pairs_mut()
        .append_pair("$filter", &clauses.join(" and "));
    let mut pages = std::pin::pin!(pages::<Value>(
        client.clone(),
        spec.request_at(url),
        spec.paging,
        spec.page_size.unwrap_or(100),
    ));
    let mut added = 0;
    let mut newest = stream.complete_until;
    while let Some(page) = pages.next().await {
        let events: Vec<AuditEvent> = page?
            .records
            .iter()
            .filter_map(|r| log.normalize(tenant, source, r))
            .filter(|e| e.occurred_at >= keep_after)
            .collect();
        newest = events.iter().map(|e| e.occurred_at).chain(newest).max();
        added += store.append_audit_events(&events, now).await?;
    }
    store
        .save_audit_stream(&tenant, source, newest, None, now)
        .await?;
    Ok(StreamRead {
        added,
        complete_until: newest,
    })
}
