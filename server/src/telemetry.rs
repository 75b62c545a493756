//! Logging and tracing: one `tracing` subscriber, initialised once — log lines pretty for people
//! or JSON for machines, and every span an OpenTelemetry span, exported over OTLP/HTTP when
//! `MEMORY_OTLP_ENDPOINT` is set. Trace ids exist either way, so each request's log lines carry
//! one (continued from the caller's `traceparent`, or new).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

use crate::config::LogFormat;

/// Keeps the tracer provider; [`Telemetry::shutdown`] sends the spans still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the exporter (blocking: call it off the async workers, at exit).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                eprintln!("memory-mesh: flushing traces failed: {e}");
            }
        }
    }
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    /// For a process whose stdout is a protocol (`memory-mesh mcp`).
    Stderr,
}

/// Installs the global subscriber, logging to stdout. `RUST_LOG` overrides the default filter.
/// Calling it twice (as tests that spawn several apps do) keeps the first subscriber.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Telemetry {
    init_to(format, otlp_endpoint, Output::Stdout)
}

/// [`init`], logging to `output`.
pub fn init_to(format: LogFormat, otlp_endpoint: Option<&str>, output: Output) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=warn"));
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let mut builder = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name("memory-mesh")
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build(),
    );
    let mut exporting = false;
    if let Some(endpoint) = otlp_endpoint {
        // reqwest is built without a default TLS provider (see Cargo.toml); install ring's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        match exporter(endpoint) {
            Ok(exporter) => {
                builder = builder.with_batch_exporter(exporter);
                exporting = true;
            }
            Err(e) => eprintln!("memory-mesh: OTLP export disabled: {e}"),
        }
    }
    let provider = builder.build();
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("memory-mesh"))
        .with_error_records_to_exceptions(true);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let writer = move || -> Box<dyn std::io::Write> {
        match output {
            Output::Stdout => Box::new(std::io::stdout()),
            Output::Stderr => Box::new(std::io::stderr()),
        }
    };
    let installed = match format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_writer(writer))
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().compact().with_writer(writer))
            .try_init(),
    };
    Telemetry {
        provider: (installed.is_ok() && exporting).then_some(provider),
    }
}

/// The OTLP/HTTP (protobuf) span exporter for `endpoint`, the collector's base URL
/// (`http://collector:4318`; `/v1/traces` is added unless it is there). Headers for it (an
/// API key) come from the standard `OTEL_EXPORTER_OTLP_HEADERS`.
fn exporter(endpoint: &str) -> anyhow::Result<opentelemetry_otlp::SpanExporter> {
    use opentelemetry_otlp::WithExportConfig;
    let base = endpoint.trim_end_matches('/');
    let url = if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    };
    Ok(opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(url)
        .build()?)
}

/// Continues the caller's W3C trace (`traceparent`, `tracestate`) in `span`, and returns the
/// span's trace id (hex) for its log lines.
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    // Fails only where there is no OpenTelemetry layer (a subscriber installed elsewhere).
    let _ = span.set_parent(parent);
    let context = span.context();
    let id = context.span().span_context().trace_id();
    (id != opentelemetry::trace::TraceId::INVALID).then(|| id.to_string())
}

/// Runs blocking or CPU-heavy work (argon2, model inference) on the blocking pool, keeping the
/// caller's span so its logs stay attached to the request.
pub fn spawn_blocking_with_tracing<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}
