//! `quilt-server`: parses configuration and runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use server::logging::LogFormat;
use server::metrics::MetricsToken;
use server::{demo, AppState, Config};
use shared::ChildId;

#[derive(Parser, Debug)]
#[command(
    name = "quilt-server",
    about = "Quilt: safeguarding records that work offline"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "QUILT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Database URL: `sqlite://path/to/quilt.db` (created if missing), or
    /// `postgres://user@host/db` for PostgreSQL, which several server processes can share.
    #[arg(
        long,
        env = "QUILT_DATABASE_URL",
        default_value = "sqlite://data/quilt.db",
        global = true
    )]
    database_url: String,
    /// Directory with the built client (from `cargo xtask dist`).
    #[arg(long, env = "QUILT_STATIC_DIR", default_value = "dist")]
    static_dir: PathBuf,
    /// Create the demo caseload when the database has no users.
    #[arg(long, env = "QUILT_DEMO")]
    demo: bool,
    /// How long an access token lasts, in seconds; the app renews it with its refresh token.
    #[arg(long, env = "QUILT_ACCESS_TTL_SECS", default_value_t = 15 * 60)]
    access_ttl_secs: i64,
    /// How long a refresh token lasts unused, in seconds; after that the user signs in again
    /// (their unsynced work waits on the tablet).
    #[arg(long, env = "QUILT_REFRESH_TTL_SECS", default_value_t = 14 * 24 * 60 * 60)]
    refresh_ttl_secs: i64,
    /// How long after a leaver's account is disabled their tablet may still send what it holds
    /// (it is then told to erase its records); after that it erases without sending.
    #[arg(long, env = "QUILT_LEAVER_GRACE_SECS", default_value_t = 72 * 60 * 60)]
    leaver_grace_secs: i64,
    /// Log lines as readable `text` or one `json` object per line (filter with `RUST_LOG`).
    #[arg(long, env = "QUILT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Require `Authorization: Bearer <token>` on `GET /metrics` (at least 16 characters).
    /// Without it, metrics are open to whoever can reach the listen address.
    #[arg(long, env = "QUILT_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<MetricsToken>,
    /// How many children's documents each process keeps in memory between merges; a merge of
    /// a child not kept rebuilds its document from the database.
    /// A JSON file of the partnership's thresholds and practice standards (visit cadence per
    /// plan, debrief and challenge clocks, the strategy-discussion prompt); every field may be
    /// left out for its default. See docs/OPERATIONS.md.
    #[arg(long, env = "QUILT_PRACTICE_FILE")]
    practice_file: Option<std::path::PathBuf>,
    #[arg(long, env = "QUILT_DOC_CACHE_DOCS", default_value_t = 2_000)]
    doc_cache_docs: usize,
    /// Seconds a client has to send a request's head; also how long an idle connection is
    /// kept open between requests.
    #[arg(long, env = "QUILT_HEADER_TIMEOUT_SECS", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a client has to send a request's body after its head (plus one second for
    /// every 8 KiB it has sent, so a large body on a slow link still arrives).
    #[arg(long, env = "QUILT_BODY_TIMEOUT_SECS", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Write a consistent copy of the SQLite database to a new file, while the server runs
    /// (`VACUUM INTO`). PostgreSQL is backed up with pg_dump.
    Backup {
        /// The new file; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Accounts, teams and imports, for operators (the first administrator, or someone locked
    /// out of the web pages). Passwords are read from standard input, never from a flag.
    Admin {
        #[command(subcommand)]
        command: server::admin::cli::AdminCommand,
    },
    /// Records the server cannot load, which syncs answer as unavailable until repaired.
    Records {
        #[command(subcommand)]
        command: RecordsCommand,
    },
}

#[derive(clap::Subcommand, Debug)]
enum RecordsCommand {
    /// List the quarantined records: child id, when it was found, and why.
    ListBroken,
    /// Rebuild a record change by change, set aside (into quarantined_changes) what does not
    /// apply or load, and clear its quarantine mark. Changes nothing if the record is healthy.
    Repair {
        /// The child whose record to repair.
        child_id: String,
        /// Who runs the repair, for the audit trail (default: the USER environment variable).
        #[arg(long)]
        operator: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    server::logging::init(args.log_format);
    if let Some(Command::Backup { to }) = &args.command {
        let done = server::backup::sqlite(&args.database_url, to)
            .await
            .context("backing up the database")?;
        println!(
            "backup written to {} ({} bytes)",
            done.path.display(),
            done.bytes
        );
        return Ok(());
    }
    if let Some(Command::Records { command }) = &args.command {
        return records(&args.database_url, command).await;
    }
    if let Some(Command::Admin { command }) = &args.command {
        return server::admin::cli::run(&args.database_url, command).await;
    }

    if let Some(path) = args.database_url.strip_prefix("sqlite://") {
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    let store = server::store::open_store(&args.database_url)
        .await
        .context("opening the database")?;
    let thresholds = match &args.practice_file {
        None => shared::analytics::Thresholds::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the practice file {}", path.display()))?;
            server::practice::parse(&text)
                .with_context(|| format!("the practice file {}", path.display()))?
        }
    };
    let config = Config {
        thresholds,
        static_dir: args.static_dir.is_dir().then_some(args.static_dir.clone()),
        session_ttl_ms: args.access_ttl_secs * 1000,
        refresh_ttl_ms: args.refresh_ttl_secs * 1000,
        leaver_grace_ms: args.leaver_grace_secs * 1000,
        metrics_token: args.metrics_token.clone(),
        doc_cache_docs: args.doc_cache_docs,
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout_secs),
        body_read_timeout: std::time::Duration::from_secs(args.body_timeout_secs),
        ..Config::default()
    };
    if config.static_dir.is_none() {
        tracing::warn!(dir = %args.static_dir.display(), "client not built; serving the API only");
    }
    let state = AppState::new(store, config);
    let projected = state
        .documents
        .project_unversioned()
        .await
        .context("rebuilding the read model of records stored by an older version")?;
    if projected > 0 {
        tracing::info!(
            children = projected,
            "rebuilt the read model of older records"
        );
    }
    if args.demo
        && demo::seed_if_empty(&state)
            .await
            .context("creating demo data")?
    {
        tracing::info!("created the demo caseload");
    }

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("Quilt is running at http://{addr}/");
    server::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// `quilt-server records …`, on the database the server uses (it may be running).
async fn records(database_url: &str, command: &RecordsCommand) -> anyhow::Result<()> {
    // An operator command never creates a database: a mistyped path is an error.
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        anyhow::ensure!(std::path::Path::new(path).exists(), "no database at {path}");
    }
    let store = server::store::open_store(database_url)
        .await
        .context("opening the database")?;
    match command {
        RecordsCommand::ListBroken => {
            let broken = store
                .quarantined_records()
                .await
                .context("reading quarantined records")?;
            println!("{}", server::quarantine::describe(&broken));
        }
        RecordsCommand::Repair { child_id, operator } => {
            let child: ChildId = child_id
                .parse()
                .map_err(|_| anyhow::anyhow!("{child_id:?} is not a child id"))?;
            let operator = operator
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_default();
            let state = AppState::new(store, Config::default());
            let done = state.documents.repair(&child, &operator).await?;
            println!("{done}");
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
