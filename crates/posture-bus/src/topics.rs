//! Every subject the roles share, each defined once beside the payload it carries: the events
//! (`events.{name}.{tenant}`), the sync job queue (`jobs.sync.{kind}.{tenant}`) and the durable
//! consumers that read them. Publishers build subjects and consumers build filters from the same
//! [`Topic`], so the two cannot disagree on a spelling.

use std::marker::PhantomData;

use posture_kit::ids::TenantId;
use posture_proto::events::v1 as ev;

use crate::error::SubjectError;
use crate::subject::{StreamKind, Subject, SubjectFilter, validate_token};

/// An event published per tenant: its subject token and, in the type, its payload.
pub struct Topic<M> {
    token: &'static str,
    _payload: PhantomData<fn() -> M>,
}

impl<M> Topic<M> {
    const fn new(token: &'static str) -> Self {
        Self {
            token,
            _payload: PhantomData,
        }
    }

    /// The subject token, e.g. `run-completed`.
    pub const fn token(&self) -> &'static str {
        self.token
    }

    /// `events.{token}.{tenant}`: where a publisher sends the tenant's event.
    pub fn subject(&self, tenant: &TenantId) -> Subject {
        // The token is a constant checked by the tests below and a tenant id is a GUID: both are
        // valid subject tokens, so the subject is built without a fallible path.
        Subject::from_parts(
            StreamKind::Events,
            vec![self.token.to_owned(), tenant.to_string()],
        )
    }

    /// `events.{token}.*`: every tenant's event, what a consumer filters on.
    pub fn filter(&self) -> SubjectFilter {
        SubjectFilter::literal_then_any(StreamKind::Events, &[self.token])
    }
}

/// A sync run is wanted: the scheduler publishes, the sync role consumes.
pub const SYNC_REQUESTED: Topic<ev::SyncRequested> = Topic::new("sync-requested");
/// One entity of a run finished: the sync role publishes (for watchers and integrations).
pub const ENTITY_SYNCED: Topic<ev::EntitySynced> = Topic::new("entity-synced");
/// Every entity of a run is done: the sync role publishes, the assessment role consumes.
pub const RUN_COMPLETED: Topic<ev::SyncRunCompleted> = Topic::new("run-completed");
/// A connection was created, changed or deleted: credentials publishes; tokens and the scheduler
/// consume.
pub const CONNECTION_CHANGED: Topic<ev::ConnectionChanged> = Topic::new("connection-changed");
/// A connection's recorded health changed state: credentials publishes.
pub const CONNECTION_HEALTH_CHANGED: Topic<ev::ConnectionHealthChanged> =
    Topic::new("connection-health-changed");
/// An assessment reached a terminal state: the assessment role publishes.
pub const ASSESSMENT_COMPLETED: Topic<ev::AssessmentCompleted> = Topic::new("assessment-completed");
/// New drift from a baseline: the assessment role publishes.
pub const DRIFT_DETECTED: Topic<ev::DriftDetected> = Topic::new("drift-detected");

/// A tenant's data is to be deleted: credentials publishes when a requested purge falls due; the
/// sync, assessment and scheduler roles each delete their own rows for the tenant.
pub const TENANT_PURGED: Topic<ev::TenantPurged> = Topic::new("tenant-purged");

/// Every event topic's token, for tests and tooling that list them.
pub const EVENT_TOKENS: &[&str] = &[
    SYNC_REQUESTED.token(),
    ENTITY_SYNCED.token(),
    RUN_COMPLETED.token(),
    CONNECTION_CHANGED.token(),
    CONNECTION_HEALTH_CHANGED.token(),
    ASSESSMENT_COMPLETED.token(),
    DRIFT_DETECTED.token(),
    TENANT_PURGED.token(),
];

/// The sync job work queue: one job per (run, entity kind), one durable consumer per kind.
pub mod sync_jobs {
    use super::*;

    /// The token after `jobs`.
    pub const TOKEN: &str = "sync";

    /// `jobs.sync.{kind}.{tenant}`.
    pub fn subject(kind: &str, tenant: &TenantId) -> Result<Subject, SubjectError> {
        validate_token(kind)?;
        Ok(Subject::from_parts(
            StreamKind::Jobs,
            vec![TOKEN.to_owned(), kind.to_owned(), tenant.to_string()],
        ))
    }

    /// `jobs.sync.{kind}.*`: the jobs of one kind.
    pub fn filter(kind: &str) -> Result<SubjectFilter, SubjectError> {
        validate_token(kind)?;
        Ok(SubjectFilter::literal_then_any(StreamKind::Jobs, &[TOKEN, kind]))
    }

    /// The durable consumer of one kind's jobs, e.g. `sync-users` (KEDA scales on its lag).
    pub fn consumer(kind: &str) -> String {
        format!("sync-{kind}")
    }
}

