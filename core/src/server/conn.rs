//! What keeps one client from holding the server: a deadline on every request body
//! ([`DeadlineBody`]), a cap on the connections one client may hold at once
//! ([`ClientConnections`]: past it, that client's oldest connection is closed, so a client
//! that floods only ever pushes out its own), a file-descriptor limit raised at start
//! ([`raise_fd_limit`]) and an accept-failure warning that cannot flood the log
//! ([`AcceptWarnings`]). [`JsonRejections`] gives the answers the HTTP parser sends by
//! itself (400, 414, 431 for a request it cannot parse) the JSON body and the security
//! headers every other answer has.

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

/// A connection whose writes pass through unchanged, except the response the HTTP parser
/// (hyper) writes on its own when it cannot parse a request: a bare head with
/// `content-length: 0` and none of our headers, after which the connection closes. That
/// one is replaced by the same status with a `{"detail"}` body and the security headers.
/// Every response of ours carries `x-content-type-options`, so it is never mistaken for
/// one; hyper is made to write each head in one piece ([`is_write_vectored`] is false).
///
/// [`is_write_vectored`]: tokio::io::AsyncWrite::is_write_vectored
pub struct JsonRejections<S> {
    inner: S,
    /// A replacement still being written, and how much of it is out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonRejections<S> {
    /// Wraps a connection.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

/// The JSON answer for a head hyper wrote by itself, if `buf` is one.
fn json_rejection(buf: &[u8]) -> Option<Vec<u8>> {
    // Every response passes here: rule out ours with three cheap looks before any scan.
    // The parser's own answer is a short, bodiless 4xx head written in one piece.
    let is_4xx_head = buf.len() <= 512
        && (buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4"))
        && buf.ends_with(b"\r\n\r\n");
    if !is_4xx_head {
        return None;
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    if head_end + 4 != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code: u16 = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()?;
    let ours = lines.clone().any(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("x-content-type-options"))
    });
    let empty = lines.any(|l| l.eq_ignore_ascii_case("content-length: 0"));
    if ours || !empty || !matches!(code, 400 | 414 | 431) {
        return None;
    }
    let detail = match code {
        431 => format!(
            "Request headers too large (limit {} KiB)",
            super::HEADER_LIMIT / 1024
        ),
        414 => "URI too long".to_owned(),
        _ => "Malformed HTTP request".to_owned(),
    };
    let body = serde_json::to_vec(&super::error::ErrorBody { detail }).ok()?;
    let reason = axum::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in super::guard::SECURITY_HEADERS {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl<S: tokio::io::AsyncWrite + Unpin> JsonRejections<S> {
    /// Writes what is left of a replacement; `Ready(Ok)` once it is all out.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for JsonRejections<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for JsonRejections<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.poll_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        if let Some(replacement) = json_rejection(buf) {
            this.pending = Some((replacement, 0));
            // Taken whole; the replacement goes out now or on the next flush.
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.poll_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.poll_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
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
    fn only_the_parsers_own_bare_answers_are_replaced() {
        let hypers = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 01:00:00 GMT\r\n\r\n";
        let json = String::from_utf8(json_rejection(hypers).expect("replaced")).unwrap();
        assert!(json.starts_with("HTTP/1.1 431 "), "{json}");
        assert!(
            json.contains("x-content-type-options: nosniff\r\n"),
            "{json}"
        );
        assert!(json.ends_with(r#"{"detail":"Request headers too large (limit 8 KiB)"}"#));
        for untouched in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-content-type-options: nosniff\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n",
            b"{\"detail\":\"x\"}",
        ] {
            assert!(json_rejection(untouched).is_none(), "{untouched:?}");
        }
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

    #[cfg(unix)]
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
