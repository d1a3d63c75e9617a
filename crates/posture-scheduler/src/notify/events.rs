//! Bus events turned into notifications: one durable consumer per event source, each building the
//! notification from the event's content (and, for failing syncs, the tenant's streak of failed
//! runs kept in the store), then storing one delivery per interested subscription before the
//! event is acknowledged. Sending is the sender's job; it is woken at once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use posture_bus::topics::{
    ASSESSMENT_COMPLETED, CONNECTION_HEALTH_CHANGED, DRIFT_DETECTED, RUN_COMPLETED, Topic, durable,
};
use posture_bus::{Bus, ConsumerConfig, Delivery, Handler, HandlerError, RetryPolicy};
use posture_kit::clock::SharedClock;
use posture_kit::ids::TenantId;
use posture_proto::events::v1::assessment_completed::NewlyFailingControl;
use posture_proto::events::v1::{
    AssessmentCompleted, ConnectionHealthChanged, DriftDetected, SyncRunCompleted,
};
use posture_proto::v1::{AssessmentState, ConnectionState, NotificationEvent, Severity, SyncRunState};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::deliver::Sender;
use super::payload::{Notification, render};
use super::store::{DeliveryRecord, NotificationStore, SubscriptionRecord};
use crate::error::SchedulerError;
use crate::store::StoreError;

/// Failed runs in a row before SYNC_FAILING, when a subscription names no threshold.
pub const DEFAULT_SYNC_FAILURE_THRESHOLD: u32 = 3;

/// Turns notifications into stored deliveries; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pub(crate) store: NotificationStore,
    pub(crate) sender: Sender,
    pub(crate) clock: SharedClock,
}

impl Notifier {
    /// Stores a delivery of `notification` for every subscription that wants it and `accept`s;
    /// returns how many were new. `event_key` (the bus event's id) makes a repeat add nothing.
    pub async fn notify(
        &self,
        event_key: &str,
        notification: &Notification,
        accept: impl Fn(&SubscriptionRecord) -> bool,
    ) -> Result<usize, StoreError> {
        let Some(tenant) = notification.tenant_id else {
            return Ok(0);
        };
        let mut stored = 0;
        for subscription in self.store.subscriptions_for(&tenant).await? {
            if !subscription.wants(notification.event, Some(&tenant)) || !accept(&subscription) {
                continue;
            }
            let body = render(notification, subscription.format);
            let record = DeliveryRecord::new(
                &subscription,
                event_key,
                notification.event,
                Some(tenant),
                body,
                self.clock.now(),
            );
            if self.store.insert_delivery(&record).await? {
                stored += 1;
            }
        }
        if stored > 0 {
            tracing::info!(%tenant, event = ?notification.event, deliveries = stored, "notifications queued");
            self.sender.wake();
        }
        Ok(stored)
    }
}

fn settle(error: StoreError) -> HandlerError {
    HandlerError::transient(error)
}

fn occurred(at: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    at.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or(fallback)
}

fn tenant_of(value: &str) -> Result<TenantId, HandlerError> {
    value.parse().map_err(|_| {
        HandlerError::permanent(format!(
            "event names no valid tenant id (`{}`)",
            value.chars().take(64).collect::<String>()
        ))
    })
}

/// A connection state as operators name it.
pub fn state_label(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Pending => "Pending",
        ConnectionState::Connected => "Connected",
        ConnectionState::AuthenticationError => "Authentication Error",
        ConnectionState::PermissionError => "Permission Error",
        ConnectionState::ServiceError => "Service Error",
        ConnectionState::Unspecified => "Unknown",
    }
}

fn state_of(value: i32) -> ConnectionState {
    ConnectionState::try_from(value).unwrap_or(ConnectionState::Unspecified)
}

