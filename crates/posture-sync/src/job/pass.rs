//! One job's reading: where it starts (its run's stored next link, the last delta link, or the
//! first page), passes over the kind's pages into the store with a checkpoint after every durable
//! page, and a fresh full round when Microsoft says the delta state expired.

use std::sync::atomic::Ordering;

use posture_bus::Delivery;
use posture_graph::{GraphClient, GraphError};
use url::Url;

use super::SyncWorker;
use super::diff::Inventory;
use super::fetch;
use super::pages::PageStream;
use crate::failure::{Disposition, JobFailure};
use crate::kinds::{KindDef, ReadMode};
use crate::state::{FailureClass, RunState};
use crate::store::{Cursor, PageWrite, RunRecord, StoreError};

/// The job one delivery carries, as the reading needs it.
pub(super) struct Job<'a> {
    pub run: &'a RunRecord,
    pub kind: &'static KindDef,
    pub delivery: &'a Delivery,
    /// This delivery's attempt: its pages land only while the entity's recorded attempt is this
    /// one, so an earlier delivery still running cannot add to them.
    pub attempt: u32,
}

/// Where a pass starts reading and the delta link its checkpoints keep meanwhile.
struct Pass {
    url: Url,
    /// True when the pass starts at the first page, so unseen objects can be swept at the end.
    complete: bool,
    delta_link: Option<String>,
}

/// Why a pass stopped before its last page: Microsoft's answer (an expired delta round is read
/// again from the start) or a failure of the job itself.
enum PassError {
    Graph(GraphError),
    Job(JobFailure),
}

impl From<JobFailure> for PassError {
    fn from(failure: JobFailure) -> Self {
        PassError::Job(failure)
    }
}

impl From<StoreError> for PassError {
    fn from(error: StoreError) -> Self {
        PassError::Job(error.into())
    }
}

impl From<PassError> for JobFailure {
    fn from(error: PassError) -> Self {
        match error {
            PassError::Graph(graph) => graph.into(),
            PassError::Job(failure) => failure,
        }
    }
}

impl SyncWorker {
    /// Reads the job's kind into the store, from where the last delivery or round stopped.
    pub(super) async fn sync(&self, job: &Job<'_>) -> Result<(), JobFailure> {
        let client = self.directory.client(&job.run.tenant_id).await?;
        let mut pass = self.first_pass(job, &client).await?;
        let mut restarted = false;
        loop {
            match self.store_pass(job, &client, &pass).await {
                Ok(()) => return Ok(()),
                Err(PassError::Graph(GraphError::ResyncRequired { fresh_link, .. })) if !restarted => {
                    // The delta token expired: a fresh full round, then removals by sweep.
                    tracing::info!(run = %job.run.run_id, kind = job.kind.name, "delta state expired; reading everything");
                    restarted = true;
                    let url = match fresh_link {
                        Some(url) => url,
                        None => fetch::first_url(job.kind, &client, self.runs.now())?,
                    };
                    pass = Pass {
                        url,
                        complete: true,
                        delta_link: None,
                    };
                    self.runs
                        .store
                        .set_cursor(&job.run.tenant_id, job.kind.name, &Cursor::default())
                        .await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Resumes at the run's checkpoint, else continues the delta round, else starts over.
    async fn first_pass(&self, job: &Job<'_>, client: &GraphClient) -> Result<Pass, JobFailure> {
        let (run, kind) = (job.run, job.kind);
        let cursor = self.runs.store.cursor(&run.tenant_id, kind.name).await?;
        let stored = |link: &Option<String>| link.as_deref().and_then(|l| Url::parse(l).ok());
        // A per-group read starts over: its checkpoints name the next group's members, not a
        // page of the kind's own listing.
        let resume = (cursor.run_id == Some(run.run_id) && kind.read != ReadMode::PerGroup)
            .then(|| stored(&cursor.next_link))
            .flatten();
        let delta_link = cursor.delta_link.clone();
        Ok(match (resume, kind.read, stored(&cursor.delta_link)) {
            (Some(url), _, _) => {
                tracing::info!(run = %run.run_id, kind = kind.name, "resuming from the last checkpoint");
                Pass {
                    url,
                    complete: false,
                    delta_link,
                }
            }
            (None, ReadMode::Delta, Some(url)) => Pass {
                url,
                complete: false,
                delta_link,
            },
            _ => Pass {
                url: fetch::first_url(kind, client, self.runs.now())?,
                complete: true,
                delta_link,
            },
        })
    }

    /// Stores one pass page by page: each page's changes, the entity's counters and the cursor in
    /// one transaction, while the next page is fetched.
    async fn store_pass(&self, job: &Job<'_>, client: &GraphClient, pass: &Pass) -> Result<(), PassError> {
        let (run, kind) = (job.run, job.kind);
        let store = &self.runs.store;
        let known = store.known_objects(&run.tenant_id, kind.name).await?;
        let inventory = Inventory::new(kind, known, pass.complete);
        let mut pages = PageStream::open(
            kind,
            client,
            pass.url.clone(),
            inventory,
            self.settings.page_buffer,
            &self.settings.dns,
        );
        while let Some(page) = pages.next().await {
            let page = page.map_err(PassError::Graph)?;
            let last = page.is_last();
            let cursor = if last {
                Cursor {
                    run_id: None,
                    next_link: None,
                    delta_link: page.delta_link.map(String::from),
                    complete_pass: false,
                }
            } else {
                Cursor {
                    run_id: Some(run.run_id),
                    next_link: page.next.map(String::from),
                    delta_link: pass.delta_link.clone(),
                    complete_pass: pass.complete,
                }
            };
            let diff = page.diff;
            let counts = (
                diff.added,
                diff.changed,
                diff.unchanged,
                diff.removals.len() as u64,
            );
            let outcome = store
                .apply_page(&PageWrite {
                    tenant_id: run.tenant_id,
                    kind: kind.name,
                    run_id: run.run_id,
                    attempt: job.attempt,
                    configuration: kind.configuration,
                    now: self.runs.now(),
                    upserts: diff.upserts,
                    refreshes: diff.refreshes,
                    removals: diff.removals,
                    added: diff.added,
                    changed: diff.changed,
                    unchanged: diff.unchanged,
                    pages: 1,
                    cursor,
                    batch_size: self.settings.batch_size,
                })
                .await?;
            self.rows_written
                .fetch_add(outcome.rows_written, Ordering::Relaxed);
            self.metrics
                .page(kind.name, counts.0, counts.1, counts.2, counts.3);
            if last {
                return Ok(());
            }
            // Long jobs keep their delivery: each durable page restarts the ack wait.
            let _ = job.delivery.in_progress().await;
            let state = store.run(&run.run_id).await?.map(|r| r.state);
            if state == Some(RunState::Cancelled) {
                return Err(JobFailure::cancelled().into());
            }
        }
        Err(JobFailure::new(
            Disposition::Retry,
            FailureClass::Internal,
            "the page stream ended before its last page",
        )
        .into())
    }
}
