//! The access-request flow over real HTTP: a browser asks without the master, a person
//! approves with the master and the code the browser shows (or denies), the browser
//! collects its token once — and a flood from another local program cannot stop it.

mod common;

use std::time::Duration;

use common::*;
use pawkey_core::approval::Approvals;
use serde_json::{Value, json};

/// A book with a roomy share per address, so tests can open many requests from loopback.
fn roomy(lifetime: Duration) -> Approvals {
    Approvals::new(lifetime, 64)
}

async fn open(server: &TestServer, body: Option<Value>) -> JsonResponse {
    open_from(&client(), server, body).await
}

async fn open_from(
    http: &reqwest::Client,
    server: &TestServer,
    body: Option<Value>,
) -> JsonResponse {
    let req = http.post(server.url("/api/auth/request"));
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    send(req).await
}

/// A client whose connections come from `source` (any 127.x.y.z is this machine).
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn poll(server: &TestServer, id: &str) -> JsonResponse {
    send(client().post(server.url(&format!("/api/auth/request/{id}")))).await
}

async fn pending(server: &TestServer) -> Vec<Value> {
    let res = send(
        client()
            .get(server.url("/api/auth/requests"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["requests"].as_array().unwrap().clone()
}

async fn decide(server: &TestServer, code: &str, what: &str, auth: Option<&str>) -> JsonResponse {
    let req = client().post(server.url(&format!("/api/auth/requests/{code}/{what}")));
    let req = match auth {
        Some(a) => req.bearer_auth(a),
        None => req,
    };
    send(req).await
}

#[tokio::test]
async fn request_approve_poll_then_the_token_verifies_once() {
    let server = TestServer::start().await;
    let res = open(
        &server,
        Some(json!({"client": "PocketPaw dashboard", "ttl_hours": 8})),
    )
    .await;
    assert_eq!(res.status, 202, "{}", res.text);
    let opened = res.json();
    let id = opened["request_id"].as_str().unwrap().to_owned();
    let code = opened["user_code"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(code.len(), 9, "{code}");
    assert_eq!(opened["expires_in"], 120);
    assert_eq!(opened["interval"], 1);

    // Nothing is issued before a person decides.
    let res = poll(&server, &id).await;
    assert_eq!(res.status, 202);
    assert_eq!(res.json(), json!({"status": "pending"}));

    // The person sees it, with who asks.
    let res = send(
        client()
            .get(server.url("/api/auth/requests"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200);
    let list = res.json()["requests"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    // By its number; the code is never listed (the person reads it off the browser).
    assert_eq!(list[0]["number"], opened["number"]);
    assert!(!res.text.contains(&code), "{}", res.text);
    assert!(list[0].get("user_code").is_none());
    assert_eq!(list[0]["client"], "PocketPaw dashboard");
    assert_eq!(list[0]["peer"], "127.0.0.1");
    assert_eq!(list[0]["ttl_hours"], 8);
    assert!(list[0]["expires_in"].as_u64().unwrap() <= 120);

    // Approve with a shorter lifetime, by the code as a person types it.
    let typed = code.to_lowercase().replace('-', " ");
    let res = send(
        client()
            .post(server.url(&format!("/api/auth/requests/{typed}/approve")))
            .bearer_auth(MASTER)
            .json(&json!({"ttl_hours": 2})),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["decision"], "approved");
    assert!(
        !res.text.contains("session"),
        "the approver gets no token: {}",
        res.text
    );

    // A safe method neither delivers nor uses up the token.
    for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
        let res = client()
            .request(
                method.clone(),
                server.url(&format!("/api/auth/request/{id}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
        assert!(res.headers().get("set-cookie").is_none(), "{method}");
    }
    let res = client()
        .post(server.url(&format!("/api/v1/auth/request/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "approved");
    assert_eq!(body["expires_in_hours"], 2);
    let token = body["session_token"].as_str().unwrap();
    let exp = assert_token_shape(token, true);
    assert!(exp <= now() + 2 * 3600 && exp > now() + 2 * 3600 - 60);
    assert!(cookie.starts_with(&format!("pocketpaw_session={token};")));
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Handed out once.
    let res = poll(&server, &id).await;
    assert_eq!(res.status, 410, "{}", res.text);
    // The mint is in the audit log as an approval for the requester's address.
    let entry = &server.state.audit().recent()[0];
    assert_eq!(entry.source, pawkey_core::audit::MintSource::Approval);
    assert_eq!(entry.client.as_deref(), Some("127.0.0.1"));
    server.shutdown().await;
}

#[tokio::test]
async fn denied_is_403_unknown_404_and_no_token_ever() {
    let server = TestServer::start().await;
    let opened = open(&server, None).await.json();
    let id = opened["request_id"].as_str().unwrap();
    let code = opened["user_code"].as_str().unwrap();
    let res = decide(&server, code, "deny", Some(MASTER)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for _ in 0..2 {
        let res = poll(&server, id).await;
        assert_eq!(res.status, 403, "{}", res.text);
        assert!(res.json()["detail"].as_str().unwrap().contains("denied"));
    }
    // A decided request cannot be approved afterwards.
    let res = decide(&server, code, "approve", Some(MASTER)).await;
    assert_eq!(res.status, 404, "{}", res.text);
    let res = poll(&server, &"0".repeat(64)).await;
    assert_eq!(res.status, 404, "{}", res.text);
    assert!(server.state.audit().recent().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_request_expires_410() {
    let server = TestServer::builder()
        .lenient_limiter()
        .approvals(roomy(Duration::from_secs(1)))
        .start()
        .await;
    let opened = open(&server, None).await.json();
    assert_eq!(opened["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let res = poll(&server, opened["request_id"].as_str().unwrap()).await;
    assert_eq!(res.status, 410, "{}", res.text);
    let res = decide(
        &server,
        opened["user_code"].as_str().unwrap(),
        "approve",
        Some(MASTER),
    )
    .await;
    assert_eq!(res.status, 404, "{}", res.text);
    server.shutdown().await;
}

#[tokio::test]
async fn one_address_has_four_waiting_and_a_denial_gives_the_place_back() {
    let server = TestServer::start().await;
    for n in 0..4 {
        let res = open(&server, None).await;
        assert_eq!(res.status, 202, "request {n}: {}", res.text);
    }
    let res = open(&server, None).await;
    assert_eq!(res.status, 429, "{}", res.text);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    // The refused browser is told what is going on and what to do.
    let detail = res.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("another program"), "{detail}");
    assert!(detail.contains("typing the code"), "{detail}");
    // Denying one frees its place at once.
    let first = pending(&server).await[0]["number"].to_string();
    assert_eq!(
        decide(&server, &first, "deny", Some(MASTER)).await.status,
        200
    );
    assert_eq!(open(&server, None).await.status, 202);
    server.shutdown().await;
}

#[tokio::test]
async fn a_flood_from_one_loopback_address_cannot_stop_a_browser_on_another() {
    let server = TestServer::start().await;
    let base = server.url("");
    // The attacker: the landing page's own origin and label, from 127.0.0.1, asking again
    // every 50 ms for the whole test.
    let attacker = tokio::spawn(async move {
        let http = client();
        let mut accepted = 0;
        for _ in 0..60 {
            let res = http
                .post(format!("{base}/api/auth/request"))
                .header("Origin", &base)
                .json(&json!({"client": format!("Browser on {base}")}))
                .send()
                .await
                .unwrap();
            if res.status() == 202 {
                accepted += 1;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        accepted
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The person's browser, from another loopback address, still gets a request through.
    let browser = client_from("127.0.0.2");
    let res = open_from(
        &browser,
        &server,
        Some(json!({"client": "Browser on localhost"})),
    )
    .await;
    assert_eq!(res.status, 202, "{}", res.text);
    let mine = res.json();
    // The window lists them all; the person approves by the code their browser shows.
    let listed = pending(&server).await;
    assert!(listed.len() >= 5, "{listed:?}");
    let code = mine["user_code"].as_str().unwrap();
    let res = decide(&server, code, "approve", Some(MASTER)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["number"], mine["number"]);
    let res = send(browser.post(server.url(&format!(
        "/api/auth/request/{}",
        mine["request_id"].as_str().unwrap()
    ))))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let token = res.json()["session_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(
            client()
                .get(server.url("/api/auth/verify"))
                .bearer_auth(&token)
        )
        .await
        .status,
        200
    );
    // The flood held no more than one address's share, and Deny all clears it.
    assert_eq!(attacker.await.unwrap(), 4);
    let res = send(
        client()
            .post(server.url("/api/auth/requests/deny-all"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["denied"].as_array().unwrap().len(), 4);
    assert!(pending(&server).await.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn approving_needs_the_code_the_browser_shows() {
    let server = TestServer::start().await;
    let forged = open(&server, Some(json!({"client": "Browser"})))
        .await
        .json();
    let mine = send(
        client_from("127.0.0.3")
            .post(server.url("/api/auth/request"))
            .json(&json!({"client": "Browser"})),
    )
    .await
    .json();
    // A made-up code approves nothing.
    let res = decide(&server, "BCDF-2345", "approve", Some(MASTER)).await;
    assert_eq!(res.status, 404, "{}", res.text);
    // My code on the forged request's number: refused, and both still wait — also with
    // the number written as 3.0 (JSON Schema's integer), which is read the same way.
    let approve_as = |number: Value| {
        client()
            .post(server.url(&format!(
                "/api/auth/requests/{}/approve",
                mine["user_code"].as_str().unwrap()
            )))
            .bearer_auth(MASTER)
            .json(&json!({ "number": number }))
    };
    for number in [
        forged["number"].clone(),
        json!(forged["number"].as_f64().unwrap()),
    ] {
        let res = send(approve_as(number.clone())).await;
        assert_eq!(res.status, 409, "number {number}: {}", res.text);
    }
    assert_eq!(pending(&server).await.len(), 2);
    assert_eq!(
        poll(&server, forged["request_id"].as_str().unwrap())
            .await
            .status,
        202
    );
    server.shutdown().await;
}

#[tokio::test]
async fn only_the_master_decides() {
    let server = TestServer::builder()
        .lenient_limiter()
        .approvals(roomy(Duration::from_secs(120)))
        .start()
        .await;
    let opened = open(&server, None).await.json();
    let id = opened["request_id"].as_str().unwrap();
    let code = opened["user_code"].as_str().unwrap();
    let session = server.mint().await;
    for what in ["approve", "deny"] {
        for auth in [
            None,
            Some("wrong-master-token-0000"),
            Some(session.as_str()),
        ] {
            let res = decide(&server, code, what, auth).await;
            assert_eq!(res.status, 401, "{what} with {auth:?}: {}", res.text);
        }
    }
    for auth in [None, Some(session.as_str())] {
        let req = client().get(server.url("/api/auth/requests"));
        let req = match auth {
            Some(a) => req.bearer_auth(a),
            None => req,
        };
        assert_eq!(send(req).await.status, 401);
    }
    // Still waiting: nothing was decided by those attempts.
    assert_eq!(poll(&server, id).await.status, 202);
    server.shutdown().await;
}

#[tokio::test]
async fn bad_request_bodies_are_422_and_lengthening_is_409() {
    let server = TestServer::start().await;
    for body in [
        json!({"client": "x".repeat(65)}),
        json!({"client": "line\nbreak"}),
        json!({"client": "Browser on \u{202e}lacol\u{202c}host"}),
        json!({"client": "isolate \u{2066}x\u{2069}"}),
        json!({"ttl_hours": 25}),
        json!({"ttl_hours": 0}),
        json!({"unknown": 1}),
    ] {
        let res = open(&server, Some(body.clone())).await;
        assert_eq!(res.status, 422, "{body}: {}", res.text);
    }
    let opened = open(&server, Some(json!({"ttl_hours": 3}))).await.json();
    let res = send(
        client()
            .post(server.url(&format!(
                "/api/auth/requests/{}/approve",
                opened["user_code"].as_str().unwrap()
            )))
            .bearer_auth(MASTER)
            .json(&json!({"ttl_hours": 4})),
    )
    .await;
    // The body is valid; the request it names asked for less: a conflict with its state.
    assert_eq!(res.status, 409, "{}", res.text);
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("never lengthen")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_flow_is_in_the_openapi_document_under_both_prefixes() {
    let server = TestServer::start().await;
    let doc = send(client().get(server.url("/api/openapi.json")))
        .await
        .json();
    for prefix in ["/api", "/api/v1"] {
        for path in [
            "/auth/request",
            "/auth/request/{request_id}",
            "/auth/requests",
            "/auth/requests/{user_code}/approve",
            "/auth/requests/{request}/deny",
            "/auth/requests/deny-all",
        ] {
            assert!(
                doc["paths"].get(format!("{prefix}{path}")).is_some(),
                "{prefix}{path}"
            );
        }
    }
    server.shutdown().await;
}
