//! The process's Prometheus registry (prometheus-client). Services register their counters and
//! histograms at start; the health server encodes it for `/metrics`. Posture's own metrics are
//! named `posture_*`; the gRPC and process metrics keep the names the ecosystem's dashboards
//! query (go-grpc-prometheus, the Prometheus client libraries' process collector).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::registry::{Metric, Registry};

/// Prefix of every metric that is Posture's own.
pub const POSTURE_PREFIX: &str = "posture";

/// Cheap to clone; every clone registers into the same registry.
#[derive(Debug, Clone, Default)]
pub struct MetricsRegistry {
    inner: Arc<RwLock<Registry>>,
    /// Metric sets registered once per registry and shared by everything that records them (two
    /// gRPC servers in one process must not register `grpc_server_handled` twice).
    shared: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl MetricsRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with the process metrics and `posture_build_info`, what every Posture process
    /// serves on `/metrics`.
    pub fn for_process(build: &super::process::BuildInfo) -> Self {
        let registry = Self::new();
        super::process::register(&registry, build);
        registry
    }

    /// Registers `metric` as `posture_<name>` (counters get `_total` appended when encoded);
    /// keep a clone of the metric to update it.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.register_unprefixed(&format!("{POSTURE_PREFIX}_{name}"), help, metric);
    }

    /// Registers `metric` under exactly `name`: for names other tools already know
    /// (`grpc_server_handled_total`, `process_cpu_seconds_total`).
    pub fn register_unprefixed(&self, name: &str, help: &str, metric: impl Metric) {
        self.write().register(name, help, metric);
    }

    /// The `T` registered in this registry, registering it with `register` the first time.
    pub fn shared<T>(&self, register: impl FnOnce(&Self) -> T) -> T
    where
        T: Any + Clone + Send + Sync,
    {
        let mut shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = shared
            .get(&TypeId::of::<T>())
            .and_then(|any| any.downcast_ref::<T>())
        {
            return existing.clone();
        }
        let made = register(self);
        shared.insert(TypeId::of::<T>(), Box::new(made.clone()));
        made
    }

    /// Direct access, for a library that registers prometheus-client metrics itself without
    /// depending on this crate (names are then exactly as it gives them).
    pub fn with_registry(&self, register: impl FnOnce(&mut Registry)) {
        register(&mut self.write());
    }

    /// Registers a collector that reads its values at every scrape.
    pub fn register_collector(&self, collector: impl Collector) {
        self.write().register_collector(Box::new(collector));
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// OpenMetrics text exposition of every registered metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let registry = self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
}
