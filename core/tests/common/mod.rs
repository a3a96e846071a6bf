//! Shared helpers for PawKey's integration tests: the real server on an ephemeral loopback
//! port, an HTTP client, a raw-socket client for bytes no client library sends, the real
//! `pawkeyd` binary with private config and data directories, and a private keychain entry
//! that is deleted when the test ends.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pawkey_core::config::Config;
use pawkey_core::limiter::FailureLimiter;
use pawkey_core::secret::MasterToken;
use pawkey_core::server::{self, RunningServer, ServeOptions};
use pawkey_core::state::AppState;
use pawkey_core::store::{KEYRING_ACCOUNT, KeyringStore, MasterStore, MemoryStore};
use pawkey_core::token::{SessionKey, TokenFormat};
use reqwest::header::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The master token of in-process test servers: PocketPaw's format (a UUID4).
pub const MASTER: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

/// The exact 401 bodies.
pub const INVALID_MASTER: &str = r#"{"detail":"Invalid master token"}"#;
pub const INVALID_SESSION: &str = r#"{"detail":"Invalid or expired session token"}"#;

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    pawkey_core::clock::now_unix()
}

/// A token signed with `master`, expiring at `exp`, as PawKey would mint it.
pub fn sign(master: &str, exp: u64, format: TokenFormat) -> String {
    SessionKey::new(&MasterToken::parse(master.to_owned()).expect("test master is valid"))
        .mint(exp, format)
}

/// Lowercase hex HMAC-SHA256(key = master, message), computed independently of PawKey's
/// token code: used to build tokens whose MAC is right but whose encoding is not canonical.
pub fn mac_hex(master: &str, message: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(master.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A server under test, on 127.0.0.1 (and [::1] on the same port) with an ephemeral port.
pub struct TestServer {
    /// The IPv4 address being served.
    pub addr: SocketAddr,
    /// The port being served.
    pub port: u16,
    /// The state behind the server.
    pub state: AppState,
    running: Option<RunningServer>,
}

/// Builds a [`TestServer`].
pub struct ServerBuilder {
    config: Config,
    master: String,
    store: Option<Arc<MemoryStore>>,
    limiter: Option<FailureLimiter>,
    approvals: Option<pawkey_core::approval::Approvals>,
    options: ServeOptions,
}

impl ServerBuilder {
    /// Changes the configuration (the port is ignored: the server takes an ephemeral one).
    pub fn config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// A limiter that never trips in practice, for tests that send many bad tokens.
    pub fn lenient_limiter(mut self) -> Self {
        self.limiter = Some(FailureLimiter::new(1_000_000, 1_000_000.0, 64));
        self
    }

    /// The master token.
    pub fn master(mut self, master: &str) -> Self {
        self.master = master.to_owned();
        self
    }

    /// A store of the test's own (e.g. one whose writes fail) instead of one holding
    /// the master token.
    pub fn store(mut self, store: Arc<MemoryStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The access-request book (e.g. with a short request lifetime).
    pub fn approvals(mut self, approvals: pawkey_core::approval::Approvals) -> Self {
        self.approvals = Some(approvals);
        self
    }

    /// Serve options (e.g. a short header read timeout).
    pub fn options(mut self, options: ServeOptions) -> Self {
        self.options = options;
        self
    }

    /// Binds and starts serving.
    pub async fn start(self) -> TestServer {
        let store = self.store.unwrap_or_else(|| {
            let master = MasterToken::parse(self.master).expect("test master is valid");
            Arc::new(MemoryStore::with(master))
        });
        let mut builder = AppState::builder(self.config, store);
        if let Some(l) = self.limiter {
            builder = builder.limiter(l);
        }
        if let Some(a) = self.approvals {
            builder = builder.approvals(a);
        }
        let state = builder.open();
        let listeners = server::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, false)
            .await
            .expect("bind an ephemeral loopback port");
        let running = server::serve_with(state.clone(), listeners, self.options);
        let addr = running.addrs()[0];
        TestServer {
            addr,
            port: addr.port(),
            state,
            running: Some(running),
        }
    }
}

impl TestServer {
    /// Default configuration, the default failure limiter, master [`MASTER`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            config: Config::default(),
            master: MASTER.to_owned(),
            store: None,
            limiter: None,
            approvals: None,
            options: ServeOptions::default(),
        }
    }

    /// A server with the default configuration and a lenient limiter.
    pub async fn start() -> Self {
        Self::builder().lenient_limiter().start().await
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `localhost:<port>`, the Host header browsers and the seed's examples send.
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Mints a token over HTTP with the master token and returns it.
    pub async fn mint(&self) -> String {
        let res = client()
            .post(self.url("/api/auth/session"))
            .bearer_auth(MASTER)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        body["session_token"]
            .as_str()
            .expect("session_token")
            .to_owned()
    }

    /// Stops the server gracefully.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

/// An HTTP client that never uses a proxy and gives up after 10 s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A response, its headers and its body parsed as JSON.
pub struct JsonResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl JsonResponse {
    /// Reads a response, asserting it is JSON (`application/json`).
    pub async fn read(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "status {status}: content-type {ct:?}, body {text:?}"
        );
        Self {
            status,
            headers,
            text,
        }
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).expect("JSON body")
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `req` and reads a JSON response.
pub async fn send(req: reqwest::RequestBuilder) -> JsonResponse {
    JsonResponse::read(req.send().await.expect("request")).await
}

/// Asserts the headers every response must carry.
pub fn assert_security_headers(what: &str, get: impl Fn(&str) -> Option<String>) {
    for (name, want) in [
        ("x-content-type-options", Some("nosniff")),
        ("x-frame-options", Some("DENY")),
        ("referrer-policy", Some("no-referrer")),
    ] {
        assert_eq!(get(name).as_deref(), want, "{what}: header {name}");
    }
    let csp = get("content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP {csp:?} lacks {directive}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: CSP {csp:?}");
}

/// Asserts the session-token shape `session:<exp>:<64 lowercase hex>` (or the bare form)
/// and returns the expiry.
pub fn assert_token_shape(token: &str, prefixed: bool) -> u64 {
    let body = if prefixed {
        token
            .strip_prefix("session:")
            .unwrap_or_else(|| panic!("{token:?} lacks the session: prefix"))
    } else {
        assert!(!token.starts_with("session:"), "{token:?}");
        token
    };
    let (exp, sig) = body.split_once(':').expect("<exp>:<sig>");
    assert!(
        !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit()) && !exp.starts_with('0'),
        "expiry {exp:?}"
    );
    assert_eq!(sig.len(), 64, "signature {sig:?}");
    assert!(
        sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "signature {sig:?}"
    );
    exp.parse().expect("expiry fits u64")
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a JSON body and returns it.
    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "status {}: headers {:?}, body {:?}",
            self.status,
            self.headers,
            self.text()
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
}

/// Writes `request` as is to `addr` and reads the response until the server closes the
/// connection (send `Connection: close`). Gives up after 10 s.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    raw_on(&mut stream, request).await
}