/// The notification for a health change.
pub fn health_notification(
    event: &ConnectionHealthChanged,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Notification {
    let previous = state_of(event.previous_state);
    let health = event.health.clone().unwrap_or_default();
    let current = state_of(health.state);
    let reason = health.reason.unwrap_or_default();
    let mut summary = if reason.message.is_empty() {
        format!("The connection is now {}.", state_label(current))
    } else {
        reason.message.clone()
    };
    if !reason.missing_permissions.is_empty() {
        summary.push_str(&format!(
            " Missing permissions: {}.",
            reason.missing_permissions.join(", ")
        ));
    }
    let mut facts = vec![
        ("Tenant".to_owned(), tenant.to_string()),
        ("Before".to_owned(), state_label(previous).to_owned()),
        ("Now".to_owned(), state_label(current).to_owned()),
    ];
    if !reason.code.is_empty() {
        facts.push(("Code".to_owned(), reason.code.clone()));
    }
    Notification {
        event: NotificationEvent::ConnectionHealthChanged,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!(
            "Tenant {tenant}: {} → {}",
            state_label(previous),
            state_label(current)
        ),
        summary,
        facts,
        data: json!({
            "previous_state": previous.as_str_name(),
            "state": current.as_str_name(),
            "code": reason.code,
            "message": reason.message,
            "missing_permissions": reason.missing_permissions,
            "credential_version": event.credential_version,
        }),
    }
}

fn assessment_notification(
    event: &AssessmentCompleted,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Notification {
    let assessment = event.assessment.clone().unwrap_or_default();
    let state = AssessmentState::try_from(assessment.state).unwrap_or(AssessmentState::Unspecified);
    let counts = assessment.counts.unwrap_or_default();
    let scores: Vec<(String, String)> = assessment
        .scores
        .iter()
        .map(|s| (s.framework.clone(), format!("{:.0}%", s.score)))
        .collect();
    let summary = if state == AssessmentState::Failed {
        let reason = assessment.error.map(|e| e.message).unwrap_or_default();
        format!("The assessment failed: {reason}")
    } else {
        format!(
            "{} passed, {} failed, {} warnings, {} accepted.",
            counts.passed, counts.failed, counts.warning, counts.accepted
        )
    };
    let mut facts = vec![("Tenant".to_owned(), tenant.to_string())];
    facts.extend(scores.iter().cloned());
    Notification {
        event: NotificationEvent::AssessmentCompleted,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!(
            "Tenant {tenant}: assessment {}",
            if state == AssessmentState::Failed {
                "failed"
            } else {
                "completed"
            }
        ),
        summary,
        facts,
        data: json!({
            "assessment_id": assessment.assessment_id,
            "state": state.as_str_name(),
            "pack_version": assessment.pack_version,
            "counts": { "passed": counts.passed, "failed": counts.failed, "warning": counts.warning,
                        "not_applicable": counts.not_applicable, "error": counts.error, "accepted": counts.accepted },
            "scores": assessment.scores.iter().map(|s| json!({ "framework": s.framework, "score": s.score })).collect::<Vec<_>>(),
        }),
    }
}

/// The control that fails when the tenant's Secure Score dropped past its threshold.
const SECURE_SCORE_DROP: &str = "posture.securescore.drop";
/// Severities from the highest down, for one CONTROL_FAILING notification per threshold.
const THRESHOLDS: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Informational,
];

fn severity_label(severity: i32) -> &'static str {
    match Severity::try_from(severity) {
        Ok(Severity::Critical) => "critical",
        Ok(Severity::High) => "high",
        Ok(Severity::Medium) => "medium",
        Ok(Severity::Low) => "low",
        Ok(Severity::Informational) => "informational",
        _ => "unrated",
    }
}

