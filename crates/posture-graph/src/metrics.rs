//! Prometheus metrics of the calls to Microsoft: requests by service family and HTTP status,
//! throttled answers (429), response time, and time spent waiting for the request budget.
//! Labelled by service family, never by tenant: a fleet of thousands of tenants would make every
//! family thousands of series, and the per-tenant story is in each call's span.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::budget::ServiceFamily;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FamilyLabels {
    family: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    family: &'static str,
    /// The HTTP status code, or `error` when no answer came (connection failed, body cut off).
    status: String,
}

type SecondsFamily = Family<FamilyLabels, Histogram, fn() -> Histogram>;

/// Cheap to clone; every clone records into the same series. A client without one records
/// nothing.
#[derive(Debug, Clone)]
pub struct GraphMetrics {
    requests: Family<RequestLabels, Counter>,
    throttled: Family<FamilyLabels, Counter>,
    request_seconds: SecondsFamily,
    budget_wait_seconds: SecondsFamily,
}

fn request_histogram() -> Histogram {
    // 10 ms .. ~80 s: Microsoft answers most pages in 100 ms to a few seconds.
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

fn wait_histogram() -> Histogram {
    // 1 ms .. ~9 min: a paced report can wait minutes for its window.
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

impl Default for GraphMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            throttled: Family::default(),
            request_seconds: Family::new_with_constructor(request_histogram as fn() -> Histogram),
            budget_wait_seconds: Family::new_with_constructor(wait_histogram as fn() -> Histogram),
        }
    }
}

impl GraphMetrics {
    /// Registers the families into `registry` under `prefix` (`posture` gives
    /// `posture_graph_requests_total`, ...).
    pub fn register(&self, registry: &mut Registry, prefix: &str) {
        registry.register(
            format!("{prefix}_graph_requests"),
            "Requests sent to Microsoft's APIs, by service family and HTTP status",
            self.requests.clone(),
        );
        registry.register(
            format!("{prefix}_graph_throttled"),
            "Answers 429 (too many requests) from Microsoft's APIs, by service family",
            self.throttled.clone(),
        );
        registry.register(
            format!("{prefix}_graph_request_duration_seconds"),
            "Time to a complete answer from Microsoft's APIs, by service family",
            self.request_seconds.clone(),
        );
        registry.register(
            format!("{prefix}_graph_budget_wait_seconds"),
            "Time a request waited for the request budget before it was sent, by service family",
            self.budget_wait_seconds.clone(),
        );
    }

    pub(crate) fn answered(&self, family: ServiceFamily, status: Option<u16>, took: Duration) {
        let family = family.name();
        let status = status.map_or_else(|| "error".to_owned(), |code| code.to_string());
        if status == "429" {
            self.throttled.get_or_create(&FamilyLabels { family }).inc();
        }
        self.requests
            .get_or_create(&RequestLabels { family, status })
            .inc();
        self.request_seconds
            .get_or_create(&FamilyLabels { family })
            .observe(took.as_secs_f64());
    }

    pub(crate) fn waited(&self, family: ServiceFamily, took: Duration) {
        self.budget_wait_seconds
            .get_or_create(&FamilyLabels {
                family: family.name(),
            })
            .observe(took.as_secs_f64());
    }
}
