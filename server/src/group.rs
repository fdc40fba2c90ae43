//! Group commit: requests that arrive while a write is in progress are written together in
//! the next transaction, so many concurrent syncs cost a few durable writes (each an fsync),
//! not one each. One writer task per queue per process; a request's answer comes back once
//! the transaction holding it has committed (or failed).

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// The most requests one transaction takes; the rest wait for the next.
const MAX_BATCH: usize = 256;

/// A queue of `Req`s written in batches by `write`, which answers each request in order.
pub struct GroupCommit<Req, Resp> {
    queue: mpsc::UnboundedSender<(Req, oneshot::Sender<Resp>)>,
}

impl<Req, Resp> Clone for GroupCommit<Req, Resp> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> GroupCommit<Req, Resp> {
    /// Starts the writer task. `write` gets every request waiting when it is free and returns
    /// one answer per request, in the same order.
    pub fn start<F, Fut>(write: F) -> Self
    where
        F: Fn(Vec<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static,
    {
        let (queue, mut waiting) = mpsc::unbounded_channel::<(Req, oneshot::Sender<Resp>)>();
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (requests, replies): (Vec<Req>, Vec<oneshot::Sender<Resp>>) =
                    batch.into_iter().unzip();
                // Its own task, so a panic in one write fails that batch (its requesters get
                // `None`), not the queue.
                let answers = tokio::spawn(write(requests)).await.unwrap_or_default();
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // The requester may have gone (client disconnected); the write stands.
                    let _ = reply.send(answer);
                }
            }
        });
        GroupCommit { queue }
    }

    /// Queues `req` and waits for its answer; `None` if the writer has stopped.
    pub async fn submit(&self, req: Req) -> Option<Resp> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((req, reply)).ok()?;
        answer.await.ok()
    }
}
