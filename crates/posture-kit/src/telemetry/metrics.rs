//! The process's Prometheus registry (prometheus-client). Services register their counters and
//! histograms at start; the health server encodes it for `/metrics`.

use std::sync::{Arc, RwLock};

use prometheus_client::registry::{Metric, Registry};

/// Cheap to clone; every clone registers into the same registry.
#[derive(Debug, Clone)]
pub struct MetricsRegistry {
    inner: Arc<RwLock<Registry>>,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self {
            inner: Arc::new(RwLock::new(Registry::with_prefix("posture"))),
        }
    }
}

impl MetricsRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `metric` as `posture_<name>`; keep a clone of the metric to update it.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut registry = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        registry.register(name, help, metric);
    }

    /// OpenMetrics text exposition of every registered metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let registry = self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
}
