//! One assessment from start to finish: read the run's inventory through the sync role, build
//! the tenant document with the tenant's settings, evaluate the pack, apply the active
//! exceptions, and store the findings; AssessmentCompleted goes out as the caller's
//! [`Announce`] says. Used by the run-completed consumer and by StartAssessment alike.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_bus::Bus;
use posture_bus::outbox::{Outbox, OutboxMessage};
use posture_kit::clock::SharedClock;
use posture_kit::ids::{AssessmentId, RunId, TenantId};
use posture_proto::v1 as pb;
use serde_json::Value;

use super::announce::{Announce, Completed};
use super::connection::{ConnectionFacts, ConnectionReader};
use super::convert;
use super::metrics::AssessmentMetrics;
use super::newly_failing::newly_failing;
use super::reader::{InventoryReader, ReadError};
use super::signals::count_signals;
use super::store::{
    AssessmentRecord, AssessmentState, AssessmentStore, Completion, FailureClass, FailureRecord,
    FindingRecord, NewAssessment, StoreError, Trigger,
};
use crate::acceptance::apply_exceptions;
use crate::document::{Collection, CollectionKind, TenantDocumentBuilder};
use crate::engine::Engine;
use crate::pack::PolicyPack;

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing AssessmentCompleted failed: {0}")]
    Bus(#[from] posture_bus::BusError),
    #[error("the evaluation task stopped: {0}")]
    Evaluation(String),
}

impl AssessError {
    /// Worth another delivery: a dependency was down, not wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            AssessError::Read(e) => e.is_transient(),
            AssessError::Store(e) => e.is_transient(),
            AssessError::Bus(_) => true,
            AssessError::Evaluation(_) => false,
        }
    }

    /// How the failure is kept on the assessment: plain words, no internals beyond the cause.
    pub fn failure(&self) -> FailureRecord {
        let (class, code) = match self {
            // Stored only by the last delivery: the sync role stayed unreachable throughout.
            AssessError::Read(e) if e.is_transient() => (FailureClass::Transient, "SYNC_UNAVAILABLE"),
            AssessError::Read(_) => (FailureClass::Internal, "INVENTORY_UNREADABLE"),
            AssessError::Store(_) => (FailureClass::Internal, "STORE_FAILED"),
            AssessError::Bus(_) => (FailureClass::Internal, "BUS_FAILED"),
            AssessError::Evaluation(_) => (FailureClass::Internal, "EVALUATION_FAILED"),
        };
        // Database and bus errors stay in the log: their text names internals, not causes a
        // reader of the assessment can act on.
        let message = match self {
            AssessError::Store(_) => {
                "storing the assessment failed; see the assessment role's log".to_owned()
            }
            AssessError::Bus(_) => {
                "announcing the assessment failed; see the assessment role's log".to_owned()
            }
            other => other.to_string(),
        };
        FailureRecord {
            error_class: class,
            code: code.to_owned(),
            message,
        }
    }
}

/// What an assessment is created with.
pub struct Request<'a> {
    pub tenant_id: TenantId,
    pub trigger: Trigger,
    pub requested_by: &'a str,
    pub sync_run_id: RunId,
}

#[derive(Clone)]
pub struct Assessor {
    pub store: AssessmentStore,
    pub reader: InventoryReader,
    /// The connection's credential metadata, for `tenant.connection`.
    pub connections: ConnectionReader,
    pub bus: Arc<dyn Bus>,
    /// Relays the announcements staged with [`Announce::ThroughOutbox`].
    pub outbox: Outbox,
    pub clock: SharedClock,
    pub pack: Arc<PolicyPack>,
    pub pack_version: Arc<str>,
    /// An active assessment without progress for this long is abandoned (its process died).
    pub stale_after: Duration,
    pub metrics: AssessmentMetrics,
}

fn trigger_label(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::SyncCompleted => "sync",
        Trigger::Manual => "manual",
    }
}

