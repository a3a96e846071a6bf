//! `prove`: the load, limiter, start-up and shutdown checks behind `make prove` and
//! `make bench` (scripts/prove.sh, scripts/bench.sh). It talks plain HTTP/1.1
//! with keep-alive over its own sockets (so it can bind client sockets across
//! 127.0.0.0/8) and checks every answer it gets, not just its status:
//!
//! - `load`: mixed requests (valid mints, verified requests, bad tokens, bad hosts) at many
//!   connections; zero 5xx, zero dropped connections, every answer correct; resident
//!   memory of the server after the load within a bound of after warm-up.
//! - `limiter`: failed authentications from 10,000+ distinct loopback addresses: they are
//!   one client, so they are throttled together after one burst, the limiter's table holds
//!   one entry (checked inside the process when the server runs in-process), and a correct
//!   credential from any of them is never throttled.
//! - `ready`: time from process start to the first answer of `GET /api/health`.
//! - `sigterm`: SIGTERM while requests are in flight; each one completes.
//!
//! Run `cargo run --release -p pawkey-prove -- --help`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use pawkey_core::clock::now_unix;
use pawkey_core::config::Config;
use pawkey_core::limiter::DEFAULT_CAPACITY;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::AppState;
use pawkey_core::store::MemoryStore;
use pawkey_core::token::SessionKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Mutex;

