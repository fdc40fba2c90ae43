//! Bounds on what clients can make the server remember or wait for: events per key in a
//! sliding window for a bounded number of keys (failed sign-ins per username, itemised audit
//! rows per user), and the deadline for a request body to arrive.
//!
//! In memory, per process: several processes each limit on their own.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How many usernames the sign-in limiter tracks at once.
pub const MAX_TRACKED_USERNAMES: usize = 10_000;
/// How many users the audit limiter tracks at once.
pub const MAX_TRACKED_USERS: usize = 10_000;

/// Up to `limit` events per key within `window_ms`, for at most `max_keys` keys.
///
/// When a new key finds the map full, entries whose events have all left the window go first
/// (swept at most once per window, so a spray costs no more than the map's size per window),
/// then the key with the fewest events, longest unseen: a spray of fresh keys, each with one
/// event, cannot push out a key that has reached its limit.
pub struct Window {
    window_ms: i64,
    limit: usize,
    max_keys: usize,
    keys: HashMap<String, Tracked>,
    /// Eviction order: (events, last event, sequence) → key.
    order: BTreeMap<Rank, String>,
    next_seq: u64,
    swept_at: i64,
}

type Rank = (usize, i64, u64);

struct Tracked {
    /// Times of the newest events, oldest first; never more than `limit`.
    times: VecDeque<i64>,
    rank: Rank,
}

impl Window {
    pub fn new(window_ms: i64, limit: usize, max_keys: usize) -> Self {
        Window {
            window_ms,
            limit,
            max_keys: max_keys.max(1),
            keys: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            swept_at: i64::MIN,
        }
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Events for `key` within the window ending `now`. Looking does not start tracking a key.
    pub fn count(&mut self, key: &str, now: i64) -> usize {
        let Some(tracked) = self.keys.get_mut(key) else {
            return 0;
        };
        let before = tracked.times.len();
        tracked.times.retain(|t| now - *t < self.window_ms);
        let after = tracked.times.len();
        if after == 0 {
            self.forget(key);
        } else if after != before {
            self.rerank(key);
        }
        after
    }

    /// Whether `key` has had `limit` events within the window ending `now`.
    pub fn is_full(&mut self, key: &str, now: i64) -> bool {
        self.count(key, now) >= self.limit
    }

    /// Records one event for `key` at `now`.
    pub fn record(&mut self, key: &str, now: i64) {
        self.record_n(key, now, 1);
    }

    /// Records up to `wanted` events for `key` at `now`, as many as its limit still allows;
    /// returns how many were recorded.
    pub fn take(&mut self, key: &str, now: i64, wanted: usize) -> usize {
        let granted = wanted.min(self.limit.saturating_sub(self.count(key, now)));
        self.record_n(key, now, granted);
        granted
    }

    pub fn forget(&mut self, key: &str) {
        if let Some(tracked) = self.keys.remove(key) {
            self.order.remove(&tracked.rank);
        }
    }

    fn record_n(&mut self, key: &str, now: i64, n: usize) {
        if n == 0 {
            return;
        }
        if now.saturating_sub(self.swept_at) >= self.window_ms {
            self.sweep(now);
        }
        if !self.keys.contains_key(key) {
            if self.keys.len() >= self.max_keys {
                if let Some((_, evicted)) = self.order.pop_first() {
                    self.keys.remove(&evicted);
                }
            }
            self.keys.insert(
                key.to_owned(),
                Tracked {
                    times: VecDeque::new(),
                    rank: (0, 0, 0),
                },
            );
        }
        if let Some(tracked) = self.keys.get_mut(key) {
            for _ in 0..n.min(self.limit.max(1)) {
                if tracked.times.len() >= self.limit.max(1) {
                    tracked.times.pop_front();
                }
                tracked.times.push_back(now);
            }
        }
        self.rerank(key);
    }

    fn rerank(&mut self, key: &str) {
        let Some(tracked) = self.keys.get_mut(key) else {
            return;
        };
        self.order.remove(&tracked.rank);
        self.next_seq += 1;
        let last = tracked.times.back().copied().unwrap_or(i64::MIN);
        tracked.rank = (tracked.times.len(), last, self.next_seq);
        self.order.insert(tracked.rank, key.to_owned());
    }

    /// Forgets every key whose events have all left the window.
    fn sweep(&mut self, now: i64) {
        self.swept_at = now;
        let window = self.window_ms;
        let stale: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, t)| t.times.back().is_none_or(|last| now - *last >= window))
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            self.forget(&key);
        }
    }
}

/// One [`Window`] for every request of this process.
#[derive(Clone)]
struct Shared(Arc<Mutex<Window>>);

