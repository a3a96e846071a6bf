//! Binding the configured address (and the IPv6 loopback beside 127.0.0.1) and serving
//! [`router`](super::router) on it in the background: connection caps, timeouts, and a
//! graceful shutdown that lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use super::{conn, router};
use crate::state::AppState;

/// Size at which the HTTP parser itself refuses the request head.
const HARD_HEADER_LIMIT: usize = 64 * 1024;
/// A client must send a complete request head within this time, also between keep-alive
/// requests; slow or idle connections are closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Once its head is in, a request's body must arrive within this time (answer: 408).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for in-flight requests at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Most connections served at once (fewer when the open-file limit is lower); more wait
/// to be accepted.
const MAX_CONNECTIONS: usize = 4096;
/// Most connections one client holds at once; a newer one closes its oldest. Every
/// loopback address is one client.
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 512;
/// File descriptors kept free for everything that is not a connection (keychain, log,
/// audit file, the desktop shell's own).
const FD_RESERVE: u64 = 128;
/// At most one "accept failed" warning in this time.
const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another program holds the port.
    #[error(
        "port {port} on {addr} is already in use (is PocketPaw or another PawKey running?) — choose another port with --port N, PAWKEY_PORT or `port` in the config file"
    )]
    PortInUse {
        /// The address.
        addr: IpAddr,
        /// The port.
        port: u16,
    },
    /// A non-loopback address without `--allow-remote`.
    #[error(
        "refusing to listen on {0}: it is not a loopback address, so other machines could reach PawKey — use 127.0.0.1, or pass --allow-remote if you really mean it"
    )]
    RemoteNotAllowed(IpAddr),
    /// Ports below 1024 need privileges.
    #[error("not allowed to listen on {addr} port {port} ({reason}) — use a port above 1023")]
    PermissionDenied {
        /// The address.
        addr: IpAddr,
        /// The port.
        port: u16,
        /// The OS error.
        reason: String,
    },
    /// Any other socket error.
    #[error("cannot listen on {addr} port {port}: {reason}")]
    Io {
        /// The address.
        addr: IpAddr,
        /// The port.
        port: u16,
        /// The OS error.
        reason: String,
    },
}

async fn bind_one(addr: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    TcpListener::bind(SocketAddr::new(addr, port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::PortInUse { addr, port },
            std::io::ErrorKind::PermissionDenied => ServeError::PermissionDenied {
                addr,
                port,
                reason: e.to_string(),
            },
            _ => ServeError::Io {
                addr,
                port,
                reason: e.to_string(),
            },
        })
}

/// Binds `addr:port`, plus `[::1]:port` when `addr` is 127.0.0.1 and IPv6 is available, so
/// `http://localhost:PORT` works whichever address a browser tries first.
pub async fn bind(
    addr: IpAddr,
    port: u16,
    allow_remote: bool,
) -> Result<Vec<TcpListener>, ServeError> {
    if !addr.is_loopback() {
        if !allow_remote {
            return Err(ServeError::RemoteNotAllowed(addr));
        }
        tracing::warn!(
            "listening on {addr}, which is not a loopback address: other machines can reach PawKey"
        );
    }
    let first = bind_one(addr, port).await?;
    let port = first.local_addr().map(|a| a.port()).unwrap_or(port);
    let mut listeners = vec![first];
    if addr == IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) {
        match bind_one(IpAddr::V6(Ipv6Addr::LOCALHOST), port).await {
            Ok(l) => listeners.push(l),
            Err(e) => tracing::debug!("not serving the IPv6 loopback: {e}"),
        }
    }
    Ok(listeners)
}

/// A server running in the background.
pub struct RunningServer {
    addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The addresses being served.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The port being served.
    pub fn port(&self) -> u16 {
        self.addrs.first().map(|a| a.port()).unwrap_or(0)
    }

    /// Stops accepting, lets in-flight requests finish (up to [`SHUTDOWN_GRACE`]), and
    /// returns when the server is gone.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        tracing::info!("shutting down; finishing in-flight requests");
        self.shutdown().await;
    }
}

/// Binds the configured address and port and serves `state` in the background.
pub async fn start(state: AppState, allow_remote: bool) -> Result<RunningServer, ServeError> {
    let config = state.config();
    let listeners = bind(config.bind, config.port, allow_remote).await?;
    Ok(serve(state, listeners))
}

