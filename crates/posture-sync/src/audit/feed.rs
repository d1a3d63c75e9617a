//! One Management Activity content type of one tenant: ensure the subscription, then list content
//! in windows of at most 24 hours from the stream's cursor (never further back than the feed
//! keeps, 7 days), fetch every blob of a window, store its records (a record already stored is
//! skipped), and move the cursor past the window only when all of it is stored. A read that stops
//! mid-window (a crash, an error) leaves the cursor at the window's start, so the next read lists
//! the same window again: nothing is missed and nothing is stored twice.

use chrono::{DateTime, Duration, Utc};
use posture_graph::activity::{blob_records, content_pages, start_subscription, subscriptions};
use posture_graph::{GraphClient, GraphError};
use posture_kit::ids::TenantId;
use tokio_stream::StreamExt;

use super::{AuditError, StreamRead, normalize};
use crate::store::InventoryStore;

/// The widest window the feed lists in one request.
const MAX_WINDOW_HOURS: i64 = 24;
/// How far back the feed lists content (7 days), less a margin for the clocks of the two sides.
const FEED_DAYS: i64 = 7;
const FEED_MARGIN_MINUTES: i64 = 5;

/// Reads `content_type` from its cursor up to `now`; returns the records newly stored.
pub(super) async fn read(
    store: &InventoryStore,
    client: &GraphClient,
    tenant: TenantId,
    content_type: &'static str,
    now: DateTime<Utc>,
    keep_after: DateTime<Utc>,
) -> Result<StreamRead, AuditError> {
    // The feed takes whole seconds; a window ending mid-second would not be listed again.
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    // Started once; starting an enabled subscription again is not a no-op everywhere.
    let enabled = subscriptions(client)
        .await?
        .iter()
        .any(|s| s.content_type.eq_ignore_ascii_case(content_type) && s.is_enabled());
    if !enabled {
        start_subscription(client, content_type).await?;
    }
    let stream = store.audit_stream(&tenant, content_type).await?;
    let floor = now - Duration::days(FEED_DAYS) + Duration::minutes(FEED_MARGIN_MINUTES);
    let mut start = match stream.complete_until {
        Some(until) if until >= floor => until,
        Some(until) => {
            tracing::warn!(%tenant, content_type, complete_until = %until, "audit content older than 7 days expired before it was read");
            floor
        }
        None => floor,
    };
    let mut added = 0;
    while start < now {
        let end = (start + Duration::hours(MAX_WINDOW_HOURS)).min(now);
        added += read_window(store, client, tenant, content_type, (start, end), keep_after, now).await?;
        store
            .save_audit_stream(&tenant, content_type, Some(end), None, now)
            .await?;
        start = end;
    }
    Ok(StreamRead {
        added,
        complete_until: Some(start),
    })
}

/// Every blob of one window, stored blob by blob.
async fn read_window(
    store: &InventoryStore,
    client: &GraphClient,
    tenant: TenantId,
    content_type: &str,
    window: (DateTime<Utc>, DateTime<Utc>),
    keep_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, AuditError> {
    let mut added = 0;
    let mut pages = std::pin::pin!(content_pages(client, content_type, Some(window))?);
    while let Some(page) = pages.next().await {
        for blob in page?.records {
            let records = blob_records(client, &blob.value).await?;
            let events: Vec<_> = records
                .iter()
                .filter_map(|r| normalize::activity_record(tenant, content_type, &r.value, r.raw.get()))
                .filter(|e| e.occurred_at >= keep_after)
                .collect();
            if events.len() < records.len() {
                tracing::debug!(%tenant, content_type, blob = %blob.value.content_id, skipped = records.len() - events.len(), "audit records without an id or time, or past retention, were not stored");
            }
            added += store.append_audit_events(&events, now).await?;
        }
    }
    Ok(added)
}

impl From<GraphError> for AuditError {
    fn from(error: GraphError) -> Self {
        AuditError::Graph(Box::new(error))
    }
}