/// CONTROL_FAILING for the controls at or above `threshold` that started failing; `None` when
/// there are none.
fn control_failing_notification(
    event: &AssessmentCompleted,
    tenant: TenantId,
    threshold: Severity,
    now: DateTime<Utc>,
) -> Option<Notification> {
    let controls: Vec<&NewlyFailingControl> = event
        .newly_failing
        .iter()
        .filter(|c| c.severity >= threshold as i32)
        .collect();
    if controls.is_empty() {
        return None;
    }
    let assessment_id = event
        .assessment
        .as_ref()
        .map(|a| a.assessment_id.clone())
        .unwrap_or_default();
    let mut facts = vec![("Tenant".to_owned(), tenant.to_string())];
    facts.extend(controls.iter().map(|c| {
        (
            format!("{} ({})", c.control_id, severity_label(c.severity)),
            c.title.clone(),
        )
    }));
    Some(Notification {
        event: NotificationEvent::ControlFailing,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!("Tenant {tenant}: {} control(s) started failing", controls.len()),
        summary: controls
            .iter()
            .map(|c| format!("{}: {}", c.title, c.reason))
            .collect::<Vec<_>>()
            .join(" "),
        facts,
        data: json!({
            "assessment_id": assessment_id,
            "min_severity": severity_label(threshold as i32),
            "controls": controls.iter().map(|c| json!({
                "control_id": c.control_id, "title": c.title,
                "severity": severity_label(c.severity), "reason": c.reason,
            })).collect::<Vec<_>>(),
        }),
    })
}

/// SECURE_SCORE_DROPPED when the Secure Score drop control started failing.
fn secure_score_notification(
    event: &AssessmentCompleted,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Option<Notification> {
    let control = event
        .newly_failing
        .iter()
        .find(|c| c.control_id == SECURE_SCORE_DROP)?;
    Some(Notification {
        event: NotificationEvent::SecureScoreDropped,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!("Tenant {tenant}: Secure Score dropped"),
        summary: control.reason.clone(),
        facts: vec![("Tenant".to_owned(), tenant.to_string())],
        data: json!({
            "assessment_id": event.assessment.as_ref().map(|a| a.assessment_id.clone()).unwrap_or_default(),
            "reason": control.reason,
        }),
    })
}

fn drift_notification(event: &DriftDetected, tenant: TenantId, now: DateTime<Utc>) -> Notification {
    let changed = event.drift_ids.len();
    Notification {
        event: NotificationEvent::DriftDetected,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!("Tenant {tenant}: configuration drift detected"),
        summary: format!(
            "{changed} new drift item(s) from baseline {}; {} open in total.",
            event.baseline_id, event.open_drift_count
        ),
        facts: vec![
            ("Tenant".to_owned(), tenant.to_string()),
            ("New".to_owned(), changed.to_string()),
            ("Open".to_owned(), event.open_drift_count.to_string()),
        ],
        data: json!({
            "baseline_id": event.baseline_id,
            "sync_run_id": event.sync_run_id,
            "drift_ids": event.drift_ids,
            "objects": event.objects.iter().map(|o| json!({ "entity_kind": o.entity_kind, "object_id": o.object_id })).collect::<Vec<_>>(),
            "open_drift_count": event.open_drift_count,
        }),
    }
}

fn sync_failing_notification(
    event: &SyncRunCompleted,
    tenant: TenantId,
    streak: u32,
    now: DateTime<Utc>,
) -> Notification {
    let run = event.run.clone().unwrap_or_default();
    let state = SyncRunState::try_from(run.state).unwrap_or(SyncRunState::Unspecified);
    let failed: Vec<String> = run
        .entities
        .iter()
        .filter(|e| e.error.is_some())
        .map(|e| e.entity_kind.clone())
        .collect();
    Notification {
        event: NotificationEvent::SyncFailing,
        tenant_id: Some(tenant),
        occurred_at: occurred(event.occurred_at.as_ref(), now),
        title: format!("Tenant {tenant}: {streak} failed syncs in a row"),
        summary: if failed.is_empty() {
            format!("The last {streak} sync runs did not succeed.")
        } else {
            format!(
                "The last {streak} sync runs did not succeed; failing now: {}.",
                failed.join(", ")
            )
        },
        facts: vec![
            ("Tenant".to_owned(), tenant.to_string()),
            ("Failures in a row".to_owned(), streak.to_string()),
            ("Last run".to_owned(), run.run_id.clone()),
        ],
        data: json!({
            "run_id": run.run_id,
            "state": state.as_str_name(),
            "failures_in_a_row": streak,
            "failed_entity_kinds": failed,
        }),
    }
}

struct HealthHandler(Notifier);
struct AssessmentHandler(Notifier);
struct DriftHandler(Notifier);
struct RunHandler(Notifier);

#[async_trait]
impl Handler for HealthHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ConnectionHealthChanged = delivery.decode()?;
        let tenant = tenant_of(&event.tenant_id)?;
        let notification = health_notification(&event, tenant, self.0.clock.now());
        self.0
            .notify(&event.event_id, &notification, |_| true)
            .await
            .map(drop)
            .map_err(settle)
    }
}