impl Assessor {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Creates a PENDING assessment. `AlreadyExists` when the tenant has an active one (after
    /// failing it if it went stale) or the run was already assessed.
    pub async fn create(&self, request: &Request<'_>) -> Result<AssessmentRecord, AssessError> {
        let id = AssessmentId::new_random();
        let new = NewAssessment {
            assessment_id: id,
            tenant_id: request.tenant_id,
            trigger: request.trigger,
            requested_by: request.requested_by,
            sync_run_id: request.sync_run_id,
            pack_version: &self.pack_version,
            requested_at: self.now(),
        };
        match self.store.create_assessment(&new).await {
            Err(StoreError::AlreadyExists { .. }) if self.abandon_stale(&request.tenant_id).await? => {
                self.store.create_assessment(&new).await?
            }
            other => other?,
        }
        let created = self.store.assessment(&request.tenant_id, &id).await?;
        Ok(created.ok_or_else(|| StoreError::Corrupt {
            what: "assessment",
            reason: format!("{id} vanished after it was created"),
        })?)
    }

    /// Fails the tenant's active assessment if nothing happened to it for `stale_after`. The
    /// abandoned assessment may be a manual one nothing will redeliver, so its announcement is
    /// staged in the outbox.
    async fn abandon_stale(&self, tenant_id: &TenantId) -> Result<bool, AssessError> {
        let Some(active) = self.store.active_assessment(tenant_id).await? else {
            return Ok(false);
        };
        let last = active.started_at.unwrap_or(active.requested_at);
        let stale = chrono::Duration::from_std(self.stale_after).unwrap_or(chrono::Duration::MAX);
        if self.now() - last < stale {
            return Ok(false);
        }
        tracing::warn!(assessment = %active.assessment_id, tenant = %tenant_id, "abandoning a stale assessment");
        let failure = FailureRecord {
            error_class: FailureClass::Internal,
            code: "ABANDONED".to_owned(),
            message: format!(
                "no progress for {} minutes; the process running it stopped",
                self.stale_after.as_secs() / 60
            ),
        };
        self.fail(&active, &failure, Announce::ThroughOutbox).await?;
        Ok(true)
    }

    /// Evaluates `assessment` over the inventory `run` left and completes it. A finished
    /// assessment is left alone (a redelivery after success).
    pub async fn execute(
        &self,
        assessment: &AssessmentRecord,
        run: &pb::SyncRun,
        announce: Announce,
    ) -> Result<(), AssessError> {
        let tenant = &assessment.tenant_id;
        if !self
            .store
            .mark_running(&assessment.assessment_id, self.now())
            .await?
        {
            return Ok(());
        }
        let started_at = self.now();
        let settings = self.store.settings(tenant).await?;
        let (collections, connection) = tokio::join!(
            self.reader.collections(tenant, run),
            self.connections.facts(tenant)
        );
        let collections = collections?;
        let now = self.now();
        let exceptions = self.store.active_exceptions(tenant, now).await?;

        let signals = count_signals(&collections);
        let display_name = organization_name(&collections).unwrap_or_else(|| tenant.to_string());
        let mut builder = TenantDocumentBuilder::new(tenant.to_string(), display_name)
            .emergency_access_accounts(settings.emergency_access_accounts.clone())
            .items_read(self.pack.collections_read())
            .now(now);
        for (name, value) in &settings.parameters {
            builder = builder.parameter(name.clone(), *value);
        }
        builder = match connection {
            ConnectionFacts::Credential { kind, id, expires_at } => {
                builder.connection_credential(kind, id, expires_at)
            }
            ConnectionFacts::Unreadable(reason) => builder.connection_missing(reason),
        };
        for (kind, collection) in collections {
            builder = builder.collection(kind, collection);
        }
        let pack = self.pack.clone();
        let risks: Vec<_> = exceptions.iter().map(convert::risk_exception).collect();
        // Evaluation is CPU-bound (up to a second or two for a large tenant): keep it off the
        // async workers.
        let evaluated = tokio::task::spawn_blocking(move || {
            let mut evaluated = Engine::evaluate_owned(&pack, builder.build());
            apply_exceptions(&mut evaluated, &risks, now);
            evaluated
        })
        .await
        .map_err(|e| AssessError::Evaluation(e.to_string()))?;

        let findings: Vec<_> = evaluated
            .results
            .iter()
            .map(|r| convert::finding(&assessment.assessment_id, tenant, r, &exceptions, now))
            .collect();
        let (counts, scores) = convert::scores(&evaluated.scores);
        let completed_at = self.now();
        let finished = AssessmentRecord {
            state: AssessmentState::Succeeded,
            counts: counts.clone(),
            scores: scores.clone(),
            signals: signals.clone(),
            error: None,
            completed_at: Some(completed_at),
            ..assessment.clone()
        };
        let staged = self.staged(announce, &finished, Some(&findings)).await?;
        let completed = self
            .store
            .complete_assessment(
                &assessment.assessment_id,
                &Completion {
                    counts: &counts,
                    scores: &scores,
                    signals: &signals,
                    findings: &findings,
                },
                completed_at,
                staged.as_ref(),
            )
            .await?;
        if completed {
            let took = (completed_at - started_at).to_std().unwrap_or_default();
            self.metrics.ended(trigger_label(assessment.trigger), true, took);
            for score in &scores {
                self.metrics.score(&score.framework, score.score);
            }
            tracing::info!(
                assessment = %assessment.assessment_id,
                tenant = %tenant,
                run = %run.run_id,
                passed = counts.passed,
                failed = counts.failed,
                errors = counts.error,
                duration_ms = evaluated.duration.as_millis() as u64,
                "assessment completed"
            );
            if staged.is_some() {
                self.outbox.notify();
            }
        }
        Ok(())
    }

    /// Stores the assessment as FAILED with the reason (unless it already finished).
    pub async fn fail(
        &self,
        assessment: &AssessmentRecord,
        failure: &FailureRecord,
        announce: Announce,
    ) -> Result<(), AssessError> {
        tracing::warn!(assessment = %assessment.assessment_id, tenant = %assessment.tenant_id, code = %failure.code, reason = %failure.message, "assessment failed");
        let failed_at = self.now();
        let finished = AssessmentRecord {
            state: AssessmentState::Failed,
            error: Some(failure.clone()),
            completed_at: Some(failed_at),
            ..assessment.clone()
        };
        let staged = self.staged(announce, &finished, None).await?;
        if self
            .store
            .fail_assessment(&assessment.assessment_id, failure, failed_at, staged.as_ref())
            .await?
        {
            let started = assessment.started_at.unwrap_or(assessment.requested_at);
            let took = (failed_at - started).to_std().unwrap_or_default();
            self.metrics.ended(trigger_label(assessment.trigger), false, took);
            if staged.is_some() {
                self.outbox.notify();
            }
        }
        Ok(())
    }

    /// The outbox row announcing `finished`, when that is how the caller announces.
    async fn staged(
        &self,
        announce: Announce,
        finished: &AssessmentRecord,
        current: Option<&[FindingRecord]>,
    ) -> Result<Option<OutboxMessage>, AssessError> {
        match announce {
            Announce::OnRedelivery => Ok(None),
            Announce::ThroughOutbox => Ok(Some(
                Completed::of(
                    finished,
                    newly_failing(&self.store, finished, current).await?,
                    self.now(),
                )?
                .staged(),
            )),
        }
    }

    /// Publishes AssessmentCompleted for the assessment as stored, if it is finished (nothing
    /// while it is still active), or with [`Announce::ThroughOutbox`] stages it for the relay.
    pub async fn announce(
        &self,
        assessment_id: &AssessmentId,
        tenant_id: &TenantId,
        announce: Announce,
    ) -> Result<(), AssessError> {
        let Some(record) = self.store.assessment(tenant_id, assessment_id).await? else {
            return Ok(());
        };
        if record.is_active() {
            return Ok(());
        }
        let newly_failing = newly_failing(&self.store, &record, None).await?;
        let completed = Completed::of(&record, newly_failing, self.now())?;
        match announce {
            Announce::OnRedelivery => completed.publish(self.bus.as_ref()).await?,
            Announce::ThroughOutbox => {
                self.store.stage(&completed.staged()).await?;
                self.outbox.notify();
            }
        }
        Ok(())
    }
}

/// The tenant's display name from its organization object, for the report.
fn organization_name(collections: &[(CollectionKind, Collection)]) -> Option<String> {
    collections
        .iter()
        .find(|(k, _)| *k == CollectionKind::Organization)
        .and_then(|(_, c)| c.items.first())
        .and_then(|o| o.get("displayName"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}
