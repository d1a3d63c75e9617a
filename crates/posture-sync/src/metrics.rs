//! The sync role's Prometheus metrics: objects, pages and job duration per entity kind, and jobs
//! by outcome. Labelled by kind and outcome only: a tenant label would multiply every series by
//! the fleet's size (thousands of tenants), so per-tenant detail stays in the run records and
//! traces, which are keyed by tenant already.

use std::time::Duration;

use posture_graph::GraphMetrics;
use posture_kit::telemetry::{MetricsRegistry, POSTURE_PREFIX};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabels {
    kind: &'static str,
    /// `added`, `changed`, `unchanged` or `removed` against the stored inventory.
    change: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: &'static str,
    outcome: &'static str,
}

/// How a sync job ended, as `posture_sync_jobs_total{outcome}` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    Failed,
    Skipped,
    /// Will be delivered again.
    Retried,
    /// A later delivery of the same job took over.
    Superseded,
}

impl JobOutcome {
    fn label(self) -> &'static str {
        match self {
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
            JobOutcome::Skipped => "skipped",
            JobOutcome::Retried => "retried",
            JobOutcome::Superseded => "superseded",
        }
    }
}

/// Cheap to clone; every clone records into the same series.
#[derive(Debug, Clone)]
pub struct SyncMetrics {
    objects: Family<ObjectLabels, Counter>,
    pages: Family<KindLabels, Counter>,
    jobs: Family<JobLabels, Counter>,
    job_seconds: Family<KindLabels, Histogram, fn() -> Histogram>,
    /// The calls to Microsoft the role's jobs make.
    pub graph: GraphMetrics,
}

fn job_histogram() -> Histogram {
    // 50 ms .. ~2 h: a one-page kind takes well under a second, a paced report of a large
    // tenant takes an hour or more.
    Histogram::new(exponential_buckets(0.05, 2.0, 18))
}

impl SyncMetrics {
    pub fn register(registry: &MetricsRegistry) -> Self {
        registry.shared(|registry| {
            let metrics = Self {
                objects: Family::default(),
                pages: Family::default(),
                jobs: Family::default(),
                job_seconds: Family::new_with_constructor(job_histogram as fn() -> Histogram),
                graph: GraphMetrics::default(),
            };
            registry.with_registry(|raw| metrics.graph.register(raw, POSTURE_PREFIX));
            registry.register(
                "sync_objects",
                "Objects read from Microsoft and stored, by entity kind and change against the stored inventory",
                metrics.objects.clone(),
            );
            registry.register(
                "sync_pages",
                "Pages read from Microsoft and stored, by entity kind",
                metrics.pages.clone(),
            );
            registry.register(
                "sync_jobs",
                "Sync jobs (one entity kind of one run) ended, by kind and outcome",
                metrics.jobs.clone(),
            );
            registry.register(
                "sync_job_duration_seconds",
                "Time a sync job's delivery spent reading and storing, by entity kind",
                metrics.job_seconds.clone(),
            );
            metrics
        })
    }

    pub(crate) fn page(&self, kind: &'static str, added: u64, changed: u64, unchanged: u64, removed: u64) {
        self.pages.get_or_create(&KindLabels { kind }).inc();
        for (change, count) in [
            ("added", added),
            ("changed", changed),
            ("unchanged", unchanged),
            ("removed", removed),
        ] {
            if count > 0 {
                self.objects
                    .get_or_create(&ObjectLabels { kind, change })
                    .inc_by(count);
            }
        }
    }

    pub(crate) fn job(&self, kind: &'static str, outcome: JobOutcome, took: Duration) {
        self.job_seconds
            .get_or_create(&KindLabels { kind })
            .observe(took.as_secs_f64());
        self.jobs
            .get_or_create(&JobLabels {
                kind,
                outcome: outcome.label(),
            })
            .inc();
    }
}
