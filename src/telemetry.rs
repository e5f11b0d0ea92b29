//! Logging: human-readable text or JSON lines, on standard error.

use tracing_subscriber::{EnvFilter, fmt};

use crate::settings::LogFormat;

/// Installs the global subscriber; a second call (tests) does nothing.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