/// Durable consumer names of the events, one per consuming role. Renaming one orphans the
/// durable consumer on a running deployment, so these are fixed.
pub mod durable {
    /// The sync role's consumer of [`super::SYNC_REQUESTED`].
    pub const SYNC_REQUESTS: &str = "sync-requested";
    /// The tokens role's consumer of [`super::CONNECTION_CHANGED`].
    pub const TOKENS_CONNECTION_CHANGES: &str = "tokens-connection-changed";
    /// The scheduler's consumer of [`super::CONNECTION_CHANGED`].
    pub const SCHEDULER_CONNECTION_CHANGES: &str = "scheduler-connections";
    /// The assessment role's consumer of [`super::RUN_COMPLETED`].
    pub const ASSESSMENT_RUNS: &str = "assessment-run-completed";
    /// The sync role's consumer of [`super::RUN_COMPLETED`] that reads the tenant's audit streams.
    pub const SYNC_AUDIT_RUNS: &str = "sync-audit-run-completed";
    /// The assessment role's drift detection, a second consumer of [`super::RUN_COMPLETED`].
    pub const DRIFT_RUNS: &str = "assessment-drift-run-completed";
    /// The scheduler's notifications of [`super::CONNECTION_HEALTH_CHANGED`].
    pub const NOTIFY_CONNECTION_HEALTH: &str = "scheduler-notify-connection-health";
    /// The scheduler's notifications of failing syncs, from [`super::RUN_COMPLETED`].
    pub const NOTIFY_RUNS: &str = "scheduler-notify-run-completed";
    /// The scheduler's notifications of [`super::ASSESSMENT_COMPLETED`].
    pub const NOTIFY_ASSESSMENTS: &str = "scheduler-notify-assessment-completed";
    /// The scheduler's notifications of [`super::DRIFT_DETECTED`].
    pub const NOTIFY_DRIFT: &str = "scheduler-notify-drift-detected";
    /// The sync role's purge of a tenant's inventory, runs and audit events, from
    /// [`super::TENANT_PURGED`].
    pub const SYNC_PURGES: &str = "sync-tenant-purged";
    /// The assessment role's purge of a tenant's assessments, exceptions and drift.
    pub const ASSESSMENT_PURGES: &str = "assessment-tenant-purged";
    /// The scheduler's purge of a tenant's schedule and notification rows.
    pub const SCHEDULER_PURGES: &str = "scheduler-tenant-purged";
    /// The gateway's purge of a tenant's calls from the activity log.
    pub const GATEWAY_PURGES: &str = "gateway-tenant-purged";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::ConsumerConfig;

    fn tenant() -> TenantId {
        "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("tenant")
    }

    #[test]
    fn every_event_token_is_a_valid_distinct_subject_token() {
        let mut seen = std::collections::HashSet::new();
        for token in EVENT_TOKENS {
            validate_token(token).expect("valid token");
            assert!(seen.insert(*token), "{token} defined twice");
        }
    }

    #[test]
    fn each_topic_filter_matches_its_own_subjects_only() {
        let tenant = tenant();
        let subjects = [
            SYNC_REQUESTED.subject(&tenant),
            ENTITY_SYNCED.subject(&tenant),
            RUN_COMPLETED.subject(&tenant),
            CONNECTION_CHANGED.subject(&tenant),
            CONNECTION_HEALTH_CHANGED.subject(&tenant),
            ASSESSMENT_COMPLETED.subject(&tenant),
            DRIFT_DETECTED.subject(&tenant),
            TENANT_PURGED.subject(&tenant),
        ];
        let filters = [
            SYNC_REQUESTED.filter(),
            ENTITY_SYNCED.filter(),
            RUN_COMPLETED.filter(),
            CONNECTION_CHANGED.filter(),
            CONNECTION_HEALTH_CHANGED.filter(),
            ASSESSMENT_COMPLETED.filter(),
            DRIFT_DETECTED.filter(),
            TENANT_PURGED.filter(),
        ];
        for (i, filter) in filters.iter().enumerate() {
            for (j, subject) in subjects.iter().enumerate() {
                assert_eq!(filter.matches(subject), i == j, "filter {i} vs subject {j}");
            }
        }
    }

    #[test]
    fn a_kind_filter_takes_that_kinds_jobs_and_no_other() {
        let tenant = tenant();
        let users = sync_jobs::filter("users").expect("filter");
        assert!(users.matches(&sync_jobs::subject("users", &tenant).expect("subject")));
        assert!(!users.matches(&sync_jobs::subject("organization", &tenant).expect("subject")));
        assert!(sync_jobs::subject("bad.kind", &tenant).is_err());
        assert!(sync_jobs::filter("users.*").is_err());
    }

    #[test]
    fn durable_names_are_valid_consumer_names() {
        for name in [
            durable::SYNC_REQUESTS,
            durable::TOKENS_CONNECTION_CHANGES,
            durable::SCHEDULER_CONNECTION_CHANGES,
            durable::ASSESSMENT_RUNS,
            durable::NOTIFY_CONNECTION_HEALTH,
            durable::NOTIFY_RUNS,
            durable::NOTIFY_ASSESSMENTS,
            durable::NOTIFY_DRIFT,
            durable::SYNC_PURGES,
            durable::ASSESSMENT_PURGES,
            durable::SCHEDULER_PURGES,
            durable::GATEWAY_PURGES,
            sync_jobs::consumer("users").as_str(),
        ] {
            ConsumerConfig::new(name, SubjectFilter::all(StreamKind::Events)).expect(name);
        }
    }
}
