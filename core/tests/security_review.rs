//! Regression tests for the findings of the outside security review of 0.1.0: each one
//! failed against that release's server.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::*;
use pawkey_core::audit::MintSource;
use pawkey_core::server::ServeOptions;
use pawkey_core::token::TokenFormat;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The newest audit entry made over HTTP.
fn newest_http_mint(server: &TestServer) -> pawkey_core::audit::AuditEntry {
    server
        .state
        .audit()
        .recent()
        .into_iter()
        .find(|e| e.source == MintSource::Http)
        .expect("an HTTP mint was recorded")
}

// ---------------------------------------------------------------------------------------
// 1 (high): a session token renewed itself forever through GET /api/qr.

#[tokio::test]
async fn a_qr_code_asked_for_with_a_session_never_outlives_that_session() {
    let server = TestServer::start().await;
    let session = server
        .state
        .mint_until(now() + 4, None, MintSource::Cli, None)
        .expect("mint");
    for how in ["bearer", "query", "cookie"] {
        let req = match how {
            "bearer" => client()
                .get(server.url("/api/qr"))
                .bearer_auth(&session.token),
            "query" => client().get(server.url(&format!("/api/qr?token={}", session.token))),
            _ => client()
                .get(server.url("/api/qr"))
                .header("Cookie", format!("pocketpaw_session={}", session.token)),
        };
        let res = req.send().await.expect("request");
        assert_eq!(res.status(), 200, "{how}");
        let qr = newest_http_mint(&server);
        assert!(
            qr.expires_at <= session.expires_at,
            "{how}: the QR token expires at {}, after the session that asked for it ({})",
            qr.expires_at,
            session.expires_at
        );
    }
    // The master still gets the full ten minutes.
    let res = client()
        .get(server.url("/api/qr"))
        .bearer_auth(MASTER)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let qr = newest_http_mint(&server);
    assert!(qr.expires_at >= now() + 590, "{}", qr.expires_at);

    // Once the session is over, neither it nor anything it asked for opens anything.
    tokio::time::sleep(Duration::from_millis(
        (session.expires_at + 1).saturating_sub(now()) * 1000 + 100,
    ))
    .await;
    let res = send(
        client()
            .get(server.url("/api/qr"))
            .bearer_auth(&session.token),
    )
    .await;
    assert_eq!(res.status, 401, "{}", res.text);
    server.shutdown().await;
}

