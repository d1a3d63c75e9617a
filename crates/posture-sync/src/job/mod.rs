//! The worker: one job is one entity kind of one run. It reads the tenant's endpoints from the
//! credentials role and tokens from the broker, resumes from the stored cursor, streams pages
//! into the store while the next one is fetched, checkpoints after every durable page, and turns
//! failures into the entity's state (failed, skipped) or a retry with backoff.

// Errors here are posture-graph's `GraphError`, passed through on a cold path once per job.
#![allow(clippy::result_large_err)]

mod diff;
mod fetch;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_graph::{GraphClient, GraphError};
use posture_proto::events::v1 as ev;
use posture_proto::v1::{EntitySyncState, SyncRunState};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::connection::TenantDirectory;
use crate::failure::{Disposition, JobFailure};
use crate::kinds::{self, KindDef, ReadMode};
use crate::runs::Runs;
use crate::store::{Cursor, PageWrite, RunRecord};

pub use diff::{Inventory, PageDiff};
pub use fetch::{FetchedPage, Item};

/// Tunables of the workers.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Objects per store statement.
    pub batch_size: usize,
    /// Pages fetched ahead of the writer.
    pub page_buffer: usize,
    /// How often a running job tells the bus it is alive (a third of the ack wait), so a page
    /// that waits for its request budget or a Retry-After is not delivered to a second worker.
    pub heartbeat: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            page_buffer: 2,
            heartbeat: Duration::from_secs(20),
        }
    }
}

/// Handles SyncJob deliveries of every kind.
#[derive(Clone)]
pub struct SyncWorker {
    pub runs: Runs,
    pub directory: TenantDirectory,
    pub settings: JobSettings,
    /// Inventory rows written since start (objects and versions).
    pub rows_written: Arc<AtomicU64>,
}

#[async_trait]
impl Handler for SyncWorker {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let job: ev::SyncJob = delivery.decode()?;
        let kind = kinds::find(&job.entity_kind)
            .ok_or_else(|| HandlerError::permanent(format!("unknown entity kind {}", job.entity_kind)))?;
        let store = &self.runs.store;
        let run = store
            .run(&job.run_id)
            .await
            .map_err(HandlerError::transient)?
            .ok_or_else(|| HandlerError::permanent(format!("unknown sync run {}", job.run_id)))?;
        if run.tenant_id != job.tenant_id {
            return Err(HandlerError::permanent(format!(
                "job for tenant {} names run {} of another tenant",
                job.tenant_id, job.run_id
            )));
        }
        if !run.is_active() {
            // A job of a cancelled run whose worker died mid-page: nobody else will settle it.
            if run.state == SyncRunState::Cancelled as i32 {
                let reason = JobFailure::cancelled().reason;
                store
                    .finish_entity(
                        &run.run_id,
                        kind.name,
                        EntitySyncState::Skipped,
                        &reason,
                        self.runs.now(),
                    )
                    .await
                    .map_err(HandlerError::transient)?;
            }
            return Ok(());
        }
        let attempt = delivery.delivery_count().max(1);
        let entity = store
            .start_entity(&run.run_id, kind.name, attempt, self.runs.now())
            .await
            .map_err(HandlerError::transient)?;
        if entity.is_none_or(|e| e.is_terminal()) {
            return Ok(());
        }
        let outcome = tokio::select! {
            outcome = self.sync(&run, kind, delivery) => outcome,
            never = heartbeat(delivery, self.settings.heartbeat) => match never {},
        };
        let run = &run;
        let settle = |state, reason| async move {
            self.runs
                .finish_entity(run, kind.name, state, reason)
                .await
                .map_err(HandlerError::transient)
        };
        match outcome {
            Ok(()) => settle(EntitySyncState::Succeeded, &Default::default()).await,
            Err(f) => match f.disposition {
                Disposition::Fail => settle(EntitySyncState::Failed, &f.reason).await,
                Disposition::Skip => settle(EntitySyncState::Skipped, &f.reason).await,
                Disposition::Retry if delivery.is_last_delivery() => {
                    settle(EntitySyncState::Failed, &f.reason).await
                }
                Disposition::Superseded => {
                    tracing::warn!(run = %run.run_id, kind = kind.name, attempt, reason = %f, "sync job stops: delivered again");
                    Ok(())
                }
                Disposition::Retry => {
                    tracing::warn!(run = %run.run_id, kind = kind.name, attempt, reason = %f, "sync job will be retried");
                    let _ = store.note_entity_error(&run.run_id, kind.name, &f.reason).await;
                    Err(HandlerError::transient(f))
                }
            },
        }
    }
}

