//! Who made a change: the newest event of the tenant's directory audit log (read and kept by
//! the sync role, searched through its AuditService) that names the changed object, before the
//! sync saw the change.
//!
//! Drift is detected after a sync run completes, and the sync role reads the audit streams after
//! the same event, so the detector first waits, briefly, for a read of the directory audit log
//! after the change was seen. A stream whose last read failed (no AuditLog.Read.All) is not
//! waited for, and a read that does not come within the wait (audit reading is switched off, or
//! Microsoft is slow) is not waited for longer: the item is recorded without a name rather than
//! late.

use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_kit::time::{from_timestamp, timestamp};
use posture_proto::v1 as pb;

use crate::service::reader::InventoryReader;

/// The sync role's name of Entra's directory audit stream (`auditLogs/directoryAudits`).
const DIRECTORY_AUDITS: &str = "directory_audits";
/// How far back a change's event is looked for (Entra keeps directory audits 30 days).
const LOOKBACK: chrono::Duration = chrono::Duration::days(30);
/// Allowance for the clocks of Microsoft and the sync role disagreeing.
const SKEW: chrono::Duration = chrono::Duration::minutes(1);
/// Longest wait for the audit read that follows a sync.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(500);

/// Finds who changed objects in one tenant's audit log.
pub(super) struct Attribution<'a> {
    pub reader: &'a InventoryReader,
    pub tenant_id: &'a TenantId,
}

impl Attribution<'_> {
    /// Waits until the directory audit stream has been read after `seen` (when the latest
    /// change was seen by the sync), it reports a failure, or [`WAIT`] passes. Returns whether
    /// the log is worth searching.
    pub async fn await_read_after(&self, seen: DateTime<Utc>) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let stream = match self.directory_stream().await {
                Ok(Some(stream)) => stream,
                Ok(None) => return false,
                Err(status) => {
                    tracing::warn!(tenant = %self.tenant_id, error = %status.message(), "audit streams unreadable; drift recorded without who changed it");
                    return false;
                }
            };
            let last_read = stream
                .last_read_at
                .as_ref()
                .and_then(|t| from_timestamp("last_read_at", t).ok());
            match last_read {
                Some(_) if !stream.last_error.is_empty() => return false,
                Some(at) if at >= seen => return true,
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::info!(tenant = %self.tenant_id, "no directory audit read after the sync yet; drift recorded without who changed it");
                return last_read.is_some();
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn directory_stream(&self) -> Result<Option<pb::AuditStream>, tonic::Status> {
        let streams = self
            .reader
            .audit()
            .list_audit_streams(pb::ListAuditStreamsRequest {
                tenant_id: self.tenant_id.to_string(),
            })
            .await?
            .into_inner()
            .streams;
        Ok(streams.into_iter().find(|s| s.source == DIRECTORY_AUDITS))
    }

    /// Who made the newest change to `object_id` before `seen`, as the event names them
    /// (a user principal name, or an app for changes made by one); `None` when the log has no
    /// event naming the object or cannot be searched.
    pub async fn who_changed(&self, object_id: &str, seen: DateTime<Utc>) -> Option<String> {
        let request = pb::SearchAuditEventsRequest {
            tenant_id: self.tenant_id.to_string(),
            occurred: Some(pb::TimeRange {
                start_at: Some(timestamp(seen - LOOKBACK)),
                end_at: Some(timestamp(seen + SKEW)),
            }),
            workload: DIRECTORY_AUDITS.to_owned(),
            target_id: object_id.to_owned(),
            page_size: 1,
            ..Default::default()
        };
        match self.reader.audit().search_audit_events(request).await {
            Ok(found) => found
                .into_inner()
                .events
                .into_iter()
                .next()
                .map(|e| e.user)
                .filter(|user| !user.is_empty()),
            Err(status) => {
                tracing::warn!(tenant = %self.tenant_id, object_id, error = %status.message(), "searching the audit log failed; drift recorded without who changed it");
                None
            }
        }
    }
}