#[async_trait]
impl Handler for AssessmentHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: AssessmentCompleted = delivery.decode()?;
        let tenant = tenant_of(&event.tenant_id)?;
        let now = self.0.clock.now();
        let notification = assessment_notification(&event, tenant, now);
        self.0
            .notify(&event.event_id, &notification, |_| true)
            .await
            .map_err(settle)?;
        // One notification per threshold, each to the subscriptions whose threshold it is, so a
        // subscription hears of exactly the controls at or above its own severity.
        for threshold in THRESHOLDS {
            if let Some(failing) = control_failing_notification(&event, tenant, threshold, now) {
                self.0
                    .notify(&format!("{}:control-failing", event.event_id), &failing, |s| {
                        s.control_threshold() == threshold
                    })
                    .await
                    .map_err(settle)?;
            }
        }
        if let Some(dropped) = secure_score_notification(&event, tenant, now) {
            self.0
                .notify(
                    &format!("{}:secure-score-dropped", event.event_id),
                    &dropped,
                    |_| true,
                )
                .await
                .map_err(settle)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Handler for DriftHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: DriftDetected = delivery.decode()?;
        let tenant = tenant_of(&event.tenant_id)?;
        let notification = drift_notification(&event, tenant, self.0.clock.now());
        self.0
            .notify(&event.event_id, &notification, |_| true)
            .await
            .map(drop)
            .map_err(settle)
    }
}

#[async_trait]
impl Handler for RunHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: SyncRunCompleted = delivery.decode()?;
        let tenant = tenant_of(&event.tenant_id)?;
        let run = event.run.clone().unwrap_or_default();
        let failed = matches!(
            SyncRunState::try_from(run.state),
            Ok(SyncRunState::Failed | SyncRunState::PartiallySucceeded)
        );
        let Some(streak) = self
            .0
            .store
            .count_sync_run(&tenant, &run.run_id, failed)
            .await
            .map_err(settle)?
        else {
            return Ok(());
        };
        if streak == 0 {
            return Ok(());
        }
        let notification = sync_failing_notification(&event, tenant, streak, self.0.clock.now());
        // Each subscription hears once per streak: when the streak reaches its threshold.
        self.0
            .notify(&event.event_id, &notification, |subscription| {
                let threshold = match subscription.sync_failure_threshold {
                    0 => DEFAULT_SYNC_FAILURE_THRESHOLD,
                    n => n,
                };
                threshold == streak
            })
            .await
            .map(drop)
            .map_err(settle)
    }
}

async fn consume<M: 'static>(
    bus: &dyn Bus,
    name: &'static str,
    topic: &Topic<M>,
    handler: Arc<dyn Handler>,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), SchedulerError> {
    let bus_error = |source| SchedulerError::Bus {
        context: "creating a notification consumer",
        source,
    };
    let config = ConsumerConfig::new(name, topic.filter())
        .map_err(bus_error)?
        .with_ack_wait(Duration::from_secs(30));
    posture_bus::spawn_workers(bus, config, 1, handler, RetryPolicy::default(), shutdown, tasks)
        .await
        .map_err(bus_error)
}

