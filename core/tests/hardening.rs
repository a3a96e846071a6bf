//! The server's defences, each seen from the client: the `Host` allowlist (DNS rebinding),
//! the `Origin` allowlist and CORS, the failed-authentication limit, security headers, the
//! body limit, slow and idle connections, JSON for unknown paths and wrong methods, both API
//! prefixes, `/api/health` and the OpenAPI document.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::{
    INVALID_MASTER, JsonResponse, MASTER, RawResponse, TestServer, assert_security_headers, client,
    get_request, raw, send,
};
use pawkey_core::server::ServeOptions;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HOST_REFUSED: &str = "Host not allowed: use localhost, 127.0.0.1 or [::1] with the server's port, or add the host to extra_hosts";
const ORIGIN_REFUSED: &str = "Origin not allowed: add it to allowed_origins in the PawKey settings";

async fn health_with_host(server: &TestServer, host: Option<&str>) -> RawResponse {
    raw(server.addr, &get_request("/api/health", host, &[])).await
}

#[tokio::test]
async fn host_header_must_name_the_loopback_with_our_port() {
    let server = TestServer::start().await;
    let port = server.port;
    let refused = [
        None,
        Some(String::new()),
        Some("evil.com".to_owned()),
        Some(format!("evil.com:{port}")),
        Some(format!("localhost:{}", port.wrapping_add(1))),
        Some(format!("127.0.0.1:{}", port.wrapping_add(1))),
        Some(format!("localhost.evil.com:{port}")),
        Some(format!("127.0.0.1.nip.io:{port}")),
        Some(format!("127.0.0.2:{port}")),
        Some(format!("0.0.0.0:{port}")),
        Some(format!("[::2]:{port}")),
        Some(format!("localhost:{port}0")),
        Some("localhost:".to_owned()),
        Some("localhost:http".to_owned()),
    ];
    for host in &refused {
        let res = health_with_host(&server, host.as_deref()).await;
        assert_eq!(res.status, 403, "Host {host:?}: {}", res.text());
        assert_eq!(
            res.json(),
            json!({ "detail": HOST_REFUSED }),
            "Host {host:?}"
        );
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let res = health_with_host(&server, Some(&host)).await;
        assert_eq!(res.status, 200, "Host {host:?}: {}", res.text());
    }
    // HTTP/1.0 without Host is refused as well.
    let res = raw(server.addr, b"GET /api/health HTTP/1.0\r\n\r\n").await;
    assert_eq!(res.status, 403, "{}", res.text());
    // The Host check comes before authentication: a rebinding page learns nothing.
    let res = raw(
        server.addr,
        format!(
            "POST /api/auth/session HTTP/1.1\r\nHost: evil.com:{port}\r\nAuthorization: Bearer {MASTER}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(res.status, 403);
    assert!(server.state.audit().recent().is_empty());
}

#[tokio::test]
async fn extra_hosts_are_honoured() {
    let server = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.extra_hosts = vec!["pawkey.test".into(), "box.lan:9000".into()])
        .start()
        .await;
    let port = server.port;
    for (host, want) in [
        (format!("pawkey.test:{port}"), 200),
        ("pawkey.test".to_owned(), 200),
        ("box.lan:9000".to_owned(), 200),
        (format!("box.lan:{port}"), 403),
        (format!("other.test:{port}"), 403),
        (format!("localhost:{port}"), 200),
    ] {
        let res = health_with_host(&server, Some(&host)).await;
        assert_eq!(res.status, want, "Host {host:?}: {}", res.text());
    }
}

async fn mint_with_origin(server: &TestServer, origin: &str) -> JsonResponse {
    send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER)
            .header("Origin", origin),
    )
    .await
}

