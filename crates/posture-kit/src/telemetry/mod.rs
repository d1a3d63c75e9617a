//! Logs, traces and metrics for every role: `tracing` to stdout (pretty or JSON), OpenTelemetry
//! traces and metrics over OTLP/gRPC when an endpoint is configured, and a Prometheus registry
//! served with the health probes (see [`health`]).

pub mod health;
mod metrics;
mod process;

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

pub use metrics::{MetricsRegistry, POSTURE_PREFIX};
pub use process::BuildInfo;

use crate::config::{LogFormat, TelemetryConfig};

/// How long one OTLP export may take; a collector that is down costs at most this per batch.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid telemetry.log_level: {0}")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    #[error("cannot build the OTLP exporter for {endpoint}: {reason}")]
    Exporter { endpoint: String, reason: String },
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Keeps the OpenTelemetry providers alive; [`TelemetryGuard::shutdown`] flushes what is buffered.
#[derive(Debug)]
pub struct TelemetryGuard {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Flushes and stops the exporters. Errors (collector down) are reported, never fatal.
    pub fn shutdown(self) {
        if let Err(error) = self.tracer_provider.shutdown_with_timeout(EXPORT_TIMEOUT) {
            eprintln!("posture: flushing traces failed: {error}");
        }
        if let Some(meters) = self.meter_provider
            && let Err(error) = meters.shutdown_with_timeout(EXPORT_TIMEOUT)
        {
            eprintln!("posture: flushing metrics failed: {error}");
        }
    }
}

/// Where and as whom to export, from the config file and the standard OpenTelemetry variables.
/// The variables win, so the same image works under an operator that injects them:
/// `OTEL_EXPORTER_OTLP_ENDPOINT` over `telemetry.otlp_endpoint`; for the service name
/// `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, then
/// `telemetry.service_name`. Other `OTEL_RESOURCE_ATTRIBUTES` pairs are added to the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    pub endpoint: Option<String>,
    pub service_name: String,
}

impl OtlpSettings {
    /// `env` returns a variable's non-empty value.
    pub fn resolve(config: &TelemetryConfig, env: impl Fn(&str) -> Option<String>) -> Self {
        let endpoint = env("OTEL_EXPORTER_OTLP_ENDPOINT").or_else(|| config.otlp_endpoint.clone());
        let from_attributes = env("OTEL_RESOURCE_ATTRIBUTES").and_then(|pairs| {
            pairs.split(',').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                (key.trim() == "service.name" && !value.trim().is_empty()).then(|| value.trim().to_owned())
            })
        });
        let service_name = env("OTEL_SERVICE_NAME")
            .or(from_attributes)
            .unwrap_or_else(|| config.service_name.clone());
        Self {
            endpoint,
            service_name,
        }
    }
}

/// Installs the global subscriber, propagator, tracer and meter providers. Call once, from
/// inside the Tokio runtime (the OTLP exporter's channel lives there).
///
/// Spans always get OpenTelemetry ids, even without an endpoint, so trace context still flows
/// between services and into logs; only the export is skipped.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    let filter = EnvFilter::try_new(&config.log_level)?;
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
    let otlp = OtlpSettings::resolve(config, env);
    // The default detectors read OTEL_RESOURCE_ATTRIBUTES; the service name is set last so the
    // precedence above holds whatever order the detectors merge in.
    let resource = Resource::builder()
        .with_service_name(otlp.service_name.clone())
        .build();

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut meter_provider = None;
    if let Some(endpoint) = &otlp.endpoint {
        let exporter_error = |error: opentelemetry_otlp::ExporterBuildError| TelemetryError::Exporter {
            endpoint: endpoint.clone(),
            reason: error.to_string(),
        };
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(exporter_error)?;
        tracer_builder = tracer_builder.with_batch_exporter(spans);
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(exporter_error)?;
        let meters = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_periodic_exporter(metrics)
            .build();
        meter_provider = Some(meters);
    }
    let tracer_provider = tracer_builder.build();
    let tracer = tracer_provider.tracer("posture");

    let fmt_layer = match config.log_format {
        // Colour codes only where a person reads a terminal; in a file or a pipe they are noise.
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .boxed(),
    };
    // The log level filters logs only: spans at INFO and above always reach OpenTelemetry, so a
    // quiet log level does not break trace context between services.
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(LevelFilter::INFO);
    let installed = tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter))
        .with(otel_layer)
        .try_init();
    if installed.is_err() {
        // Leave the first installation's globals alone; these providers were never used.
        let _ = tracer_provider.shutdown();
        if let Some(meters) = meter_provider {
            let _ = meters.shutdown();
        }
        return Err(TelemetryError::AlreadyInstalled);
    }
    opentelemetry::global::set_tracer_provider(tracer_provider.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(meters) = &meter_provider {
        opentelemetry::global::set_meter_provider(meters.clone());
    }

    Ok(TelemetryGuard {
        tracer_provider,
        meter_provider,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(config: &TelemetryConfig, vars: &[(&str, &str)]) -> OtlpSettings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        OtlpSettings::resolve(config, |name| vars.get(name).cloned())
    }

    #[test]
    fn standard_otel_variables_win_over_the_config_file() {
        let config = TelemetryConfig {
            otlp_endpoint: Some("http://from-config:4317".to_owned()),
            service_name: "posture-config".to_owned(),
            ..TelemetryConfig::default()
        };
        assert_eq!(
            resolve(&config, &[]),
            OtlpSettings {
                endpoint: Some("http://from-config:4317".to_owned()),
                service_name: "posture-config".to_owned(),
            }
        );
        let attributes = (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=prod, service.name=posture-attr",
        );
        assert_eq!(resolve(&config, &[attributes]).service_name, "posture-attr");
        let both = resolve(
            &config,
            &[
                attributes,
                ("OTEL_SERVICE_NAME", "posture-sync"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ],
        );
        assert_eq!(both.service_name, "posture-sync");
        assert_eq!(both.endpoint.as_deref(), Some("http://collector:4317"));
    }

    #[test]
    fn an_endpoint_from_the_environment_alone_turns_export_on() {
        let config = TelemetryConfig::default();
        assert_eq!(resolve(&config, &[]).endpoint, None);
        assert_eq!(
            resolve(
                &config,
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]
            )
            .endpoint,
            Some("http://collector:4317".to_owned())
        );
    }
}