/// Creates (or joins) the notification consumers and handles events until `shutdown`.
pub async fn spawn_consumers(
    bus: &dyn Bus,
    notifier: Notifier,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), SchedulerError> {
    consume(
        bus,
        durable::NOTIFY_CONNECTION_HEALTH,
        &CONNECTION_HEALTH_CHANGED,
        Arc::new(HealthHandler(notifier.clone())),
        shutdown,
        tasks,
    )
    .await?;
    consume(
        bus,
        durable::NOTIFY_RUNS,
        &RUN_COMPLETED,
        Arc::new(RunHandler(notifier.clone())),
        shutdown,
        tasks,
    )
    .await?;
    consume(
        bus,
        durable::NOTIFY_ASSESSMENTS,
        &ASSESSMENT_COMPLETED,
        Arc::new(AssessmentHandler(notifier.clone())),
        shutdown,
        tasks,
    )
    .await?;
    consume(
        bus,
        durable::NOTIFY_DRIFT,
        &DRIFT_DETECTED,
        Arc::new(DriftHandler(notifier)),
        shutdown,
        tasks,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{ConnectionHealth, FailureReason};

    #[test]
    fn a_withdrawn_consent_reads_as_permission_error_with_the_missing_permissions() {
        let tenant: TenantId = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("tenant");
        let event = ConnectionHealthChanged {
            event_id: "e1".into(),
            tenant_id: tenant.to_string(),
            previous_state: ConnectionState::Connected as i32,
            health: Some(ConnectionHealth {
                state: ConnectionState::PermissionError as i32,
                reason: Some(FailureReason {
                    code: "Authorization_RequestDenied".into(),
                    message: "Admin consent is missing.".into(),
                    missing_permissions: vec!["Policy.Read.All".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let n = health_notification(&event, tenant, Utc::now());
        assert_eq!(n.title, format!("Tenant {tenant}: Connected → Permission Error"));
        assert!(n.summary.contains("Policy.Read.All"), "{}", n.summary);
        assert_eq!(n.data["state"], "CONNECTION_STATE_PERMISSION_ERROR");
    }

    fn regressed(controls: &[(&str, Severity)]) -> AssessmentCompleted {
        AssessmentCompleted {
            event_id: "e2".into(),
            newly_failing: controls
                .iter()
                .map(|(id, severity)| NewlyFailingControl {
                    control_id: (*id).into(),
                    title: format!("{id} title"),
                    severity: *severity as i32,
                    reason: format!("{id} fails"),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_subscription_hears_of_the_controls_at_or_above_its_severity_only() {
        let tenant: TenantId = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("tenant");
        let event = regressed(&[
            ("a.critical", Severity::Critical),
            ("b.high", Severity::High),
            ("c.low", Severity::Low),
        ]);
        let ids = |n: &Notification| -> Vec<String> {
            n.data["controls"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| c["control_id"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let critical =
            control_failing_notification(&event, tenant, Severity::Critical, Utc::now()).expect("one");
        assert_eq!(ids(&critical), ["a.critical"]);
        let high = control_failing_notification(&event, tenant, Severity::High, Utc::now()).expect("one");
        assert_eq!(ids(&high), ["a.critical", "b.high"]);
        let low = control_failing_notification(&event, tenant, Severity::Low, Utc::now()).expect("one");
        assert_eq!(ids(&low).len(), 3);
        let none = regressed(&[("c.low", Severity::Low)]);
        assert!(control_failing_notification(&none, tenant, Severity::High, Utc::now()).is_none());
    }

    #[test]
    fn a_secure_score_drop_is_its_own_notification() {
        let tenant: TenantId = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("tenant");
        assert!(
            secure_score_notification(&regressed(&[("b.high", Severity::High)]), tenant, Utc::now())
                .is_none()
        );
        let dropped = secure_score_notification(
            &regressed(&[(SECURE_SCORE_DROP, Severity::Medium)]),
            tenant,
            Utc::now(),
        )
        .expect("dropped");
        assert_eq!(dropped.event, NotificationEvent::SecureScoreDropped);
        assert_eq!(dropped.summary, format!("{SECURE_SCORE_DROP} fails"));
    }
}
