//! Log output: human-readable or one JSON object per line, filtered by
//! `RUST_LOG` (default `info`). Request spans carry the request id. Secrets
//! never reach a log line: they live in `SecretString`s whose `Debug` is
//! redacted, cookies and Authorization headers are marked sensitive, and
//! request spans record the path without its query string.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
