//! Subscriptions, the delivery log and sync failure streaks in the scheduler schema (see
//! `store::migrations`). A delivery's id is derived from its subscription and the event it
//! announces, so a redelivered bus event finds its row already there and adds nothing.

use chrono::{DateTime, Utc};
use posture_kit::db::Db;
use posture_kit::ids::TenantId;
use posture_proto::v1::{DeliveryState, NotificationEvent, Severity, WebhookFormat};
use uuid::Uuid;

use super::payload::{event_from_type, event_type};
use crate::store::{StoreError, on_backend};

fn sql_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match posture_kit::db::SqlFailure::of(&source) {
        posture_kit::db::SqlFailure::Unavailable => StoreError::Unavailable { source },
        _ => StoreError::Query { context, source },
    }
}

fn corrupt(id: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        tenant_id: id.to_owned(),
        reason: reason.into(),
    }
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub subscription_id: Uuid,
    pub display_name: String,
    pub url: String,
    pub format: WebhookFormat,
    /// None: every tenant.
    pub tenant_id: Option<TenantId>,
    /// Empty: every event.
    pub events: Vec<NotificationEvent>,
    pub sync_failure_threshold: u32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Days ahead of a credential's expiry; 0 means the default.
    pub credential_expiry_days: u32,
    /// Lowest severity of a newly failing control sent; `Unspecified` means high.
    pub min_severity: Severity,
}

impl SubscriptionRecord {
    /// The lowest severity of a newly failing control this subscription is sent.
    pub fn control_threshold(&self) -> Severity {
        match self.min_severity {
            Severity::Unspecified => Severity::High,
            set => set,
        }
    }

    /// Whether this subscription wants `event` about `tenant` (a test always goes through).
    pub fn wants(&self, event: NotificationEvent, tenant: Option<&TenantId>) -> bool {
        let tenant_ok = match (&self.tenant_id, tenant) {
            (None, _) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
            (Some(_), None) => event == NotificationEvent::Test,
        };
        tenant_ok
            && (self.events.is_empty() || self.events.contains(&event) || event == NotificationEvent::Test)
    }
}

fn format_name(format: WebhookFormat) -> &'static str {
    match format {
        WebhookFormat::Slack => "slack",
        WebhookFormat::Teams => "teams",
        WebhookFormat::Json | WebhookFormat::Unspecified => "json",
    }
}

fn format_from(name: &str) -> Option<WebhookFormat> {
    match name {
        "json" => Some(WebhookFormat::Json),
        "slack" => Some(WebhookFormat::Slack),
        "teams" => Some(WebhookFormat::Teams),
        _ => None,
    }
}

fn state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Delivered => "delivered",
        DeliveryState::Dead => "dead",
        DeliveryState::Pending | DeliveryState::Unspecified => "pending",
    }
}

fn state_from(name: &str) -> Option<DeliveryState> {
    match name {
        "pending" => Some(DeliveryState::Pending),
        "delivered" => Some(DeliveryState::Delivered),
        "dead" => Some(DeliveryState::Dead),
        _ => None,
    }
}

type SubscriptionRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
);

const SUBSCRIPTION_COLUMNS: &str = "subscription_id, display_name, url, format, tenant_id, events, \
     sync_failure_threshold, created_by, created_at_ms, credential_expiry_days, min_severity";

fn subscription_from(row: SubscriptionRow) -> Result<SubscriptionRecord, StoreError> {
    let (
        id,
        display_name,
        url,
        format,
        tenant,
        events,
        threshold,
        created_by,
        created_at,
        expiry_days,
        severity,
    ) = row;
    let subscription_id = Uuid::parse_str(&id).map_err(|_| corrupt(&id, "subscription id is not a UUID"))?;
    let tenant_id = if tenant.is_empty() {
        None
    } else {
        Some(
            tenant
                .parse()
                .map_err(|_| corrupt(&id, "tenant id is not a GUID"))?,
        )
    };
    let events = events
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| event_from_type(name).ok_or_else(|| corrupt(&id, format!("unknown event `{name}`"))))
        .collect::<Result<_, _>>()?;
    Ok(SubscriptionRecord {
        subscription_id,
        display_name,
        url,
        format: format_from(&format).ok_or_else(|| corrupt(&id, format!("unknown format `{format}`")))?,
        tenant_id,
        events,
        sync_failure_threshold: u32::try_from(threshold).unwrap_or(u32::MAX),
        created_by,
        created_at: instant(created_at),
        credential_expiry_days: u32::try_from(expiry_days).unwrap_or(0),
        min_severity: i32::try_from(severity)
            .ok()
            .and_then(|s| Severity::try_from(s).ok())
            .unwrap_or(Severity::Unspecified),
    })
}