#[tokio::test]
async fn foreign_origins_are_refused_and_allowed_ones_get_credentialed_cors() {
    let server = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.allowed_origins = vec!["https://app.example:8443".into()])
        .start()
        .await;
    let own = format!("http://localhost:{}", server.port);
    for origin in [
        "http://evil.com",
        "https://evil.com",
        "null",
        "http://localhost.evil.com",
        "https://localhost:8000",
        "http://127.0.0.1.nip.io",
        "https://app.example",
        "https://app.example:8443/",
        "*",
        // Other local pages are not PawKey's own.
        "http://localhost:5173",
        "http://[::1]:3000",
        // Every Tauri app's webview has these; PawKey's window uses IPC, never HTTP.
        "tauri://localhost",
        "http://tauri.localhost",
        "https://tauri.localhost",
    ] {
        let res = mint_with_origin(&server, origin).await;
        assert_eq!(res.status, 403, "Origin {origin}: {}", res.text);
        assert_eq!(res.json(), json!({ "detail": ORIGIN_REFUSED }));
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
    }
    for origin in [&own, "http://127.0.0.1:8888", "https://app.example:8443"] {
        let res = mint_with_origin(&server, origin).await;
        assert_eq!(res.status, 200, "Origin {origin}: {}", res.text);
        assert_eq!(res.header("access-control-allow-origin"), Some(origin));
        assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
        assert!(
            res.headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Origin")),
            "{origin}: Vary"
        );
    }
    // A refused request from an allowed origin still carries CORS headers, so the page can
    // read the error.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth("wrong-master-token-000")
            .header("Origin", &own),
    )
    .await;
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some(own.as_str())
    );
    // No Origin (curl, scripts): no CORS headers at all.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), None);
}

async fn preflight(server: &TestServer, origin: &str, path: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflight_is_answered_for_allowed_origins_only() {
    let server = TestServer::start().await;
    for path in [
        "/api/auth/session",
        "/api/v1/auth/login",
        "/api/auth/verify",
    ] {
        let own = format!("http://localhost:{}", server.port);
        let res = preflight(&server, &own, path).await;
        assert_eq!(res.status(), 204, "{path}");
        let h = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            h("access-control-allow-origin").as_deref(),
            Some(own.as_str())
        );
        assert_eq!(
            h("access-control-allow-credentials").as_deref(),
            Some("true")
        );
        let methods = h("access-control-allow-methods").unwrap_or_default();
        for m in ["GET", "POST"] {
            assert!(methods.contains(m), "{path}: methods {methods}");
        }
        let headers = h("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for name in ["authorization", "content-type"] {
            assert!(headers.contains(name), "{path}: headers {headers}");
        }
        assert_security_headers(path, h);
    }
    for origin in ["http://evil.com", "tauri://localhost"] {
        let res = preflight(&server, origin, "/api/auth/session").await;
        assert_eq!(res.status(), 403, "{origin}");
        assert!(res.headers().get("access-control-allow-origin").is_none());
        assert!(res.headers().get("access-control-allow-methods").is_none());
    }
}

/// Bad master tokens from `client_ip` until the first 429; returns how many got 401 and
/// the 429.
async fn fail_until_throttled(
    server: &TestServer,
    http: &reqwest::Client,
) -> (usize, JsonResponse) {
    for sent in 0..50 {
        let res = send(
            http.post(server.url("/api/auth/session"))
                .bearer_auth(format!("wrong-master-token-{sent:04}")),
        )
        .await;
        match res.status {
            401 => assert_eq!(res.text, INVALID_MASTER),
            429 => return (sent, res),
            other => panic!("attempt {sent}: status {other}: {}", res.text),
        }
    }
    panic!("50 wrong master tokens and still no 429");
}