/// Connection limits of a running server. [`serve`] uses the defaults; tests shorten the
/// timeout through [`serve_with`] so that a slow client is cut off in milliseconds.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client may take to send a complete request head, also while a
    /// connection idles between keep-alive requests (default [`HEADER_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its head is in (default
    /// [`BODY_READ_TIMEOUT`]).
    pub body_read_timeout: Duration,
    /// Most connections one client holds at once (default [`MAX_CONNECTIONS_PER_CLIENT`]).
    pub max_connections_per_client: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            max_connections_per_client: MAX_CONNECTIONS_PER_CLIENT,
        }
    }
}

/// The connection caps for an open-file limit of `fd_limit`: all connections together,
/// and one client's.
fn connection_caps(fd_limit: Option<u64>, per_client: usize) -> (usize, usize) {
    let by_fds = fd_limit
        .map(|l| usize::try_from(l.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX))
        .unwrap_or(MAX_CONNECTIONS);
    let total = MAX_CONNECTIONS.min(by_fds).max(16);
    (total, per_client.min(total / 2).max(1))
}

/// Serves `state` on already bound listeners in the background.
pub fn serve(state: AppState, listeners: Vec<TcpListener>) -> RunningServer {
    serve_with(state, listeners, ServeOptions::default())
}

/// [`serve`] with explicit [`ServeOptions`].
pub fn serve_with(
    state: AppState,
    listeners: Vec<TcpListener>,
    options: ServeOptions,
) -> RunningServer {
    let addrs: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    if let Some(a) = addrs.first() {
        state.set_listening_port(a.port());
    }
    let app = router(state);
    let (stop, stopped) = watch::channel(false);
    let (total, per_client) =
        connection_caps(conn::raise_fd_limit(), options.max_connections_per_client);
    tracing::debug!("serving at most {total} connections, {per_client} per client");
    let shared = Shared {
        limit: Arc::new(Semaphore::new(total)),
        clients: conn::ClientConnections::new(per_client),
        warnings: Arc::new(conn::AcceptWarnings::new(ACCEPT_WARNING_INTERVAL)),
    };
    let task = tokio::spawn(async move {
        let loops: Vec<_> = listeners
            .into_iter()
            .map(|l| {
                tokio::spawn(accept_loop(
                    l,
                    app.clone(),
                    stopped.clone(),
                    shared.clone(),
                    options.clone(),
                ))
            })
            .collect();
        for l in loops {
            let _ = l.await;
        }
    });
    RunningServer { addrs, stop, task }
}

/// What every accept loop of one server shares.
#[derive(Clone)]
struct Shared {
    /// One permit per connection.
    limit: Arc<Semaphore>,
    /// Connections per client.
    clients: Arc<conn::ClientConnections>,
    /// Rate limit on the "accept failed" warning.
    warnings: Arc<conn::AcceptWarnings>,
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    mut stopped: watch::Receiver<bool>,
    shared: Shared,
    options: ServeOptions,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(HARD_HEADER_LIMIT)
        .keep_alive(true);
    let body_timeout = options.body_read_timeout;
    loop {
        let permit = tokio::select! {
            p = shared.limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stopped.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning,
                    // and say so without flooding the log.
                    if let Some(quiet) = shared.warnings.record(std::time::Instant::now()) {
                        tracing::warn!(
                            "accept failed: {e} ({quiet} more since the last warning; next warning in {}s at the earliest)",
                            ACCEPT_WARNING_INTERVAL.as_secs()
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let registration = shared.clients.register(peer.ip());
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |req: hyper::Request<hyper::body::Incoming>| {
                use http_body::Body as _;
                let mut req = if req.body().is_end_stream() {
                    req.map(axum::body::Body::new)
                } else {
                    req.map(|b| axum::body::Body::new(conn::DeadlineBody::new(b, body_timeout)))
                };
                req.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.oneshot(req).await.unwrap_or_else(|e| match e {})) }
            },
        );
        let io = TokioIo::new(conn::JsonRejections::new(stream));
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            tokio::select! {
                ended = conn => {
                    if let Err(e) = ended {
                        tracing::debug!("connection from {peer} ended: {e}");
                    }
                }
                () = registration.evicted.notified() => {
                    tracing::debug!("closed the oldest connection from {peer}: its client opened too many");
                }
            }
            drop(registration);
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after {SHUTDOWN_GRACE:?}; closing them");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_caps_follow_the_open_file_limit() {
        assert_eq!(connection_caps(Some(1_048_576), 512), (4096, 512));
        assert_eq!(connection_caps(Some(1024), 512), (896, 448));
        assert_eq!(connection_caps(None, 512), (4096, 512));
        assert_eq!(connection_caps(Some(10), 512), (16, 8));
    }
}