#[tokio::test]
async fn another_local_page_cannot_read_a_qr_code_with_the_browsers_cookie() {
    let server = TestServer::start().await;
    let token = server.mint().await;
    let res = send(
        client()
            .get(server.url("/api/qr"))
            .header("Cookie", format!("pocketpaw_session={token}"))
            .header("Origin", "http://localhost:5555"),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert!(res.header("access-control-allow-origin").is_none());
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 2 (medium): slow bodies held the server.

/// A POST whose head promises 16,000 bytes of body of which one is sent.
fn stalled_post(path: &str, port: u16, extra: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Type: application/json\r\n{extra}Content-Length: 16000\r\n\r\n{{"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_json_in_bounded_time() {
    let server = TestServer::builder()
        .lenient_limiter()
        .options(ServeOptions {
            body_read_timeout: Duration::from_millis(500),
            ..ServeOptions::default()
        })
        .start()
        .await;
    let started = Instant::now();
    let res = raw(
        server.addr,
        &stalled_post("/api/auth/login", server.port, ""),
    )
    .await;
    assert_eq!(res.status, 408, "{}", res.text());
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("not received")
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_master_is_refused_before_its_body_is_read() {
    let server = TestServer::start().await;
    let started = Instant::now();
    let res = raw(
        server.addr,
        &stalled_post(
            "/api/auth/session",
            server.port,
            "Authorization: Bearer wrong-master-token\r\n",
        ),
    )
    .await;
    assert_eq!(res.status, 401, "{}", res.text());
    assert!(started.elapsed() < Duration::from_secs(2));
    server.shutdown().await;
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "under Wine, thousands of sockets through wineserver ran over 10 minutes; run on real Windows"
)]
async fn thousands_of_stalled_bodies_from_one_client_do_not_stop_a_correct_mint() {
    pawkey_core::server::conn::raise_fd_limit();
    let server = TestServer::start().await;
    let request = stalled_post("/api/auth/login", server.port, "");
    let mut held = Vec::new();
    for _ in 0..4_200 {
        let Ok(mut s) = TcpStream::connect(server.addr).await else {
            break;
        };
        let _ = s.write_all(&request).await;
        held.push(s);
    }
    assert!(held.len() > 4_096, "opened only {} connections", held.len());
    let res = tokio::time::timeout(
        Duration::from_secs(5),
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER)
            .send(),
    )
    .await
    .expect("the mint answered within 5 s while 4,200 stalled bodies were held")
    .expect("request");
    assert_eq!(res.status(), 200);
    drop(held);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 3 (medium): unauthenticated GETs locked every local client out.

#[tokio::test]
async fn failing_query_tokens_never_lock_out_a_correct_credential() {
    let server = TestServer::builder().start().await;
    let token = server.mint().await;
    for _ in 0..30 {
        let res = raw(
            server.addr,
            &get_request("/api/auth/verify?token=x", Some(&server.host()), &[]),
        )
        .await;
        assert!(res.status == 401 || res.status == 429, "{}", res.status);
    }
    // The failures are throttled now...
    let res = raw(
        server.addr,
        &get_request("/api/auth/verify?token=x", Some(&server.host()), &[]),
    )
    .await;
    assert_eq!(res.status, 429);
    // ...but a correct master and a correct session token are not.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 5 (low): the limiter was keyed by exact peer address.

/// A wrong-master mint from `from`.
async fn wrong_master_from(server: &TestServer, from: Ipv4Addr) -> u16 {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(from), 0))
        .expect("bind a loopback source address");
    let mut stream = socket.connect(server.addr).await.expect("connect");
    let request = format!(
        "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer not-the-master-token\r\nConnection: close\r\n\r\n",
        server.host()
    );
    let res = raw_on(&mut stream, request.as_bytes()).await;
    res.status
}

#[tokio::test]
async fn every_loopback_address_counts_as_one_client() {
    let server = TestServer::builder().start().await;
    let mut statuses = Vec::new();
    for n in 1..=30u8 {
        statuses.push(wrong_master_from(&server, Ipv4Addr::new(127, n, 0, 1)).await);
    }
    let first_429 = statuses.iter().position(|s| *s == 429);
    assert_eq!(
        first_429,
        Some(usize::try_from(pawkey_core::limiter::DEFAULT_BURST).unwrap()),
        "{statuses:?}"
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 6 (low): credentialed CORS for every local origin.

#[tokio::test]
async fn cors_is_for_our_own_origin_and_the_local_dashboard_only() {
    let server = TestServer::start().await;
    let own = format!("http://localhost:{}", server.port);
    let allowed = [own.as_str(), "http://127.0.0.1:8888"];
    for origin in allowed {
        let res = send(
            client()
                .post(server.url("/api/auth/session"))
                .bearer_auth(MASTER)
                .header("Origin", origin),
        )
        .await;
        assert_eq!(res.status, 200, "{origin}: {}", res.text);
        assert_eq!(res.header("access-control-allow-origin"), Some(origin));
    }
    for origin in [
        // Tauri's shared webview origins (second review, finding 8).
        "tauri://localhost",
        "http://tauri.localhost",
        "https://tauri.localhost",
        "http://localhost:5555",
        "http://127.0.0.1:3000",
        "http://[::1]:9999",
        "http://[::1]evil.com",
    ] {
        let res = send(
            client()
                .post(server.url("/api/auth/session"))
                .bearer_auth(MASTER)
                .header("Origin", origin),
        )
        .await;
        assert_eq!(res.status, 403, "{origin}: {}", res.text);
        assert!(
            res.header("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn private_network_preflights_are_answered_for_allowed_origins_only() {
    let server = TestServer::start().await;
    let preflight = |origin: String| {
        client()
            .request(reqwest::Method::OPTIONS, server.url("/api/auth/session"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Private-Network", "true")
            .send()
    };
    let res = preflight("http://127.0.0.1:8888".into())
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()
            .get("access-control-allow-private-network")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let res = preflight("http://localhost:5555".into())
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
    assert!(
        res.headers()
            .get("access-control-allow-private-network")
            .is_none()
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Host and Origin parsing.

#[tokio::test]
async fn junk_after_a_bracket_duplicate_hosts_and_foreign_absolute_uris_are_refused() {
    let server = TestServer::start().await;
    let port = server.port;
    for host in [format!("[::1]x:{port}"), "[::1]evil.com".to_owned()] {
        let res = raw(server.addr, &get_request("/api/health", Some(&host), &[])).await;
        assert_eq!(res.status, 403, "Host {host}: {}", res.text());
        res.json();
    }
    let twice = format!(
        "GET /api/health HTTP/1.1\r\nHost: evil.com\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    );
    let res = raw(server.addr, twice.as_bytes()).await;
    assert_eq!(res.status, 400, "{}", res.text());
    res.json();
    let twice = format!(
        "GET /api/health HTTP/1.1\r\nHost: localhost:{port}\r\nHost: evil.com\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(server.addr, twice.as_bytes()).await.status, 400);
    // Absolute form: the authority in the request line is the host asked for.
    let absolute = format!(
        "GET http://evil.com/api/health HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    );
    let res = raw(server.addr, absolute.as_bytes()).await;
    assert!(res.status == 403 || res.status == 400, "{}", res.text());
    let absolute = format!(
        "GET http://localhost:{port}/api/health HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(server.addr, absolute.as_bytes()).await.status, 200);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// The HTTP parser's own rejections left without JSON and without the security headers.

#[tokio::test]
async fn requests_the_parser_refuses_get_json_and_the_security_headers() {
    let server = TestServer::start().await;
    let port = server.port;
    for (what, request, status) in [
        (
            "a 1 MiB header",
            format!(
                "GET /api/health HTTP/1.1\r\nHost: localhost:{port}\r\nX-Padding: {}\r\n\r\n",
                "p".repeat(1024 * 1024)
            ),
            431,
        ),
        (
            "a control byte in a header",
            format!("GET /api/health HTTP/1.1\r\nHost: localhost:{port}\r\nX-A: b\x01c\r\n\r\n"),
            400,
        ),
        (
            "a header line without a colon",
            format!("GET /api/health HTTP/1.1\r\nHost: localhost:{port}\r\nno colon here\r\n\r\n"),
            400,
        ),
    ] {
        let res = raw(server.addr, request.as_bytes()).await;
        assert_eq!(res.status, status, "{what}: {}", res.text());
        assert!(res.json()["detail"].is_string(), "{what}");
        assert_security_headers(what, |n| res.header(n).map(str::to_owned));
    }
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Verification accepted any signed expiry up to u64::MAX.

#[tokio::test]
async fn a_signed_token_from_beyond_the_longest_lifetime_is_refused() {
    let server = TestServer::start().await;
    for exp in [u64::MAX, now() + 721 * 3600, now() + 25 * 3600] {
        let forged = sign(MASTER, exp, TokenFormat::Session);
        let res = send(
            client()
                .get(server.url("/api/auth/verify"))
                .bearer_auth(&forged),
        )
        .await;
        assert_eq!(res.status, 401, "exp {exp}: {}", res.text);
    }
    // Within the configured 24 h (and a little clock skew) it is fine.
    let fine = sign(MASTER, now() + 24 * 3600 + 60, TokenFormat::Session);
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&fine),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 7 (low): idle connections exhausted a 1024 file-descriptor limit.

#[test]
#[cfg_attr(windows, ignore = "sets the open-file limit with Linux's prlimit")]
fn idle_connections_cannot_exhaust_a_low_file_limit() {
    let pawkeyd = Pawkeyd::new();
    let mut cmd = pawkeyd.command_for("prlimit");
    cmd.arg("--nofile=1024:1024")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_pawkeyd"))
        .args(["serve", "--port", "0"]);
    let serve = ServeProcess::spawn(cmd).unwrap_or_else(|run| panic!("serve: {run:?}"));
    let master = pawkeyd.master();
    let addr = serve.addr();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut idle = Vec::new();
        for _ in 0..1_100 {
            if let Ok(s) = TcpStream::connect(addr).await {
                idle.push(s);
            }
        }
        let mint = tokio::time::timeout(Duration::from_secs(5), async {
            client()
                .post(format!("http://127.0.0.1:{}/api/auth/session", addr.port()))
                .bearer_auth(&master)
                .send()
                .await
        })
        .await
        .expect("a mint answered within 5 s while 1,100 idle connections were open")
        .expect("request");
        assert_eq!(mint.status(), 200);
        // Let the server notice the closed connections before it stops.
        drop(idle);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let res = raw_on(
            &mut stream,
            &get_request(
                "/api/health",
                Some(&format!("localhost:{}", addr.port())),
                &[],
            ),
        )
        .await;
        assert_eq!(res.status, 200);
        let _ = stream.read(&mut [0u8; 1]).await;
    });
    serve.terminate();
    let (code, stderr) = serve.wait(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{stderr}");
    let warnings = stderr.matches("accept failed").count();
    assert!(warnings <= 1, "{warnings} accept warnings:\n{stderr}");
}