impl Shared {
    fn new(window_ms: i64, limit: usize, max_keys: usize) -> Self {
        Shared(Arc::new(Mutex::new(Window::new(
            window_ms, limit, max_keys,
        ))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // A poisoned lock only means another thread panicked while holding it; the counts
        // are still counts.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counts failed sign-ins per username so passwords cannot be guessed at speed.
#[derive(Clone)]
pub struct LoginLimiter {
    failures: Shared,
}

impl LoginLimiter {
    /// At most `max_failures` failed sign-ins per username within `window_ms`.
    pub fn new(window_ms: i64, max_failures: usize) -> Self {
        let failures = Shared::new(window_ms, max_failures, MAX_TRACKED_USERNAMES);
        LoginLimiter { failures }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Whether this username has had its failures within the window ending `now`.
    pub fn is_blocked(&self, username: &str, now: i64) -> bool {
        self.failures.lock().is_full(&Self::key(username), now)
    }

    pub fn failed(&self, username: &str, now: i64) {
        self.failures.lock().record(&Self::key(username), now);
    }

    pub fn succeeded(&self, username: &str) {
        self.failures.lock().forget(&Self::key(username));
    }

    /// Usernames tracked now.
    pub fn tracked(&self) -> usize {
        self.failures.lock().len()
    }
}

/// How many refusals each user's requests may itemise in the audit trail per window; the rest
/// of a request's refusals are counted in one summary row, so a request naming hundreds of
/// children it may not see writes a bounded number of rows and loses no count.
#[derive(Clone)]
pub struct ItemisedRefusals {
    rows: Shared,
}

impl ItemisedRefusals {
    pub fn new(window_ms: i64, per_window: usize) -> Self {
        let rows = Shared::new(window_ms, per_window, MAX_TRACKED_USERS);
        ItemisedRefusals { rows }
    }

    /// Of `wanted` refusals for `user` at `now`, how many get a row of their own.
    pub fn take(&self, user: &str, now: i64, wanted: usize) -> usize {
        self.rows.lock().take(user, now, wanted)
    }

    /// Users tracked now.
    pub fn tracked(&self) -> usize {
        self.rows.lock().len()
    }
}

/// The body arrived too slowly (see [`with_body_deadline`]).
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct BodyTooSlow;

/// Gives a request's body a deadline: `timeout` from now (the head has been read), plus one
/// second for every `min_bytes_per_sec` bytes received. A large body on a slow but honest link
/// finishes; one dribbled in a byte at a time cannot hold the connection open.
pub fn with_body_deadline(req: Request, timeout: Duration, min_bytes_per_sec: u64) -> Request {
    req.map(|inner| {
        let start = Instant::now();
        Body::new(DeadlineBody {
            inner,
            start,
            timeout,
            min_bytes_per_sec,
            received: 0,
            sleep: Box::pin(tokio::time::sleep_until(start + timeout)),
        })
    })
}

struct DeadlineBody {
    inner: Body,
    start: Instant,
    timeout: Duration,
    min_bytes_per_sec: u64,
    received: u64,
    sleep: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    fn deadline(&self) -> Instant {
        let earned = self
            .received
            .checked_div(self.min_bytes_per_sec)
            .map_or(Duration::ZERO, Duration::from_secs);
        self.start + self.timeout + earned
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                    let deadline = this.deadline();
                    this.sleep.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow)))),
                Poll::Pending => Poll::Pending,
            },
            done => done,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    /// An attacker guesses at one account while spraying one wrong password each at 100,000
    /// other names, ten times what the limiter tracks, hoping to push the account's failures
    /// out. Once it has two failures it outranks every sprayed name, so it stays tracked.
    #[test]
    fn a_username_spray_stays_bounded_and_the_attacked_username_stays_blocked() {
        let limiter = LoginLimiter::new(15 * MINUTE, 5);
        let mut now = 1_000_000;
        for n in 0..100_000 {
            now += 1;
            let sprayed = format!("spray-{n}");
            assert!(!limiter.is_blocked(&sprayed, now));
            limiter.failed(&sprayed, now);
            if (n < 2 || n % 20_000 == 0) && !limiter.is_blocked("sam.social", now) {
                limiter.failed("sam.social", now);
            }
            assert!(limiter.tracked() <= MAX_TRACKED_USERNAMES);
        }
        assert_eq!(limiter.tracked(), MAX_TRACKED_USERNAMES);
        assert!(limiter.is_blocked("Sam.Social", now), "still blocked");
        // Looking a name up does not start tracking it.
        limiter.is_blocked("never-failed", now);
        assert_eq!(limiter.tracked(), MAX_TRACKED_USERNAMES);
        // After the window everything is forgotten, at the next failure at the latest.
        now += 15 * MINUTE;
        assert!(!limiter.is_blocked("sam.social", now));
        limiter.failed("after", now);
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn a_window_counts_events_per_key_and_forgets_them() {
        let mut w = Window::new(MINUTE, 3, 2);
        assert_eq!(w.count("a", 0), 0);
        assert!(w.is_empty(), "counting does not track");
        assert_eq!(w.take("a", 0, 2), 2);
        assert_eq!(w.take("a", 10, 5), 1, "only up to the limit");
        assert_eq!(w.take("a", 20, 1), 0);
        assert!(w.is_full("a", 20));
        assert_eq!(w.count("a", MINUTE + 5), 1, "the first two left the window");
        // Full map: the key with fewest events goes, not the one at its limit.
        w.record("b", MINUTE + 5);
        w.take("a", MINUTE + 5, 2);
        w.record("c", MINUTE + 6);
        assert_eq!(w.len(), 2);
        assert!(w.is_full("a", MINUTE + 6));
        assert_eq!(w.count("b", MINUTE + 6), 0, "b was evicted");
        assert_eq!(w.count("c", MINUTE + 6), 1);
        w.forget("a");
        assert_eq!(w.count("a", MINUTE + 6), 0);
    }

    #[test]
    fn itemised_refusals_are_bounded_per_user_and_window() {
        let limit = ItemisedRefusals::new(MINUTE, 20);
        assert_eq!(limit.take("user-a", 0, 500), 20);
        assert_eq!(limit.take("user-a", 1, 1), 0);
        assert_eq!(limit.take("user-b", 1, 1), 1, "per user");
        assert_eq!(limit.take("user-a", MINUTE, 3), 3, "a new window");
        for n in 0..50_000 {
            limit.take(&format!("user-{n}"), 2 * MINUTE, 1);
        }
        assert!(limit.tracked() <= MAX_TRACKED_USERS);
    }
}
