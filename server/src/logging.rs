//! The process's log output: human-readable text or one JSON object per line.
//!
//! Logs carry ids and counts, never record content; requests are logged by `observe` with
//! their route template only.

/// How log lines are written to standard output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, for a terminal or journald.
    #[default]
    Text,
    /// One JSON object per line with the event's fields at the top level, for log shippers.
    Json,
}

/// The default filter when `RUST_LOG` is unset: our events at info, sqlx's only when they
/// warn (its info lines are SQL statements).
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber. Call once, at start-up.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| DEFAULT_FILTER.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}
