//! Sync runs and the status of each entity kind within them, as the store keeps them: typed ids
//! stored as text, states and failure classes as their stored codes (`codes`). A partial unique
//! index keeps one active run per tenant, and terminal transitions are guarded updates so each
//! happens exactly once (`run_writes`).

use chrono::{DateTime, Utc};
use posture_kit::ids::{RunId, TenantId};

use super::{StoreError, decode, from_micros, parse_id};
use crate::state::{EntityState, FailureClass, RunState, Trigger};

/// A run to create, PENDING with one PENDING entity per kind.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub run_id: RunId,
    pub tenant_id: TenantId,
    pub trigger: Trigger,
    pub requested_by: &'a str,
    pub requested_at: DateTime<Utc>,
    pub kinds: &'a [&'a str],
}

/// Why an entity failed or was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRecord {
    pub class: FailureClass,
    /// Microsoft's code (`Authorization_RequestDenied`, `AADSTS7000215`), empty when none.
    pub code: String,
    pub message: String,
    pub permissions: Vec<String>,
    pub endpoint: String,
    /// 0 when no HTTP answer caused it.
    pub http_status: i32,
}

impl ErrorRecord {
    /// A reason with a class and a message only.
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        Self {
            class,
            code: String::new(),
            message: message.into(),
            permissions: Vec::new(),
            endpoint: String::new(),
            http_status: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityStatus {
    pub kind: String,
    pub state: EntityState,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub pages: u64,
    pub attempt: u32,
    pub error: Option<ErrorRecord>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl EntityStatus {
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: RunId,
    pub tenant_id: TenantId,
    pub trigger: Trigger,
    pub requested_by: String,
    pub state: RunState,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Ordered by kind.
    pub entities: Vec<EntityStatus>,
}

impl RunRecord {
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }

    /// The entity of `kind`, if the run includes it.
    pub fn entity(&self, kind: &str) -> Option<&EntityStatus> {
        self.entities.iter().find(|e| e.kind == kind)
    }
}

/// Filters of ListSyncRuns; pages go newest first, continuing below `before`.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub tenant_id: Option<TenantId>,
    pub state: Option<RunState>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The (requested at, run id) of the last run of the previous page.
    pub before: Option<(DateTime<Utc>, RunId)>,
    pub limit: u32,
}

pub(super) type RunRow = (String, String, i32, String, i32, i64, Option<i64>, Option<i64>);
pub(super) type EntityRow = (
    String,
    i32,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i32,
    String,
    String,
    String,
    String,
    i32,
    Option<i64>,
    Option<i64>,
);

/// The columns of [`RunRow`], as a literal for `concat!`.
macro_rules! run_columns {
    () => {
        "run_id, tenant_id, trigger, requested_by, state, requested_at, started_at, finished_at"
    };
}
/// The columns of [`EntityRow`], as a literal for `concat!`.
macro_rules! entity_columns {
    () => {
        "kind, state, added, changed, removed, unchanged, pages, attempt, error_class, error_code, \
         error_message, error_permissions, error_endpoint, error_http, started_at, finished_at"
    };
}
pub(crate) use {entity_columns, run_columns};

pub(super) fn entity(row: EntityRow) -> Result<EntityStatus, StoreError> {
    let (
        kind,
        state,
        added,
        changed,
        removed,
        unchanged,
        pages,
        attempt,
        class,
        code,
        message,
        perms,
        endpoint,
        http,
        s,
        f,
    ) = row;
    // Class 0 is "no error": a settled success, or a running entity without a noted failure.
    let error = match class {
        0 => None,
        class => Some(ErrorRecord {
            class: decode(class)?,
            code,
            message,
            permissions: perms
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            endpoint,
            http_status: http,
        }),
    };
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(EntityStatus {
        kind,
        state: decode(state)?,
        added: n(added),
        changed: n(changed),
        removed: n(removed),
        unchanged: n(unchanged),
        pages: n(pages),
        attempt: u32::try_from(attempt).unwrap_or(0),
        error,
        started_at: s.map(from_micros),
        finished_at: f.map(from_micros),
    })
}

pub(super) fn run(row: RunRow, entities: Vec<EntityRow>) -> Result<RunRecord, StoreError> {
    let (run_id, tenant_id, trigger, requested_by, state, requested_at, started_at, finished_at) = row;
    Ok(RunRecord {
        run_id: parse_id(&run_id)?,
        tenant_id: parse_id(&tenant_id)?,
        trigger: decode(trigger)?,
        requested_by,
        state: decode(state)?,
        requested_at: from_micros(requested_at),
        started_at: started_at.map(from_micros),
        finished_at: finished_at.map(from_micros),
        entities: entities.into_iter().map(entity).collect::<Result<_, _>>()?,
    })
}
