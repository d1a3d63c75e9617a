//! The assessment role's Prometheus metrics: assessments ended by trigger and outcome, how long
//! they took, and the distribution of scores per framework across the fleet. No tenant label:
//! with thousands of tenants each family would become thousands of series; a tenant's scores are
//! in its assessments.

use std::time::Duration;

use posture_kit::telemetry::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets, linear_buckets};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndLabels {
    /// `sync` (a completed run) or `manual`.
    trigger: &'static str,
    /// `succeeded` or `failed`.
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FrameworkLabels {
    framework: String,
}

/// Cheap to clone; every clone records into the same series.
#[derive(Debug, Clone)]
pub struct AssessmentMetrics {
    ended: Family<EndLabels, Counter>,
    duration: Family<EndLabels, Histogram, fn() -> Histogram>,
    scores: Family<FrameworkLabels, Histogram, fn() -> Histogram>,
}

fn duration_histogram() -> Histogram {
    // 10 ms .. ~5 min: a small tenant takes tens of milliseconds, a 100,000-user one seconds.
    Histogram::new(exponential_buckets(0.01, 2.0, 15))
}

fn score_histogram() -> Histogram {
    // 0, 10, ..., 100 percent.
    Histogram::new(linear_buckets(0.0, 10.0, 11))
}

impl AssessmentMetrics {
    pub fn register(registry: &MetricsRegistry) -> Self {
        registry.shared(|registry| {
            let metrics = Self {
                ended: Family::default(),
                duration: Family::new_with_constructor(duration_histogram as fn() -> Histogram),
                scores: Family::new_with_constructor(score_histogram as fn() -> Histogram),
            };
            registry.register(
                "assessments",
                "Assessments ended, by trigger (sync, manual) and outcome (succeeded, failed)",
                metrics.ended.clone(),
            );
            registry.register(
                "assessment_duration_seconds",
                "Time from an assessment's start to its end: reading the inventory, judging and storing",
                metrics.duration.clone(),
            );
            registry.register(
                "assessment_score_percent",
                "Scores of succeeded assessments per framework (0 to 100): the fleet's distribution",
                metrics.scores.clone(),
            );
            metrics
        })
    }

    pub(crate) fn ended(&self, trigger: &'static str, succeeded: bool, took: Duration) {
        let labels = EndLabels {
            trigger,
            outcome: if succeeded { "succeeded" } else { "failed" },
        };
        self.ended.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(took.as_secs_f64());
    }

    pub(crate) fn score(&self, framework: &str, score: f64) {
        self.scores
            .get_or_create(&FrameworkLabels {
                framework: framework.to_owned(),
            })
            .observe(score);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assessments_and_scores_are_exposed_without_a_tenant_label() {
        let registry = MetricsRegistry::new();
        let metrics = AssessmentMetrics::register(&registry);
        metrics.ended("sync", true, Duration::from_millis(120));
        metrics.ended("manual", false, Duration::from_secs(2));
        metrics.score("cis-m365-v7", 42.0);
        // Registering again shares the same series.
        AssessmentMetrics::register(&registry).score("cis-m365-v7", 95.0);
        let text = registry.encode().expect("encodes");
        assert!(
            text.contains(r#"posture_assessments_total{trigger="sync",outcome="succeeded"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"posture_assessments_total{trigger="manual",outcome="failed"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"posture_assessment_score_percent_count{framework="cis-m365-v7"} 2"#),
            "{text}"
        );
        assert!(
            text.contains("posture_assessment_duration_seconds_bucket"),
            "{text}"
        );
        assert!(!text.contains("tenant"), "{text}");
    }
}