/// Progress acks every `every` until dropped: a job stays this worker's while it waits.
async fn heartbeat(delivery: &Delivery, every: Duration) -> std::convert::Infallible {
    let every = every.max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let _ = delivery.in_progress().await;
    }
}

/// Where a job starts reading.
struct Start {
    url: Url,
    /// True when the pass starts at the first page, so unseen objects can be swept at the end.
    complete: bool,
}

impl SyncWorker {
    async fn sync(
        &self,
        run: &RunRecord,
        kind: &'static KindDef,
        delivery: &Delivery,
    ) -> Result<(), JobFailure> {
        let store = &self.runs.store;
        let tenant = run.tenant_id.as_str();
        let client = self.directory.client(tenant).await?;
        let cursor = store.cursor(tenant, kind.name).await?;
        let stored = |link: &Option<String>| link.as_deref().and_then(|l| Url::parse(l).ok());
        let resume = (cursor.run_id.as_deref() == Some(run.run_id.as_str()))
            .then(|| stored(&cursor.next_link))
            .flatten();
        let mut start = match (resume, kind.read, stored(&cursor.delta_link)) {
            (Some(url), _, _) => {
                tracing::info!(run = %run.run_id, kind = kind.name, "resuming from the last checkpoint");
                Start { url, complete: false }
            }
            (None, ReadMode::Delta, Some(url)) => Start { url, complete: false },
            _ => Start {
                url: fetch::first_url(kind, &client)?,
                complete: true,
            },
        };
        let mut delta_link = cursor.delta_link.clone();
        let mut restarted = false;
        loop {
            let known = store.known_objects(tenant, kind.name).await?;
            let mut inventory = Inventory::new(kind, known, start.complete);
            match self
                .stream(run, kind, &client, &start, &mut inventory, &delta_link, delivery)
                .await
            {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(GraphError::ResyncRequired { fresh_link, .. })) if !restarted => {
                    // The delta token expired: a fresh full round, then removals by sweep.
                    tracing::info!(run = %run.run_id, kind = kind.name, "delta state expired; reading everything");
                    restarted = true;
                    delta_link = None;
                    let url = match fresh_link {
                        Some(url) => url,
                        None => fetch::first_url(kind, &client)?,
                    };
                    start = Start { url, complete: true };
                    store.set_cursor(tenant, kind.name, &Cursor::default()).await?;
                }
                Ok(Err(graph)) => return Err(graph.into()),
                Err(failure) => return Err(failure),
            }
        }
    }

    /// Streams pages from `start` into the store. Graph errors come back separately so the
    /// caller can restart an expired delta round.
    #[allow(clippy::too_many_arguments)]
    async fn stream(
        &self,
        run: &RunRecord,
        kind: &'static KindDef,
        client: &GraphClient,
        start: &Start,
        inventory: &mut Inventory,
        delta_link: &Option<String>,
        delivery: &Delivery,
    ) -> Result<Result<(), GraphError>, JobFailure> {
        let store = &self.runs.store;
        let stop = CancellationToken::new();
        let _stop_fetcher = stop.clone().drop_guard();
        let mut pages = fetch::spawn_fetcher(
            kind,
            client.clone(),
            start.url.clone(),
            self.settings.page_buffer,
            stop,
        );
        let endpoint = kind.endpoint();
        while let Some(page) = pages.recv().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => return Ok(Err(e)),
            };
            let last = page.next.is_none();
            let mut diff = match inventory.diff(page.items, &endpoint) {
                Ok(diff) => diff,
                Err(e) => return Ok(Err(e)),
            };
            if last {
                diff.removals.extend(inventory.sweep().removals);
            }
            let cursor = if last {
                Cursor {
                    run_id: None,
                    next_link: None,
                    delta_link: page.delta_link.map(String::from),
                    complete_pass: false,
                }
            } else {
                Cursor {
                    run_id: Some(run.run_id.clone()),
                    next_link: page.next.map(String::from),
                    delta_link: delta_link.clone(),
                    complete_pass: start.complete,
                }
            };
            let outcome = store
                .apply_page(&PageWrite {
                    tenant_id: &run.tenant_id,
                    kind: kind.name,
                    run_id: &run.run_id,
                    attempt: delivery.delivery_count().max(1),
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
            if last {
                return Ok(Ok(()));
            }
            // Long jobs keep their delivery: each durable page restarts the ack wait.
            let _ = delivery.in_progress().await;
            let state = store.run(&run.run_id).await?.map(|r| r.state);
            if state == Some(SyncRunState::Cancelled as i32) {
                return Err(JobFailure::cancelled());
            }
        }
        Err(JobFailure::new(
            Disposition::Retry,
            posture_proto::v1::ErrorClass::Internal,
            "the page stream ended before its last page",
        ))
    }
}