/// One delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// `msg_` and 32 hex digits: the webhook-id of every attempt.
    pub delivery_id: String,
    pub subscription_id: Uuid,
    pub tenant_id: Option<TenantId>,
    pub event: NotificationEvent,
    pub body: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: String,
    pub last_status: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl DeliveryRecord {
    /// A new pending delivery of `event_key` (the bus event's id) to `subscription`, due now.
    pub fn new(
        subscription: &SubscriptionRecord,
        event_key: &str,
        event: NotificationEvent,
        tenant_id: Option<TenantId>,
        body: String,
        now: DateTime<Utc>,
    ) -> Self {
        let id = Uuid::new_v5(&subscription.subscription_id, event_key.as_bytes());
        Self {
            delivery_id: format!("msg_{}", id.simple()),
            subscription_id: subscription.subscription_id,
            tenant_id,
            event,
            body,
            state: DeliveryState::Pending,
            attempts: 0,
            last_error: String::new(),
            last_status: 0,
            created_at: now,
            next_attempt_at: now,
            delivered_at: None,
        }
    }
}

type DeliveryRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
);

const DELIVERY_COLUMNS: &str = "delivery_id, subscription_id, tenant_id, event, body, state, attempts, \
     last_error, last_status, created_at_ms, next_attempt_at_ms, delivered_at_ms";

fn delivery_from(row: DeliveryRow) -> Result<DeliveryRecord, StoreError> {
    let (
        id,
        subscription,
        tenant,
        event,
        body,
        state,
        attempts,
        last_error,
        last_status,
        created,
        next,
        delivered,
    ) = row;
    Ok(DeliveryRecord {
        subscription_id: Uuid::parse_str(&subscription)
            .map_err(|_| corrupt(&id, "subscription id is not a UUID"))?,
        tenant_id: if tenant.is_empty() {
            None
        } else {
            Some(
                tenant
                    .parse()
                    .map_err(|_| corrupt(&id, "tenant id is not a GUID"))?,
            )
        },
        event: event_from_type(&event).ok_or_else(|| corrupt(&id, format!("unknown event `{event}`")))?,
        body,
        state: state_from(&state).ok_or_else(|| corrupt(&id, format!("unknown state `{state}`")))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_error,
        last_status: u32::try_from(last_status).unwrap_or(0),
        created_at: instant(created),
        next_attempt_at: instant(next),
        delivered_at: delivered.map(instant),
        delivery_id: id,
    })
}

/// The outcome of one attempt, to be written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: String,
    pub last_status: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NotificationStore {
    db: Db,
}

