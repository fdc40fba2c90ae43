//! Online backup of the SQLite store: `VACUUM INTO` copies one read transaction's snapshot,
//! so the copy is consistent (every acknowledged sync with its read model) while the server
//! keeps running and writing.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "only SQLite databases (sqlite://path) are backed up by Quilt; use pg_dump for PostgreSQL"
    )]
    NotSqlite,
    #[error("{0} already exists; choose a new file name (a backup never overwrites)")]
    Exists(PathBuf),
    #[error("the backup path must be valid UTF-8")]
    PathNotUtf8,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("writing the backup: {0}")]
    Io(#[from] std::io::Error),
    #[error("the backup failed its integrity check: {0}")]
    Check(String),
}

/// What a finished backup holds.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Writes a consistent copy of the SQLite database at `database_url` to the new file `to`,
/// flushes it to disk and checks it opens as a sound database.
pub async fn sqlite(database_url: &str, to: &Path) -> Result<Backup, BackupError> {
    if !database_url.starts_with("sqlite:") || database_url.contains(":memory:") {
        return Err(BackupError::NotSqlite);
    }
    let target = to.to_str().ok_or(BackupError::PathNotUtf8)?;
    // No migrations and no journal-mode change: the running server owns the schema.
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let mut conn = options.connect().await?;
    // Claim the name atomically (never overwriting) and readable by its owner only: the copy
    // holds every record. VACUUM INTO accepts an empty file, and no other.
    create_empty(to)?;
    let vacuum = sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    if let Err(e) = vacuum {
        let _ = std::fs::remove_file(to);
        return Err(e.into());
    }

    // VACUUM INTO does not sync the new file; a backup must survive a power cut.
    std::fs::File::open(to)?.sync_all()?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directories cannot be opened for syncing on every platform; the file itself is synced.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }

    let mut copy = SqliteConnectOptions::new()
        .filename(to)
        .read_only(true)
        .connect()
        .await?;
    let check: String = sqlx::query("PRAGMA quick_check")
        .fetch_one(&mut copy)
        .await?
        .try_get(0)?;
    copy.close().await?;
    if check != "ok" {
        return Err(BackupError::Check(check));
    }
    Ok(Backup {
        path: to.to_path_buf(),
        bytes: std::fs::metadata(to)?.len(),
    })
}

/// Creates `to` empty, failing if anything is there already; owner-only on Unix.
fn create_empty(to: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(to) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::Exists(to.to_path_buf()))
        }
        Err(e) => Err(e.into()),
    }
}