/// [`raw`] on an already connected stream.
pub async fn raw_on(stream: &mut TcpStream, request: &[u8]) -> RawResponse {
    // The server may answer (413, 431) and close before reading everything; that is fine.
    let _ = stream.write_all(request).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no complete response within 10 s: {:?}",
        String::from_utf8_lossy(&buf)
    );
    parse_raw(&buf)
}

/// Parses one HTTP/1.1 response (Content-Length or read-to-close bodies, and chunked).
pub fn parse_raw(buf: &[u8]) -> RawResponse {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &buf[end + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        rest[..len.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&rest[start..(start + size).min(rest.len())]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
    out
}

/// A GET request with `Connection: close` and the given extra header lines.
pub fn get_request(path: &str, host: Option<&str>, extra: &[&str]) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\n");
    if let Some(h) = host {
        r.push_str(&format!("Host: {h}\r\n"));
    }
    for line in extra {
        r.push_str(line);
        r.push_str("\r\n");
    }
    r.push_str("Connection: close\r\n\r\n");
    r.into_bytes()
}

// ---------------------------------------------------------------------------------------
// The keychain and the `pawkeyd` binary.

/// A keychain entry under a random service name, deleted on drop.
pub struct KeyringEntry {
    pub service: String,
}

impl KeyringEntry {
    pub fn new() -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("OS random");
        Self {
            service: format!("pawkey-test-{}", hex::encode(bytes)),
        }
    }

    /// The store for this entry, as the CLI opens it.
    pub fn store(&self) -> KeyringStore {
        KeyringStore::new(&self.service, KEYRING_ACCOUNT)
    }
}

impl Drop for KeyringEntry {
    fn drop(&mut self) {
        if let Err(e) = self.store().delete() {
            eprintln!("could not delete test keychain entry {}: {e}", self.service);
        }
    }
}

/// The real `pawkeyd` binary with its own config file, data directory and keychain entry.
pub struct Pawkeyd {
    pub dir: tempfile::TempDir,
    pub keyring: KeyringEntry,
    /// A port nothing listens on (`PAWKEY_PORT`), so the CLI never finds another PawKey
    /// (a developer's own, say) running on the default port; `serve` without `--port`
    /// listens there.
    pub port: u16,
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Pawkeyd {
    pub fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            keyring: KeyringEntry::new(),
            port,
        }
    }

    /// The config file (absent until a test writes it).
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The data directory (audit log).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command for the binary with this instance's files and keychain entry, and none of
    /// the caller's PAWKEY_* settings.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pawkeyd"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("PAWKEY_") && k != "PAWKEY_IN_KEYRING_SESSION" {
                cmd.env_remove(&*k);
            }
        }
        cmd.env_remove("RUST_LOG")
            .env("PAWKEY_CONFIG", self.config_file())
            .env("PAWKEY_DATA_DIR", self.data_dir())
            .env("PAWKEY_KEYRING_SERVICE", &self.keyring.service)
            .env("PAWKEY_PORT", self.port.to_string())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `args`, feeding `stdin` if given.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        run_command(self.command().args(args), stdin)
    }

    /// Runs `args`, asserting exit code 0, and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args, None);
        assert_eq!(run.code, Some(0), "pawkeyd {args:?}: {run:?}");
        run.stdout
    }

    /// The master token, via `master show`; one is created first (`master rotate`) when
    /// the keychain holds none, as `master show` never creates one.
    pub fn master(&self) -> String {
        if self.keyring.store().load().expect("keychain").is_none() {
            self.ok(&["master", "rotate"]);
        }
        self.ok(&["master", "show"]).trim().to_owned()
    }
}

