//! Gauges of the connected fleet, read from the store on an interval: connections per health
//! state, connections whose credential expires within 7 and 30 days, and each tenant's days to
//! expiry. The per-tenant gauge is one slowly changing series per tenant (thousands at most),
//! which is what lets an alert name the tenant whose secret is about to expire; every other
//! Posture series stays without a tenant label. Every replica reports the same values, so alerts
//! take `max` across replicas.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_kit::clock::SharedClock;
use posture_kit::telemetry::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tokio_util::sync::CancellationToken;

use crate::domain::ConnectionState;
use crate::store::{CredentialStore, ListFilter, StoreError};

/// Connections read per query while refreshing.
const PAGE: i64 = 500;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WithinLabels {
    within_days: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabels {
    tenant_id: String,
}

type DaysGauge = Gauge<f64, AtomicU64>;

/// Cheap to clone; every clone sets the same series.
#[derive(Debug, Clone)]
pub struct FleetMetrics {
    connections: Family<StateLabels, Gauge>,
    expiring: Family<WithinLabels, Gauge>,
    expiry_days: Family<TenantLabels, DaysGauge>,
}

impl FleetMetrics {
    pub fn register(registry: &MetricsRegistry) -> Self {
        registry.shared(|registry| {
            let metrics = Self {
                connections: Family::default(),
                expiring: Family::default(),
                expiry_days: Family::default(),
            };
            registry.register(
                "credentials_connections",
                "Tenant connections by health state",
                metrics.connections.clone(),
            );
            registry.register(
                "credentials_expiring_connections",
                "Tenant connections whose credential expires within 7 or 30 days (or has expired)",
                metrics.expiring.clone(),
            );
            registry.register(
                "credentials_secret_expiry_days",
                "Days until the tenant's credential expires (negative once expired)",
                metrics.expiry_days.clone(),
            );
            metrics
        })
    }

    /// Reads every connection and replaces the gauges' values with what it found (a deleted
    /// tenant's series goes away).
    pub async fn refresh(&self, store: &CredentialStore, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut states = vec![0_i64; ConnectionState::ALL.len()];
        let (mut within_7, mut within_30) = (0_i64, 0_i64);
        let mut days = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_connections(&ListFilter {
                    state: None,
                    expiring_before: None,
                    after_tenant: after,
                    tag: None,
                    limit: PAGE,
                })
                .await?;
            for connection in &page {
                if let Some(i) = ConnectionState::ALL
                    .iter()
                    .position(|s| *s == connection.health.state)
                {
                    states[i] += 1;
                }
                let left = (connection.secret.expires_at - now).num_seconds() as f64 / 86_400.0;
                within_7 += i64::from(left < 7.0);
                within_30 += i64::from(left < 30.0);
                days.push((connection.tenant_id.to_string(), left));
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = Some(last.tenant_id),
                _ => break,
            }
        }
        for (state, count) in ConnectionState::ALL.iter().zip(states.iter().copied()) {
            self.connections
                .get_or_create(&StateLabels { state: state.name() })
                .set(count);
        }
        self.expiring
            .get_or_create(&WithinLabels { within_days: "7" })
            .set(within_7);
        self.expiring
            .get_or_create(&WithinLabels { within_days: "30" })
            .set(within_30);
        self.expiry_days.clear();
        for (tenant_id, left) in days {
            self.expiry_days
                .get_or_create(&TenantLabels { tenant_id })
                .set(left);
        }
        Ok(())
    }
}

/// Refreshes `metrics` now and then every `interval` until `shutdown`. A failed read keeps the
/// previous values and is logged; the next round tries again.
pub(crate) async fn run_fleet_metrics(
    metrics: FleetMetrics,
    store: CredentialStore,
    clock: SharedClock,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(error) = metrics.refresh(&store, clock.now()).await {
            tracing::warn!(%error, "refreshing the fleet's connection metrics failed");
        }
    }
}
