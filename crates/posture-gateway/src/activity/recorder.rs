//! Recording mutating calls as they pass the gate. The gate admits the caller, hands the handler
//! a [`CallNote`] in which it writes the tenants the request names, and after the response
//! appends one [`CallRecord`] with the status the call ended with. A record that cannot be written
//! never fails the call: it is logged and counted (`failed_writes`, and the OpenTelemetry counter
//! `posture.gateway.activity.record_failures`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http::HeaderMap;
use opentelemetry::metrics::Counter;
use posture_kit::ids::TenantId;

use super::store::{ActivityStore, CallRecord};

/// Where a handler notes the tenants a call names, for its activity record. Tenants are noted as
/// soon as they are read from the request, before the scope check, so a call refused for a tenant
/// outside the key's scope is recorded against that tenant.
#[derive(Debug, Clone, Default)]
pub struct CallNote(Arc<Mutex<BTreeSet<TenantId>>>);

impl CallNote {
    pub fn add(&self, tenants: impl IntoIterator<Item = TenantId>) {
        let mut noted = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        noted.extend(tenants);
    }

    pub fn tenants(&self) -> Vec<TenantId> {
        let noted = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        noted.iter().copied().collect()
    }

    /// Notes `tenants` in the note a request carries, if it carries one (only recorded calls do).
    pub fn add_to<T>(request: &tonic::Request<T>, tenants: impl IntoIterator<Item = TenantId>) {
        if let Some(note) = request.extensions().get::<CallNote>() {
            note.add(tenants);
        }
    }
}

/// Appends call records; cheap to clone.
#[derive(Debug, Clone)]
pub struct ActivityRecorder {
    store: ActivityStore,
    failed: Arc<AtomicU64>,
    failures: Counter<u64>,
}

impl ActivityRecorder {
    pub fn new(store: ActivityStore) -> Self {
        let failures = opentelemetry::global::meter("posture-gateway")
            .u64_counter("posture.gateway.activity.record_failures")
            .with_description("Mutating calls whose activity record could not be written")
            .build();
        Self {
            store,
            failed: Arc::new(AtomicU64::new(0)),
            failures,
        }
    }

    /// Appends `call`; a failure is logged and counted, never returned.
    pub async fn record(&self, call: CallRecord) {
        if let Err(error) = self.store.append(&call).await {
            self.failed.fetch_add(1, Ordering::Relaxed);
            self.failures.add(1, &[]);
            tracing::error!(
                %error,
                rpc = %call.rpc,
                api_key_id = %call.api_key_id,
                status_code = call.status_code,
                trace_id = %call.trace_id,
                "the activity record of a call could not be written"
            );
        }
    }

    /// How many records could not be written since the gateway started.
    pub fn failed_writes(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// The W3C trace id of an incoming call: the current span's when telemetry is on (it is parented
/// to the caller's `traceparent`), otherwise the caller's `traceparent`; empty when neither has one.
pub fn trace_id(headers: &HeaderMap) -> String {
    use opentelemetry::trace::{TraceContextExt as _, TraceId};
    use posture_kit::trace_context::{HeaderReader, extract_from};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    let from_span = tracing::Span::current()
        .context()
        .span()
        .span_context()
        .trace_id();
    let id = if from_span == TraceId::INVALID {
        extract_from(&HeaderReader(headers))
            .span()
            .span_context()
            .trace_id()
    } else {
        from_span
    };
    if id == TraceId::INVALID {
        String::new()
    } else {
        id.to_string()
    }
}