impl Pawkeyd {
    /// A command for `program` with the environment [`Pawkeyd::command`] sets up (e.g. a
    /// wrapper such as `prlimit` or `script` that runs the binary under test).
    pub fn command_for(&self, program: &str) -> Command {
        let template = self.command();
        let mut cmd = Command::new(program);
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    /// `pawkeyd ARGS` on a pseudo-terminal (util-linux `script`): types `input` once
    /// `prompt` shows; returns the exit code and everything the terminal displayed.
    pub fn on_a_terminal(&self, args: &str, prompt: &str, input: &str) -> (Option<i32>, String) {
        use std::io::Write;
        let mut cmd = self.command_for("script");
        cmd.env("SHELL", "/bin/sh")
            .args([
                "-qefc",
                &format!("{} {args}", env!("CARGO_BIN_EXE_pawkeyd")),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("script (util-linux) runs");
        let mut stdin = child.stdin.take().expect("stdin pipe");
        let stdout = child.stdout.take().expect("stdout pipe");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                let piece = String::from_utf8_lossy(&buf).into_owned();
                let _ = tx.send(piece.clone());
                all.push_str(&piece);
                buf.clear();
            }
            all
        });
        let mut seen = String::new();
        while !seen.contains(prompt) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(piece) => seen.push_str(&piece),
                Err(_) => panic!("no prompt {prompt:?}: {seen:?}"),
            }
        }
        stdin.write_all(input.as_bytes()).expect("type");
        stdin.flush().expect("type");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pawkeyd {args} did not finish"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        (status.code(), reader.join().expect("reader"))
    }
}

/// Runs a prepared command to completion, feeding `stdin` if given (60 s at most).
pub fn run_command(cmd: &mut Command, stdin: Option<&str>) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn");
    if let Some(text) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    wait_with_deadline(child, Duration::from_secs(60))
}

fn wait_with_deadline(mut child: Child, limit: Duration) -> Run {
    let pid = child.id();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while start.elapsed() < limit {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        })
    };
    child.stdin.take();
    let out = child.wait_with_output().expect("wait");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = watchdog.join();
    out.into()
}

/// A `pawkeyd serve` process; stderr is collected as it arrives. Killed on drop if still
/// running.
pub struct ServeProcess {
    child: Option<Child>,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServeProcess {
    /// Spawns `cmd` (which must run `serve`) and waits until it says where it listens.
    /// Returns the process, or the stderr of a process that exited instead.
    pub fn spawn(mut cmd: Command) -> Result<Self, Run> {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn pawkeyd serve");
        let stderr = child.stderr.take().expect("stderr pipe");
        let collected = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let reader = {
            let collected = collected.clone();
            std::thread::spawn(move || {
                let mut port_tx = Some(port_tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(tx) = &port_tx {
                        if let Some(port) = listening_port(&line) {
                            let _ = tx.send(port);
                            port_tx = None;
                        }
                    }
                    let mut c = collected.lock().unwrap_or_else(|p| p.into_inner());
                    c.push_str(&line);
                    c.push('\n');
                }
            })
        };
        match port_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => Ok(Self {
                child: Some(child),
                port,
                stderr: collected,
                reader: Some(reader),
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().expect("wait");
                let _ = reader.join();
                let stderr = collected.lock().unwrap_or_else(|p| p.into_inner()).clone();
                Err(Run {
                    code: status.code(),
                    stdout: String::new(),
                    stderr,
                })
            }
        }
    }

    /// What the process wrote to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The IPv4 address served.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends the signal called `name` (TERM, INT...).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits (at most `limit`) for the process to exit; returns its exit code and all of
    /// its stderr.
    pub fn wait(mut self, limit: Duration) -> (Option<i32>, String) {
        let mut child = self.child.take().expect("running");
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("pawkeyd did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (status.code(), stderr)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The port in `PawKey 0.1.0 listening on http://127.0.0.1:PORT and ...`.
fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split("listening on http://").nth(1)?;
    let addr = rest.split_whitespace().next()?;
    addr.rsplit_once(':')?.1.parse().ok()
}

/// The workspace root.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
}