impl NotificationStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn insert_subscription(&self, record: &SubscriptionRecord) -> Result<(), StoreError> {
        let events: Vec<&str> = record.events.iter().map(|e| event_type(*e)).collect();
        on_backend!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO notification_subscriptions (subscription_id, display_name, url, format, tenant_id, \
                 events, sync_failure_threshold, created_by, created_at_ms, credential_expiry_days, min_severity) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(record.subscription_id.to_string())
            .bind(&record.display_name)
            .bind(&record.url)
            .bind(format_name(record.format))
            .bind(record.tenant_id.map(|t| t.to_string()).unwrap_or_default())
            .bind(events.join(","))
            .bind(i64::from(record.sync_failure_threshold))
            .bind(&record.created_by)
            .bind(millis(record.created_at))
            .bind(i64::from(record.credential_expiry_days))
            .bind(i64::from(record.min_severity as i32))
            .execute(pool)
            .await
            .map_err(sql_error("creating a subscription"))?;
        });
        Ok(())
    }

    pub async fn subscription(&self, id: Uuid) -> Result<Option<SubscriptionRecord>, StoreError> {
        let row: Option<SubscriptionRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM notification_subscriptions WHERE subscription_id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading a subscription"))?
        });
        row.map(subscription_from).transpose()
    }

    /// A page of subscriptions, oldest first, after `after` (created at in ms, id); with
    /// `tenant`, only that tenant's (not the fleet-wide ones).
    pub async fn subscriptions(
        &self,
        tenant: Option<&TenantId>,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<SubscriptionRecord>, StoreError> {
        let tenant = tenant.map(|t| t.to_string());
        let (after_ms, after_id) = after.unwrap_or((i64::MIN, String::new()));
        let rows: Vec<SubscriptionRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM notification_subscriptions \
                 WHERE ($1 IS NULL OR tenant_id = $1) \
                 AND (created_at_ms > $2 OR (created_at_ms = $2 AND subscription_id > $3)) \
                 ORDER BY created_at_ms, subscription_id LIMIT $4"
            )))
            .bind(&tenant)
            .bind(after_ms)
            .bind(&after_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing subscriptions"))?
        });
        rows.into_iter().map(subscription_from).collect()
    }

    /// The subscriptions that may want an event about `tenant`: its own and the fleet-wide ones.
    pub async fn subscriptions_for(&self, tenant: &TenantId) -> Result<Vec<SubscriptionRecord>, StoreError> {
        let rows: Vec<SubscriptionRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM notification_subscriptions \
                 WHERE tenant_id = $1 OR tenant_id = '' ORDER BY created_at_ms, subscription_id"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await
            .map_err(sql_error("finding subscriptions"))?
        });
        rows.into_iter().map(subscription_from).collect()
    }

    /// Removes a subscription and its deliveries; false when it did not exist.
    pub async fn delete_subscription(&self, id: Uuid) -> Result<bool, StoreError> {
        let id = id.to_string();
        let removed = on_backend!(&self.db, |pool| {
            let mut tx = pool.begin().await.map_err(sql_error("removing a subscription"))?;
            sqlx::query("DELETE FROM notification_deliveries WHERE subscription_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(sql_error("removing a subscription's deliveries"))?;
            let done = sqlx::query("DELETE FROM notification_subscriptions WHERE subscription_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(sql_error("removing a subscription"))?
                .rows_affected();
            tx.commit().await.map_err(sql_error("removing a subscription"))?;
            done
        });
        Ok(removed == 1)
    }

    /// Stores a new delivery unless one with its id exists (the event was seen before); true
    /// when stored.
    pub async fn insert_delivery(&self, record: &DeliveryRecord) -> Result<bool, StoreError> {
        let done = on_backend!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO notification_deliveries (delivery_id, subscription_id, tenant_id, event, body, state, \
                 attempts, last_error, last_status, created_at_ms, next_attempt_at_ms, delivered_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (delivery_id) DO NOTHING",
            )
            .bind(&record.delivery_id)
            .bind(record.subscription_id.to_string())
            .bind(record.tenant_id.map(|t| t.to_string()).unwrap_or_default())
            .bind(event_type(record.event))
            .bind(&record.body)
            .bind(state_name(record.state))
            .bind(i64::from(record.attempts))
            .bind(&record.last_error)
            .bind(i64::from(record.last_status))
            .bind(millis(record.created_at))
            .bind(millis(record.next_attempt_at))
            .bind(record.delivered_at.map(millis))
            .execute(pool)
            .await
            .map_err(sql_error("recording a delivery"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn delivery(&self, id: &str) -> Result<Option<DeliveryRecord>, StoreError> {
        let row: Option<DeliveryRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries WHERE delivery_id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading a delivery"))?
        });
        row.map(delivery_from).transpose()
    }

    /// Pending deliveries due at `now`, earliest first.
    pub async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows: Vec<DeliveryRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries \
                 WHERE state = 'pending' AND next_attempt_at_ms <= $1 ORDER BY next_attempt_at_ms, delivery_id LIMIT $2"
            )))
            .bind(millis(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("finding due deliveries"))?
        });
        rows.into_iter().map(delivery_from).collect()
    }

    /// Claims a due delivery for one attempt by moving its next attempt to `until`, only if no
    /// other sender moved it first; true when this caller holds it.
    pub async fn claim(&self, record: &DeliveryRecord, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = on_backend!(&self.db, |pool| {
            sqlx::query(
                "UPDATE notification_deliveries SET next_attempt_at_ms = $2 \
                 WHERE delivery_id = $1 AND state = 'pending' AND next_attempt_at_ms = $3",
            )
            .bind(&record.delivery_id)
            .bind(millis(until))
            .bind(millis(record.next_attempt_at))
            .execute(pool)
            .await
            .map_err(sql_error("claiming a delivery"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Writes an attempt's outcome.
    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        on_backend!(&self.db, |pool| {
            sqlx::query(
                "UPDATE notification_deliveries SET state = $2, attempts = $3, last_error = $4, last_status = $5, \
                 next_attempt_at_ms = $6, delivered_at_ms = $7 WHERE delivery_id = $1",
            )
            .bind(delivery_id)
            .bind(state_name(outcome.state))
            .bind(i64::from(outcome.attempts))
            .bind(&outcome.last_error)
            .bind(i64::from(outcome.last_status))
            .bind(millis(outcome.next_attempt_at))
            .bind(outcome.delivered_at.map(millis))
            .execute(pool)
            .await
            .map_err(sql_error("recording a delivery attempt"))?;
        });
        Ok(())
    }

    /// A page of a subscription's deliveries, newest first, before `before` (created at in
    /// ms, id).
    pub async fn deliveries(
        &self,
        subscription_id: Uuid,
        state: Option<DeliveryState>,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let state = state.map(state_name);
        // After every id: `~` sorts after the `msg_` ids' characters.
        let (before_ms, before_id) = before.unwrap_or((i64::MAX, "~".to_owned()));
        let rows: Vec<DeliveryRow> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries \
                 WHERE subscription_id = $1 AND ($2 IS NULL OR state = $2) \
                 AND (created_at_ms < $3 OR (created_at_ms = $3 AND delivery_id < $4)) \
                 ORDER BY created_at_ms DESC, delivery_id DESC LIMIT $5"
            )))
            .bind(subscription_id.to_string())
            .bind(state)
            .bind(before_ms)
            .bind(&before_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing deliveries"))?
        });
        rows.into_iter().map(delivery_from).collect()
    }

    /// Counts a sync run's outcome into the tenant's streak of failed runs and returns the new
    /// length, or `None` when this run was counted already (a redelivered event).
    pub async fn count_sync_run(
        &self,
        tenant: &TenantId,
        run_id: &str,
        failed: bool,
    ) -> Result<Option<u32>, StoreError> {
        let tenant = tenant.to_string();
        let result = on_backend!(&self.db, |pool| {
            let mut tx = pool.begin().await.map_err(sql_error("counting a sync run"))?;
            let current: Option<(i64, String)> = sqlx::query_as(
                "SELECT failures, last_run_id FROM notification_sync_streaks WHERE tenant_id = $1",
            )
            .bind(&tenant)
            .fetch_optional(&mut *tx)
            .await
            .map_err(sql_error("reading a sync streak"))?;
            if current.as_ref().is_some_and(|(_, last)| last == run_id) {
                None
            } else {
                let failures = if failed {
                    current.map_or(0, |(n, _)| n) + 1
                } else {
                    0
                };
                sqlx::query(
                    "INSERT INTO notification_sync_streaks (tenant_id, failures, last_run_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant_id) DO UPDATE SET failures = excluded.failures, last_run_id = excluded.last_run_id",
                )
                .bind(&tenant)
                .bind(failures)
                .bind(run_id)
                .execute(&mut *tx)
                .await
                .map_err(sql_error("writing a sync streak"))?;
                tx.commit().await.map_err(sql_error("counting a sync run"))?;
                Some(u32::try_from(failures).unwrap_or(u32::MAX))
            }
        });
        Ok(result)
    }
}
