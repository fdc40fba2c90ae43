//! CPU-heavy work (merging and checking a child's changes, rebuilding a document) runs on
//! blocking threads, at most one per core at a time, in the order it was asked for.
//!
//! Why not on the async workers: a merge holds its worker for a millisecond or more, and
//! with hundreds of syncs at once every I/O task woken meanwhile (the group-commit writer
//! between its statements, other requests' database replies) waits behind the queue of merges.
//! The writer's transaction then takes the length of that queue for each of its statements.
//! Off the workers, the operating system shares the cores between merges and the
//! workers, which answer I/O as soon as it is ready; the semaphore keeps merges from
//! time-slicing each other so that every one of them finishes late.

use std::sync::Arc;

use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct CpuPool {
    slots: Arc<Semaphore>,
}

impl Default for CpuPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CpuPool::new(cores)
    }
}

impl CpuPool {
    pub fn new(slots: usize) -> Self {
        CpuPool {
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// Runs `work` on a blocking thread once a slot is free (first come, first served).
    /// `None` if it panicked; that it failed is logged (not the message), and the panic goes no further.
    pub async fn run<T, F>(&self, work: F) -> Option<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // The semaphore is never closed, so acquiring only waits.
        let _slot = self.slots.acquire().await.ok()?;
        match tokio::task::spawn_blocking(work).await {
            Ok(out) => Some(out),
            Err(e) => {
                // Not the panic's message: it could quote what was being processed.
                tracing::error!(panicked = e.is_panic(), "CPU work failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_in_order_of_asking_and_a_panic_is_only_that_work_failing() {
        let pool = CpuPool::new(1);
        assert_eq!(pool.run(|| 6 * 7).await, Some(42));
        let failed: Option<()> = pool.run(|| panic!("a bug in one merge")).await;
        assert_eq!(failed, None);
        // The slot was given back: later work still runs.
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..4 {
            let (pool, order) = (pool.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                pool.run(move || order.lock().expect("order").push(n)).await
            }));
            // Each asks after the one before it has queued for the slot.
            tokio::task::yield_now().await;
        }
        for w in waiting {
            assert_eq!(w.await.expect("task"), Some(()));
        }
        assert_eq!(*order.lock().expect("order"), vec![0, 1, 2, 3]);
    }
}