#[derive(Parser)]
#[command(about = "PawKey's load, limiter, start-up and shutdown checks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Mixed load against a running server; fails on any wrong answer.
    Load {
        /// Server address, e.g. 127.0.0.1:8000.
        #[arg(long)]
        addr: SocketAddr,
        /// File holding the master token.
        #[arg(long)]
        master_file: PathBuf,
        /// Total requests.
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 256)]
        conns: usize,
        /// Server process id, to read its resident memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Requests after which the warm-up resident memory is read.
        #[arg(long, default_value_t = 100_000)]
        warmup: u64,
        /// Largest allowed growth of resident memory from warm-up to the end, in KiB.
        #[arg(long, default_value_t = 4096)]
        max_rss_growth_kib: u64,
        /// Give up (and fail) after this many seconds.
        #[arg(long, default_value_t = 300)]
        max_seconds: u64,
    },
    /// Failed authentications from many distinct client addresses.
    Limiter {
        /// A running server; without it a server runs in this process, so the limiter's
        /// table can be inspected directly.
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// File holding the master token (with --addr).
        #[arg(long)]
        master_file: Option<PathBuf>,
        /// Distinct client addresses.
        #[arg(long, default_value_t = 12_000)]
        addresses: u32,
        /// Server process id, to read its resident memory (with --addr).
        #[arg(long)]
        pid: Option<u32>,
        /// Largest allowed growth of resident memory over the second half, in KiB.
        #[arg(long, default_value_t = 2048)]
        max_rss_growth_kib: u64,
    },
    /// Time from spawning `BIN ARGS...` to its first answer on ADDR.
    Ready {
        /// Where the server will answer.
        #[arg(long)]
        addr: SocketAddr,
        /// Runs (the median is reported).
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// The command line, e.g. target/release/pawkeyd serve --port 18000.
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
    /// SIGTERM to a server under load: requests in flight complete.
    Sigterm {
        /// Server address.
        #[arg(long)]
        addr: SocketAddr,
        /// File holding the master token.
        #[arg(long)]
        master_file: PathBuf,
        /// Server process id (receives SIGTERM).
        #[arg(long)]
        pid: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = rt.block_on(async move {
        match cli.command {
            Cmd::Load {
                addr,
                master_file,
                requests,
                conns,
                pid,
                warmup,
                max_rss_growth_kib,
                max_seconds,
            } => {
                let opts = LoadOpts {
                    addr,
                    master: read_master(&master_file)?,
                    requests,
                    conns,
                    pid,
                    warmup,
                    max_rss_growth_kib,
                    deadline: Instant::now() + Duration::from_secs(max_seconds),
                };
                load(opts).await
            }
            Cmd::Limiter {
                addr,
                master_file,
                addresses,
                pid,
                max_rss_growth_kib,
            } => limiter(addr, master_file, addresses, pid, max_rss_growth_kib).await,
            Cmd::Ready {
                addr,
                runs,
                command,
            } => ready(addr, runs, &command).await,
            Cmd::Sigterm {
                addr,
                master_file,
                pid,
            } => sigterm(addr, &read_master(&master_file)?, pid).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prove: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T, E = String> = std::result::Result<T, E>;

fn read_master(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Resident memory of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client: one request at a time per connection, keep-alive, and the
// whole answer (status, headers, body by Content-Length) read before the next request.
// ---------------------------------------------------------------------------------------

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Result<serde_json::Value> {
        if !self
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json"))
        {
            return Err(format!(
                "status {} without a JSON content type",
                self.status
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("status {}: bad JSON: {e}", self.status))
    }

    fn summary(&self) -> String {
        format!(
            "{} {}",
            self.status,
            String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
        )
    }
}

/// Why a request did not get an answer.
#[derive(Debug)]
enum Dropped {
    /// The connection closed before any byte of the answer arrived.
    ClosedBeforeAnswer,
    /// Anything else: reset, timeout, a partial or unparsable answer.
    Broken(String),
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::ClosedBeforeAnswer => write!(f, "connection closed before an answer"),
            Dropped::Broken(e) => write!(f, "{e}"),
        }
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

const IO_TIMEOUT: Duration = Duration::from_secs(20);

impl Conn {
    async fn open(addr: SocketAddr, from: Option<Ipv4Addr>) -> std::io::Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = from {
            socket.bind(SocketAddr::new(IpAddr::V4(ip), 0))?;
        }
        let stream = tokio::time::timeout(IO_TIMEOUT, socket.connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
            })??;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    async fn send(&mut self, request: &[u8]) -> Result<Answer, Dropped> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| Dropped::Broken(format!("write: {e}")))?;
        self.read_answer().await
    }

    async fn read_answer(&mut self) -> Result<Answer, Dropped> {
        tokio::time::timeout(IO_TIMEOUT, self.read_answer_inner())
            .await
            .map_err(|_| Dropped::Broken("no answer within 20 s".into()))?
    }

    async fn read_answer_inner(&mut self) -> Result<Answer, Dropped> {
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            let n = self.fill().await?;
            if n == 0 {
                return Err(if self.buf.is_empty() {
                    Dropped::ClosedBeforeAnswer
                } else {
                    Dropped::Broken("connection closed in the middle of the answer head".into())
                });
            }
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| Dropped::Broken("answer head is not UTF-8".into()))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Dropped::Broken(format!("bad status line {status_line:?}")))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| Dropped::Broken(format!("answer {status} has no Content-Length")))?;
        let body_start = head_end + 4;
        while self.buf.len() < body_start + length {
            if self.fill().await? == 0 {
                return Err(Dropped::Broken(
                    "connection closed in the middle of the body".into(),
                ));
            }
        }
        let body = self.buf[body_start..body_start + length].to_vec();
        if self.buf.len() != body_start + length {
            return Err(Dropped::Broken("extra bytes after the answer".into()));
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> Result<usize, Dropped> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.map_err(|e| {
            // A reset before any byte of the answer: the request was never taken up.
            if self.buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset {
                Dropped::ClosedBeforeAnswer
            } else {
                Dropped::Broken(format!("read: {e}"))
            }
        })?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn host(addr: SocketAddr) -> String {
    format!("127.0.0.1:{}", addr.port())
}

fn mint_request(addr: SocketAddr, master: &str) -> Vec<u8> {
    format!(
        "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {master}\r\nContent-Length: 0\r\n\r\n",
        host(addr)
    )
    .into_bytes()
}

fn verify_request(addr: SocketAddr, token: &str) -> Vec<u8> {
    format!(
        "GET /api/auth/verify HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n",
        host(addr)
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------
// Answer checks.
// ---------------------------------------------------------------------------------------

/// A 200 from `POST /api/auth/session` carrying a token that verifies against `key`.
fn check_mint(a: &Answer, key: &SessionKey, ttl_hours: u64) -> Result<String> {
    if a.status != 200 {
        return Err(format!("mint: expected 200, got {}", a.summary()));
    }
    if a.header("cache-control") != Some("no-store") {
        return Err("mint: no Cache-Control: no-store".into());
    }
    let v = a.json()?;
    let token = v["session_token"]
        .as_str()
        .ok_or_else(|| format!("mint: no session_token in {v}"))?;
    if v["expires_in_hours"].as_u64() != Some(ttl_hours)
        || v.as_object().map(|o| o.len()) != Some(2)
    {
        return Err(format!("mint: unexpected body {v}"));
    }
    if !token.starts_with("session:") {
        return Err(format!("mint: token without the session: prefix: {token}"));
    }
    let now = now_unix();
    let exp = key
        .verify(token, now)
        .map_err(|e| format!("mint: the minted token does not verify: {e}"))?;
    let want = now + ttl_hours * 3600;
    if exp + 5 < want || exp > want + 5 {
        return Err(format!(
            "mint: expiry {exp} is not now + {ttl_hours} h ({want})"
        ));
    }
    Ok(token.to_owned())
}

/// A 200 from `GET /api/auth/verify` for a token expiring at `exp`.
fn check_verified(a: &Answer, exp: u64) -> Result<()> {
    if a.status != 200 {
        return Err(format!("verify: expected 200, got {}", a.summary()));
    }
    let v = a.json()?;
    let left = exp.saturating_sub(now_unix());
    let got = v["expires_in_seconds"].as_u64().unwrap_or(u64::MAX);
    if v["valid"] != serde_json::Value::Bool(true)
        || got.abs_diff(left) > 5
        || !v["expires_at"].as_str().is_some_and(|s| s.ends_with('Z'))
    {
        return Err(format!("verify: unexpected body {v}"));
    }
    Ok(())
}

/// A refusal of a bad credential: 401 with `WWW-Authenticate: Bearer`, or 429 with
/// `Retry-After` once the client's failures are used up.
fn check_refused(a: &Answer, detail_401: &str) -> Result<()> {
    let v = a.json()?;
    match a.status {
        401 if a.header("www-authenticate") == Some("Bearer") && v["detail"] == detail_401 => {
            Ok(())
        }
        429 if a
            .header("retry-after")
            .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1))
            && v["detail"] == "Too many requests" =>
        {
            Ok(())
        }
        _ => Err(format!(
            "bad credential: expected 401/429, got {}",
            a.summary()
        )),
    }
}

fn check_bad_host(a: &Answer) -> Result<()> {
    let v = a.json()?;
    if a.status == 403
        && v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Host not allowed"))
    {
        Ok(())
    } else {
        Err(format!("bad host: expected 403, got {}", a.summary()))
    }
}

// ---------------------------------------------------------------------------------------
// load
// ---------------------------------------------------------------------------------------

struct LoadOpts {
    addr: SocketAddr,
    master: String,
    requests: u64,
    conns: usize,
    pid: Option<u32>,
    warmup: u64,
    max_rss_growth_kib: u64,
    deadline: Instant,
}

#[derive(Default)]
struct Counters {
    next: AtomicU64,
    done: AtomicU64,
    mints: AtomicU64,
    verified: AtomicU64,
    bad_tokens_401: AtomicU64,
    bad_tokens_429: AtomicU64,
    bad_hosts: AtomicU64,
    server_errors: AtomicU64,
    dropped: AtomicU64,
    wrong: AtomicU64,
    stop: AtomicBool,
    failures: Mutex<Vec<String>>,
}

impl Counters {
    async fn fail(&self, what: String) {
        let mut f = self.failures.lock().await;
        if f.len() < 20 {
            f.push(what);
        }
    }
}

async fn load(o: LoadOpts) -> Result<()> {
    let key = Arc::new(SessionKey::new(
        &MasterToken::parse(o.master.clone()).map_err(|e| e.to_string())?,
    ));
    let o = Arc::new(o);
    let c = Arc::new(Counters::default());
    println!(
        "load: {} mixed requests at {} connections against {}",
        o.requests, o.conns, o.addr
    );
    let rss_start = o.pid.and_then(rss_kib);
    let started = Instant::now();

    let monitor = {
        let (o, c) = (o.clone(), c.clone());
        tokio::spawn(async move {
            let mut warm = None;
            while !c.stop.load(Ordering::Relaxed) {
                if warm.is_none() && c.done.load(Ordering::Relaxed) >= o.warmup {
                    warm = o.pid.and_then(rss_kib);
                }
                if Instant::now() > o.deadline {
                    c.stop.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            warm
        })
    };

    let workers: Vec<_> = (0..o.conns)
        .map(|i| {
            let (o, c, key) = (o.clone(), c.clone(), key.clone());
            tokio::spawn(async move {
                // One connection in four comes from its own loopback address and presents
                // bad credentials. Every loopback address is one client to the limiter,
                // but it checks credentials first, so the good clients, which present
                // correct ones, must never be refused.
                if i % 4 == 3 {
                    let from = Ipv4Addr::new(127, 2, (i / 250) as u8, (i % 250) as u8 + 1);
                    hostile_worker(&o, &c, from).await
                } else {
                    good_worker(&o, &c, &key).await
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    c.stop.store(true, Ordering::Relaxed);
    let rss_warm = monitor.await.ok().flatten();
    let rss_end = o.pid.and_then(rss_kib);
    let secs = started.elapsed().as_secs_f64();
    let done = c.done.load(Ordering::Relaxed);
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "load: {done} answers in {secs:.1} s ({:.0} req/s): {} mints, {} verified, {} bad tokens (401: {}, 429: {}), {} bad hosts",
        done as f64 / secs,
        get(&c.mints),
        get(&c.verified),
        get(&c.bad_tokens_401) + get(&c.bad_tokens_429),
        get(&c.bad_tokens_401),
        get(&c.bad_tokens_429),
        get(&c.bad_hosts),
    );
    println!(
        "load: 5xx: {}, dropped connections: {}, wrong answers: {}",
        get(&c.server_errors),
        get(&c.dropped),
        get(&c.wrong)
    );
    let kib = |v: Option<u64>| v.map_or("?".into(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    if o.pid.is_some() {
        println!(
            "load: server RSS at start {}, after warm-up ({} requests) {}, after load {}",
            kib(rss_start),
            o.warmup,
            kib(rss_warm),
            kib(rss_end)
        );
    }
    let mut problems = c.failures.lock().await.clone();
    if done < o.requests {
        problems.push(format!(
            "only {done} of {} requests answered in time",
            o.requests
        ));
    }
    if get(&c.server_errors) + get(&c.dropped) + get(&c.wrong) > 0 {
        problems.push("5xx, dropped connections or wrong answers (see above)".into());
    }
    if let (Some(w), Some(e)) = (rss_warm, rss_end) {
        if e > w + o.max_rss_growth_kib {
            problems.push(format!(
                "resident memory grew by {} KiB after warm-up (allowed {} KiB)",
                e - w,
                o.max_rss_growth_kib
            ));
        }
    } else if o.pid.is_some() {
        problems.push("could not read the server's resident memory".into());
    }
    if problems.is_empty() {
        println!("load: OK");
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

async fn connect_or_count(o: &LoadOpts, c: &Counters, from: Option<Ipv4Addr>) -> Option<Conn> {
    match Conn::open(o.addr, from).await {
        Ok(conn) => Some(conn),
        Err(e) => {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            c.fail(format!("connect from {from:?}: {e}")).await;
            c.stop.store(true, Ordering::Relaxed);
            None
        }
    }
}

fn take(o: &LoadOpts, c: &Counters) -> Option<u64> {
    if c.stop.load(Ordering::Relaxed) {
        return None;
    }
    let n = c.next.fetch_add(1, Ordering::Relaxed);
    (n < o.requests).then_some(n)
}

async fn record(c: &Counters, answer: &Result<Answer, Dropped>, checked: Result<()>) -> bool {
    match answer {
        Err(d) => {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            c.fail(format!("dropped: {d}")).await;
            false
        }
        Ok(a) => {
            c.done.fetch_add(1, Ordering::Relaxed);
            if a.status >= 500 {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(e) = checked {
                c.wrong.fetch_add(1, Ordering::Relaxed);
                c.fail(e).await;
            }
            true
        }
    }
}

async fn good_worker(o: &LoadOpts, c: &Counters, key: &SessionKey) {
    let Some(mut conn) = connect_or_count(o, c, None).await else {
        return;
    };
    let mint = mint_request(o.addr, &o.master);
    let bad_host = format!(
        "GET /api/auth/verify HTTP/1.1\r\nHost: rebind.example:{}\r\n\r\n",
        o.addr.port()
    )
    .into_bytes();
    let mut session: Option<(Vec<u8>, Vec<u8>, u64)> = None; // header form, query form, exp
    while let Some(n) = take(o, c) {
        let slot = n % 10;
        let (answer, checked) = match &session {
            Some(_) if slot == 9 => {
                let a = conn.send(&bad_host).await;
                let checked = a.as_ref().map_or(Ok(()), check_bad_host);
                if checked.is_ok() {
                    c.bad_hosts.fetch_add(1, Ordering::Relaxed);
                }
                (a, checked)
            }
            Some((header_form, query_form, exp)) if slot >= 2 => {
                let request = if slot == 8 { query_form } else { header_form };
                let a = conn.send(request).await;
                let checked = a.as_ref().map_or(Ok(()), |a| check_verified(a, *exp));
                if checked.is_ok() {
                    c.verified.fetch_add(1, Ordering::Relaxed);
                }
                (a, checked)
            }
            _ => {
                let a = conn.send(&mint).await;
                let checked = match &a {
                    Ok(a) => check_mint(a, key, 24).map(|token| {
                        let exp = key.verify(&token, 0).unwrap_or(0);
                        let query = format!(
                            "GET /api/v1/auth/verify?token={token} HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
                            o.addr.port()
                        );
                        session = Some((verify_request(o.addr, &token), query.into_bytes(), exp));
                        c.mints.fetch_add(1, Ordering::Relaxed);
                    }),
                    Err(_) => Ok(()),
                };
                (a, checked)
            }
        };
        if !record(c, &answer, checked).await {
            let Some(fresh) = connect_or_count(o, c, None).await else {
                return;
            };
            conn = fresh;
        }
    }
}

async fn hostile_worker(o: &LoadOpts, c: &Counters, from: Ipv4Addr) {
    let Some(mut conn) = connect_or_count(o, c, Some(from)).await else {
        return;
    };
    let sig = "5".repeat(64);
    let requests = [
        // A well-formed token whose MAC is wrong.
        (
            verify_request(o.addr, &format!("session:4000000000:{sig}")),
            "Invalid or expired session token",
        ),
        // Malformed: leading zero, uppercase hex, garbage.
        (
            verify_request(o.addr, &format!("04000000000:{}", "A".repeat(64))),
            "Invalid or expired session token",
        ),
        (
            verify_request(o.addr, "not-a-token"),
            "Invalid or expired session token",
        ),
        // A wrong master token on the mint endpoint.
        (
            mint_request(o.addr, "wrong-master-token-0000000000000000"),
            "Invalid master token",
        ),
    ];
    while let Some(n) = take(o, c) {
        let (request, detail) = &requests[(n % requests.len() as u64) as usize];
        let answer = conn.send(request).await;
        let checked = answer.as_ref().map_or(Ok(()), |a| check_refused(a, detail));
        if let Ok(a) = &answer {
            if checked.is_ok() {
                let counter = if a.status == 401 {
                    &c.bad_tokens_401
                } else {
                    &c.bad_tokens_429
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !record(c, &answer, checked).await {
            let Some(fresh) = connect_or_count(o, c, Some(from)).await else {
                return;
            };
            conn = fresh;
        }
    }
}

// ---------------------------------------------------------------------------------------
// limiter
// ---------------------------------------------------------------------------------------

async fn limiter(
    addr: Option<SocketAddr>,
    master_file: Option<PathBuf>,
    addresses: u32,
    pid: Option<u32>,
    max_rss_growth_kib: u64,
) -> Result<()> {
    let (addr, master, local) = match addr {
        Some(addr) => {
            let file = master_file.ok_or("--master-file is needed with --addr")?;
            (addr, read_master(&file)?, None)
        }
        None => {
            let master = MasterToken::generate().map_err(|e| e.to_string())?;
            let exposed = master.expose().to_owned();
            let state = AppState::builder(
                Config {
                    port: 0,
                    ..Config::default()
                },
                Arc::new(MemoryStore::with(master)),
            )
            .open();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?;
            let server = pawkey_core::server::serve(state.clone(), vec![listener]);
            let addr = server.addrs()[0];
            (addr, exposed, Some((state, server)))
        }
    };
    let key = SessionKey::new(&MasterToken::parse(master.clone()).map_err(|e| e.to_string())?);
    let rss_before = pid.and_then(rss_kib);
    println!(
        "limiter: {addresses} distinct client addresses (127.3.0.0/16 and up) against {addr}{}",
        if local.is_some() {
            " (in-process server)"
        } else {
            ""
        }
    );

    // A valid session from the good client.
    let mut good = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
    let a = good
        .send(&mint_request(addr, &master))
        .await
        .map_err(|e| e.to_string())?;
    let token = check_mint(&a, &key, 24)?;
    let exp = key.verify(&token, 0).map_err(|e| e.to_string())?;

    // Two halves: a limiter keyed by address would fill its table in the first (12,000
    // addresses is well over its capacity); it must cost no memory in the second.
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    sweep(addr, 0..addresses / 2, &token, exp, &failures).await;
    let rss_mid = pid.and_then(rss_kib);
    sweep(addr, addresses / 2..addresses, &token, exp, &failures).await;
    println!(
        "limiter: {addresses} addresses done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut problems = failures.lock().await.clone();

    // Loopback addresses share one budget, long spent by now: another one is throttled at
    // once, and the good client from 127.0.0.1 is still served.
    let from = Ipv4Addr::new(127, 250, 0, 1);
    let mut hostile = Conn::open(addr, Some(from))
        .await
        .map_err(|e| e.to_string())?;
    let bad = verify_request(addr, "not-a-token");
    let mut statuses = Vec::new();
    for _ in 0..=pawkey_core::limiter::DEFAULT_BURST {
        let a = hostile.send(&bad).await.map_err(|e| e.to_string())?;
        check_refused(&a, "Invalid or expired session token")?;
        statuses.push(a.status);
    }
    if statuses.iter().any(|s| *s != 429) {
        problems.push(format!(
            "a new loopback address got its own budget: {statuses:?}"
        ));
    }
    let a = good
        .send(&verify_request(addr, &token))
        .await
        .map_err(|e| e.to_string())?;
    check_verified(&a, exp)?;

    if let Some((state, server)) = local {
        let tracked = state.limiter().tracked();
        println!(
            "limiter: addresses tracked by the limiter: {tracked} (capacity {DEFAULT_CAPACITY})"
        );
        if tracked != 1 {
            problems.push(format!(
                "limiter table holds {tracked} clients for loopback addresses only (want 1)"
            ));
        }
        server.shutdown().await;
    }
    if let (Some(b), Some(m), Some(e)) = (rss_before, rss_mid, pid.and_then(rss_kib)) {
        println!(
            "limiter: server RSS before {:.1} MB, after {} addresses {:.1} MB, after {addresses} {:.1} MB",
            b as f64 / 1024.0,
            addresses / 2,
            m as f64 / 1024.0,
            e as f64 / 1024.0
        );
        if e > m + max_rss_growth_kib {
            problems.push(format!(
                "resident memory grew by {} KiB over the second half",
                e - m
            ));
        }
    }
    if problems.is_empty() {
        println!("limiter: OK");
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

/// Runs [`one_address`] for client addresses `range` (numbered from 127.3.0.1 on, skipping
/// .0 and .255 in the last octet), 64 at a time.
async fn sweep(
    addr: SocketAddr,
    range: std::ops::Range<u32>,
    token: &str,
    exp: u64,
    failures: &Arc<Mutex<Vec<String>>>,
) {
    let next = Arc::new(AtomicU64::new(u64::from(range.start)));
    let workers: Vec<_> = (0..64)
        .map(|_| {
            let (next, failures, token) = (next.clone(), failures.clone(), token.to_owned());
            let end = u64::from(range.end);
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        return;
                    }
                    let (hi, lo) = (n / 254, n % 254 + 1);
                    let from = Ipv4Addr::new(127, 3 + (hi >> 8) as u8, (hi & 0xff) as u8, lo as u8);
                    if let Err(e) = one_address(addr, from, &token, exp).await {
                        let mut f = failures.lock().await;
                        if f.len() < 20 {
                            f.push(format!("{from}: {e}"));
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
}

/// From `from`: a bad token is refused (401, or 429 once the loopback client's budget is
/// spent), then a valid one from the same address is still accepted (failures never lock
/// out a correct credential).
async fn one_address(addr: SocketAddr, from: Ipv4Addr, token: &str, exp: u64) -> Result<()> {
    let mut conn = Conn::open(addr, Some(from))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let a = conn
        .send(&verify_request(
            addr,
            &format!("session:4000000000:{}", "7".repeat(64)),
        ))
        .await
        .map_err(|e| e.to_string())?;
    check_refused(&a, "Invalid or expired session token")?;
    let a = conn
        .send(&verify_request(addr, token))
        .await
        .map_err(|e| e.to_string())?;
    check_verified(&a, exp)
}

// ---------------------------------------------------------------------------------------
// ready
// ---------------------------------------------------------------------------------------

async fn ready(addr: SocketAddr, runs: u32, command: &[String]) -> Result<()> {
    let health = format!("GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n", host(addr)).into_bytes();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = std::process::Command::new(&command[0])
            .args(&command[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
        let answered = loop {
            if started.elapsed() > Duration::from_secs(10) {
                break None;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited with {status} before answering",
                    command[0]
                ));
            }
            if let Ok(mut conn) = Conn::open(addr, None).await {
                if let Ok(a) = conn.send(&health).await {
                    if a.status == 200 {
                        break Some(started.elapsed());
                    }
                }
            }
            tokio::time::sleep(Duration::from_micros(250)).await;
        };
        terminate(child.id());
        let _ = child.wait();
        let t = answered.ok_or("no answer within 10 s")?;
        times.push(t);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ready: start to first answer over {runs} runs: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    Ok(())
}

fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

// ---------------------------------------------------------------------------------------
// sigterm
// ---------------------------------------------------------------------------------------

async fn sigterm(addr: SocketAddr, master: &str, pid: u32) -> Result<()> {
    let key = Arc::new(SessionKey::new(
        &MasterToken::parse(master.to_owned()).map_err(|e| e.to_string())?,
    ));
    const SLOW: usize = 16;
    const BODY: &str = "{\"ttl_hours\": 1}";
    // Requests in flight: the head and half of the body are sent; the rest follows after
    // the signal.
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut conn = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
        let head = format!(
            "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {master}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            host(addr),
            BODY.len(),
            &BODY[..8]
        );
        conn.stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        slow.push(conn);
    }
    // Busy connections: mints back to back until the server goes away.
    let signalled = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..32)
        .map(|_| {
            let (key, signalled, master) = (key.clone(), signalled.clone(), master.to_owned());
            tokio::spawn(async move {
                let mut ok = 0u64;
                let mut conn = match Conn::open(addr, None).await {
                    Ok(c) => c,
                    Err(e) => return Err(format!("connect: {e}")),
                };
                let request = mint_request(addr, &master);
                loop {
                    match conn.send(&request).await {
                        Ok(a) => {
                            check_mint(&a, &key, 24)?;
                            ok += 1;
                            if a.header("connection") == Some("close") {
                                return Ok(ok);
                            }
                        }
                        // Closed between answers, after the signal: not in flight.
                        Err(Dropped::ClosedBeforeAnswer) if signalled.load(Ordering::SeqCst) => {
                            return Ok(ok);
                        }
                        Err(Dropped::Broken(e))
                            if signalled.load(Ordering::SeqCst) && e.starts_with("write") =>
                        {
                            return Ok(ok);
                        }
                        Err(e) => return Err(format!("busy connection: {e}")),
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    signalled.store(true, Ordering::SeqCst);
    terminate(pid);
    println!("sigterm: SIGTERM sent with {SLOW} requests in flight and 32 busy connections");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut problems = Vec::new();
    // New connections are no longer accepted.
    if Conn::open(addr, None).await.is_ok() {
        problems.push("a new connection was accepted after SIGTERM".to_owned());
    }
    let mut completed = 0;
    for mut conn in slow {
        let rest = &BODY.as_bytes()[8..];
        let answer = match conn.stream.write_all(rest).await {
            Ok(()) => conn.read_answer().await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("write: {e}")),
        };
        match answer.and_then(|a| check_mint(&a, &key, 1)) {
            Ok(_) => completed += 1,
            Err(e) => problems.push(format!("in-flight request: {e}")),
        }
    }
    let mut busy_ok = 0;
    for b in busy {
        match b.await {
            Ok(Ok(n)) => busy_ok += n,
            Ok(Err(e)) => problems.push(e),
            Err(e) => problems.push(e.to_string()),
        }
    }
    println!(
        "sigterm: {completed}/{SLOW} in-flight requests completed with a valid token; {busy_ok} busy-connection answers all valid"
    );
    if problems.is_empty() {
        println!("sigterm: OK");
        Ok(())
    } else {
        problems.truncate(20);
        Err(problems.join("\n  "))
    }
}
