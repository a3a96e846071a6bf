//! What keeps one client from holding the server: a deadline on every request body
//! ([`DeadlineBody`]), a cap on the connections one client may hold at once
//! ([`ClientConnections`]: past it, that client's oldest connection is closed, so a client
//! that floods only ever pushes out its own), a file-descriptor limit raised at start
//! ([`raise_fd_limit`]) and an accept-failure warning that cannot flood the log
//! ([`AcceptWarnings`]).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;

use crate::limiter::client_key;

/// The error a [`DeadlineBody`] ends with when its deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

/// Whether `e`, or anything it wraps, is a `T`.
pub fn caused_by<T: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err.is::<T>() {
            return true;
        }
        current = err.source();
    }
    false
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes, however
/// slowly (or not at all) the client sends it.
pub struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<B> DeadlineBody<B> {
    /// `inner`, which must be complete within `limit` from now.
    pub fn new(inner: B, limit: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Each client's open connections, oldest first: an id and the signal that closes it.
type OpenConnections = HashMap<IpAddr, VecDeque<(u64, Arc<Notify>)>>;

/// The connections each client holds, oldest first. A client is what the failure
/// limiter calls one ([`client_key`]): every loopback address together, an IPv6 /64.
pub struct ClientConnections {
    per_client: usize,
    next_id: AtomicU64,
    open: Mutex<OpenConnections>,
}

/// A registered connection; dropping it unregisters it.
pub struct Registration {
    tracker: Arc<ClientConnections>,
    client: IpAddr,
    id: u64,
    /// Notified when this connection is pushed out by a newer one of the same client.
    pub evicted: Arc<Notify>,
}

impl ClientConnections {
    /// A tracker allowing `per_client` connections to each client.
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client: per_client.max(1),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenConnections> {
        // Plain bookkeeping; a panic elsewhere cannot leave it inconsistent.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection from `peer`; when its client is at the cap, that
    /// client's oldest connection is told to close.
    pub fn register(self: &Arc<Self>, peer: IpAddr) -> Registration {
        let client = client_key(peer);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let evicted = Arc::new(Notify::new());
        let mut open = self.lock();
        let conns = open.entry(client).or_default();
        while conns.len() >= self.per_client {
            if let Some((_, oldest)) = conns.pop_front() {
                oldest.notify_one();
            }
        }
        conns.push_back((id, evicted.clone()));
        Registration {
            tracker: self.clone(),
            client,
            id,
            evicted,
        }
    }

    /// Connections `peer`'s client holds now.
    pub fn held_by(&self, peer: IpAddr) -> usize {
        self.lock().get(&client_key(peer)).map_or(0, VecDeque::len)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut open = self.tracker.lock();
        if let Some(conns) = open.get_mut(&self.client) {
            conns.retain(|(id, _)| *id != self.id);
            if conns.is_empty() {
                open.remove(&self.client);
            }
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit (desktops often start
/// programs at 1024) and returns the limit now in force, if it can be read.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            let wanted = rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            match setrlimit(Resource::Nofile, wanted) {
                Ok(()) => limit = getrlimit(Resource::Nofile),
                Err(e) => tracing::debug!("could not raise the open-file limit: {e}"),
            }
        }
        Some(limit.current.unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Logs a failed `accept` at most once per interval, with how many were not logged.
pub struct AcceptWarnings {
    interval: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl AcceptWarnings {
    /// At most one warning per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// Records a failure; `Some(n)` when it is to be logged now, `n` being the failures
    /// since the last warning that were not.
    pub fn record(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (last, quiet) = &mut *state;
        match last {
            Some(t) if now.saturating_duration_since(*t) < self.interval => {
                *quiet += 1;
                None
            }
            _ => {
                *last = Some(now);
                Some(std::mem::take(quiet))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn told(r: &Registration) -> bool {
        tokio::time::timeout(Duration::from_millis(1), r.evicted.notified())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_client_over_the_cap_pushes_out_its_own_oldest_connection() {
        let tracker = ClientConnections::new(2);
        let a = tracker.register("127.0.0.1".parse().unwrap());
        let b = tracker.register("127.0.0.7".parse().unwrap());
        let other = tracker.register("10.0.0.1".parse().unwrap());
        assert_eq!(tracker.held_by("127.0.0.1".parse().unwrap()), 2);
        let c = tracker.register("::1".parse().unwrap());
        assert_eq!(tracker.held_by("127.0.0.1".parse().unwrap()), 2);
        // `a` was told to close; `b`, `c` and the other client's were not.
        assert!(told(&a).await);
        assert!(!told(&b).await && !told(&c).await && !told(&other).await);
        drop((a, b, c));
        assert_eq!(tracker.held_by("127.0.0.1".parse().unwrap()), 0);
        assert_eq!(tracker.held_by("10.0.0.1".parse().unwrap()), 1);
    }

    #[test]
    fn accept_warnings_are_rate_limited() {
        let w = AcceptWarnings::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(w.record(t0), Some(0));
        for i in 1..=50 {
            assert_eq!(w.record(t0 + Duration::from_millis(i * 50)), None);
        }
        assert_eq!(w.record(t0 + Duration::from_secs(11)), Some(50));
    }

    #[test]
    fn the_fd_limit_is_raised_to_the_hard_limit() {
        let limit = raise_fd_limit().expect("readable on unix");
        let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
        assert_eq!(Some(limit), hard.or(Some(u64::MAX)));
    }

    #[test]
    fn causes_are_found_through_wrappers() {
        let wrapped: axum::BoxError = Box::new(axum::Error::new(BodyTimedOut));
        assert!(caused_by::<BodyTimedOut>(wrapped.as_ref()));
        let other: axum::BoxError = "x".into();
        assert!(!caused_by::<BodyTimedOut>(other.as_ref()));
    }
}
