//! Telling open records that a child's document changed, so a manager's page updates while it
//! is open, whichever server process stored the merge.
//!
//! - Merges in this process announce themselves directly ([`Live::changed`]).
//! - On PostgreSQL every merge also sends `NOTIFY quilt_doc_changed` with the child's id in its
//!   transaction; each process listens (`Store::watch`) and announces what it hears, so a
//!   page served by one process learns of a merge stored by another as soon as it commits.
//! - Whatever the engine, a waiting request also re-reads the child's stored version every
//!   [`POLL`], which covers several processes on one SQLite file and a listener connection
//!   that was lost and is reconnecting.
//!
//! The page asks with the version it shows (`GET /api/children/{id}/changes?since=N`, a long
//! poll: plain HTTP with the session's bearer token, nothing in the URL but the child's id and
//! a number) and reloads the record when the answer differs.

use std::time::Duration;

use shared::ChildId;
use tokio::sync::broadcast;

/// How often a waiting request re-reads the stored version when no notification arrives.
pub const POLL: Duration = Duration::from_secs(2);

/// The longest a request waits before answering "unchanged"; below common proxy timeouts.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

/// Announcements of changed children, to every request waiting in this process.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<ChildId>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl Live {
    /// `child`'s document has a new version.
    pub fn changed(&self, child: &ChildId) {
        // No receivers is normal: nobody has that record open.
        let _ = self.tx.send(child.clone());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChildId> {
        self.tx.subscribe()
    }

    /// Waits until `child`'s document is at a version other than `since` (a restored
    /// database can go back), or `wait` passes; returns the version then, as `read_version`
    /// reads it from the store.
    pub async fn wait_for_change<E, F, Fut>(
        &self,
        child: &ChildId,
        since: i64,
        wait: Duration,
        read_version: F,
    ) -> Result<i64, E>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<i64, E>>,
    {
        // Subscribe before reading, so a merge committing in between is not missed.
        let mut announcements = self.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let now = read_version().await?;
            if now != since || tokio::time::Instant::now() >= deadline {
                return Ok(now);
            }
            let next_poll = (tokio::time::Instant::now() + POLL).min(deadline);
            let heard = async {
                loop {
                    match announcements.recv().await {
                        Ok(changed) if changed == *child => return,
                        Ok(_) => continue,
                        // Missed some: re-read to be sure.
                        Err(broadcast::error::RecvError::Lagged(_)) => return,
                        Err(broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            };
            tokio::select! {
                _ = heard => {}
                _ = tokio::time::sleep_until(next_poll) => {}
            }
        }
    }
}