#[tokio::test]
async fn failed_authentication_is_rate_limited_per_client_and_successes_are_not() {
    // The default limiter.
    let server = TestServer::builder().start().await;

    // Successes never drain the budget.
    let session = server.mint().await;
    for i in 0..40 {
        let res = send(
            client()
                .post(server.url("/api/auth/session"))
                .bearer_auth(MASTER),
        )
        .await;
        assert_eq!(res.status, 200, "success {i} was throttled: {}", res.text);
    }

    let (failures, throttled) = fail_until_throttled(&server, &client()).await;
    let burst = pawkey_core::limiter::DEFAULT_BURST as usize;
    assert!(
        (burst..=burst + 2).contains(&failures),
        "{failures} failures before the first 429 (burst {burst})"
    );
    assert_eq!(throttled.text, r#"{"detail":"Too many requests"}"#);
    let retry: u64 = throttled
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_security_headers("429", |n| throttled.header(n).map(str::to_owned));

    // While throttled, wrong attempts from that client keep getting 429, but the right
    // master and a valid session token are checked first and never throttled.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth("wrong-master-token-again"),
    )
    .await;
    assert_eq!(res.status, 429);
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
            .bearer_auth(&session),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Another loopback address is the same client (any local process picks its source
    // address freely), so it is throttled too.
    let other = reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .unwrap();
    let res = send(
        other
            .post(server.url("/api/auth/session"))
            .bearer_auth("wrong-master-token-from-127.0.0.2"),
    )
    .await;
    assert_eq!(res.status, 429, "{}", res.text);
}

#[tokio::test]
async fn bad_session_tokens_count_as_failures_too() {
    let server = TestServer::builder().start().await;
    let mut statuses = Vec::new();
    for i in 0..15 {
        let res =
            send(client().get(server.url(&format!("/api/auth/verify?token=1:{i:064}")))).await;
        statuses.push(res.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // A browser without any token is not a failed attempt: the landing page stays usable.
    let fresh = TestServer::builder().start().await;
    for _ in 0..30 {
        let res = send(client().get(fresh.url("/api/auth/verify"))).await;
        assert_eq!(res.status, 401);
    }
}

/// Every kind of response carries the security headers.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start().await;
    let session = server.mint().await;
    let port = server.port;
    let host = server.host();
    let requests: Vec<(&str, Vec<u8>)> = vec![
        ("health 200", get_request("/api/health", Some(&host), &[])),
        ("page 200", get_request("/", Some(&host), &[])),
        ("css 200", get_request("/assets/pawkey.css", Some(&host), &[])),
        ("js 200", get_request("/assets/pawkey.js", Some(&host), &[])),
        ("openapi 200", get_request("/api/openapi.json", Some(&host), &[])),
        (
            "verify 200",
            get_request(
                "/api/auth/verify",
                Some(&host),
                &[&format!("Authorization: Bearer {session}")],
            ),
        ),
        ("verify 401", get_request("/api/auth/verify", Some(&host), &[])),
        ("host 403", get_request("/api/health", Some("evil.com"), &[])),
        (
            "origin 403",
            get_request("/api/health", Some(&host), &["Origin: http://evil.com"]),
        ),
        ("404", get_request("/nope", Some(&host), &[])),
        ("405", get_request("/api/auth/session", Some(&host), &[])),
        (
            "431",
            get_request(
                "/api/health",
                Some(&host),
                &[&format!("X-Pad: {}", "x".repeat(9000))],
            ),
        ),
        (
            "413",
            format!(
                "POST /api/auth/session HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: 99999\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        ),
        (
            "mint 200",
            format!(
                "POST /api/auth/session HTTP/1.1\r\nHost: localhost:{port}\r\nAuthorization: Bearer {MASTER}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        ),
        (
            "preflight 204",
            format!(
                "OPTIONS /api/auth/session HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: tauri://localhost\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        ),
    ];
    for (what, request) in requests {
        let res = raw(server.addr, &request).await;
        assert!(res.status < 500, "{what}: {}", res.status);
        assert_security_headers(what, |n| res.header(n).map(str::to_owned));
        if res.status >= 400 {
            res.json();
        }
    }
}

#[tokio::test]
async fn token_bearing_responses_are_not_cached() {
    let server = TestServer::start().await;
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let res = send(
        client()
            .post(server.url("/api/auth/login"))
            .json(&json!({ "token": MASTER })),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let res = send(
        client()
            .post(server.url("/api/token/regenerate"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn bodies_over_16_kib_are_413_json() {
    let server = TestServer::start().await;
    let limit = pawkey_core::server::BODY_LIMIT;
    assert_eq!(limit, 16 * 1024);
    let too_large = r#"{"detail":"Request body too large (limit 16 KiB)"}"#;

    // Exactly at the limit: accepted (JSON padded with whitespace).
    let json_body = r#"{"ttl_hours": 2}"#;
    let at_limit = format!("{json_body}{}", " ".repeat(limit - json_body.len()));
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER)
            .header("Content-Type", "application/json")
            .body(at_limit.clone()),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["expires_in_hours"], 2);

    // One byte over, announced by Content-Length.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER)
            .header("Content-Type", "application/json")
            .body(format!("{at_limit} ")),
    )
    .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.text, too_large);

    // Over the limit in chunks, with no Content-Length: cut off while reading.
    for path in ["/api/auth/session", "/api/auth/login"] {
        let chunk = " ".repeat(20 * 1024);
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {MASTER}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            server.host(),
            chunk.len()
        );
        let res = raw(server.addr, request.as_bytes()).await;
        assert_eq!(res.status, 413, "{path}: {}", res.text());
        assert_eq!(res.text(), too_large);
    }
    assert_eq!(
        server.state.audit().recent().len(),
        1,
        "only the in-limit mint"
    );
}

/// A body refused unread (413 from its Content-Length) is never parsed as a request of its
/// own, whatever it holds; the connection either goes on with the next real request or
/// closes.
#[tokio::test]
async fn a_refused_body_is_not_read_as_another_request() {
    let server = TestServer::start().await;
    let host = server.host();
    let smuggled = format!(
        "POST /api/auth/session HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {MASTER}\r\nContent-Length: 0\r\n\r\n"
    );
    let body = smuggled.repeat(pawkey_core::server::BODY_LIMIT / smuggled.len() + 1);
    let request = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}\
         GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let _ = stream.write_all(request.as_bytes()).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got);
    assert!(closed.is_ok(), "connection left hanging: {text}");
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let statuses: Vec<&str> = text
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &text[i + 9..i + 12])
        .collect();
    assert!(
        statuses == ["413"] || statuses == ["413", "200"],
        "{statuses:?}: {text}"
    );
    if statuses.len() == 2 {
        assert!(text.contains(r#""status":"ok""#), "{text}");
    }
    assert!(
        server.state.audit().recent().is_empty(),
        "the body was served: {text}"
    );
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    let timeout = Duration::from_millis(400);
    let server = TestServer::builder()
        .lenient_limiter()
        .options(ServeOptions {
            header_read_timeout: timeout,
            ..ServeOptions::default()
        })
        .start()
        .await;

    // Connected, never sends a byte.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    // Sends a request head one byte at a time, too slowly to finish. (The clock starts
    // before the connection, so the server's deadline cannot precede it.)
    let started = Instant::now();
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET /api/health HTTP/1.1\r\nHost: {}\r\nX-Slow: {}\r\n\r\n",
        server.host(),
        "s".repeat(200)
    );
    let mut sent = 0;
    let mut buf = [0u8; 1024];
    let cut_off = loop {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the slow client was not cut off"
        );
        if sent < head.len() {
            if slow.write_all(&head.as_bytes()[sent..=sent]).await.is_err() {
                break started.elapsed();
            }
            sent += 1;
        }
        match tokio::time::timeout(Duration::from_millis(20), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            Ok(Ok(n)) => panic!(
                "unexpected answer: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ),
            Err(_) => {}
        }
    };
    assert!(
        sent < head.len(),
        "the whole head was sent before the cut-off"
    );
    assert!(
        cut_off >= timeout,
        "cut off after {cut_off:?}, before the timeout"
    );

    // The idle connection was closed as well (by now it is past its deadline).
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "idle connection still open: {closed:?}"
    );

    // A keep-alive connection that goes quiet after a request is closed too.
    let mut keep_alive = TcpStream::connect(server.addr).await.unwrap();
    keep_alive
        .write_all(
            format!(
                "GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n",
                server.host()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match keep_alive.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "keep-alive connection never closed");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );

    // The server is fine afterwards.
    let res = send(client().get(server.url("/api/health"))).await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn unknown_paths_are_404_json_and_wrong_methods_405_json_with_allow() {
    let server = TestServer::start().await;
    for path in [
        "/nope",
        "/api",
        "/api/",
        "/api/v2/auth/session",
        "/api/auth",
        "/api/auth/session/x",
        "/assets/other.js",
    ] {
        let res = send(client().get(server.url(path))).await;
        assert_eq!(res.status, 404, "{path}");
        assert_eq!(res.text, r#"{"detail":"Not Found"}"#, "{path}");
    }
    let cases = [
        (reqwest::Method::GET, "/api/auth/session", "POST"),
        (reqwest::Method::PUT, "/api/v1/auth/session", "POST"),
        (reqwest::Method::DELETE, "/api/auth/verify", "GET"),
        (reqwest::Method::POST, "/api/health", "GET"),
        (reqwest::Method::GET, "/api/token/regenerate", "POST"),
        (reqwest::Method::GET, "/api/auth/login", "POST"),
        (reqwest::Method::PATCH, "/", "GET"),
    ];
    for (method, path, allowed) in cases {
        let res = send(client().request(method.clone(), server.url(path))).await;
        assert_eq!(res.status, 405, "{method} {path}");
        assert_eq!(
            res.text, r#"{"detail":"Method Not Allowed"}"#,
            "{method} {path}"
        );
        let allow = res.header("allow").unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow:?}");
    }
}

#[tokio::test]
async fn health_is_public_and_says_only_status_and_version() {
    let server = TestServer::start().await;
    for prefix in ["/api", "/api/v1"] {
        let res = send(client().get(server.url(&format!("{prefix}/health")))).await;
        assert_eq!(res.status, 200);
        assert_eq!(
            res.json(),
            json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })
        );
    }
}

/// Every route, as (method, path under /api).
const ROUTES: [(&str, &str); 15] = [
    ("post", "/auth/session"),
    ("get", "/auth/verify"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("post", "/token/regenerate"),
    ("post", "/token/import"),
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/qr"),
    ("post", "/auth/request"),
    ("post", "/auth/request/{request_id}"),
    ("get", "/auth/requests"),
    ("post", "/auth/requests/deny-all"),
    ("post", "/auth/requests/{user_code}/approve"),
    ("post", "/auth/requests/{request}/deny"),
];

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_every_route_under_both_prefixes() {
    let server = TestServer::start().await;
    let doc = send(client().get(server.url("/api/openapi.json"))).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let listed: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "delete", "patch"].contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ["/api", "/api/v1"]
        .iter()
        .flat_map(|prefix| {
            ROUTES
                .iter()
                .map(move |(m, p)| ((*m).to_owned(), format!("{prefix}{p}")))
        })
        .collect();
    assert_eq!(listed, expected);

    // Every documented operation is served under both prefixes: never 405, nor the
    // unknown-path 404 (a route may answer 404 itself, for an unknown request id).
    for (method, path) in &listed {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let concrete = path
            .replace("{request_id}", &"0".repeat(64))
            .replace("{user_code}", "BCDF-2345")
            .replace("{request}", "7");
        let res = send(client().request(method.clone(), server.url(&concrete))).await;
        assert!(
            res.status != 405 && res.text != r#"{"detail":"Not Found"}"#,
            "{method} {path}: {} {}",
            res.status,
            res.text
        );
    }
    // The v1 copy says the same as the original.
    for (_, p) in ROUTES {
        assert_eq!(
            doc["paths"][format!("/api{p}")],
            doc["paths"][format!("/api/v1{p}")],
            "{p}"
        );
    }
}
