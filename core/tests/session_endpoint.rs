//! `POST /api/auth/session` over real HTTP: the exact response shape, the token format and
//! lifetime, `token_format = "pocketpaw"`, and the optional `{"ttl_hours": N}` body.

mod common;

use common::{MASTER, TestServer, assert_token_shape, client, now, send};
use serde_json::json;

/// The two documented requests (with and without `Content-Type: application/json`, never a
/// body) answer 200 with exactly `session_token` and `expires_in_hours`.
#[tokio::test]
async fn documented_requests_answer_exactly_the_documented_body() {
    let server = TestServer::start().await;
    for with_content_type in [false, true] {
        let mut req = client()
            .post(server.url("/api/auth/session"))
            .header("Authorization", format!("Bearer {MASTER}"));
        if with_content_type {
            req = req.header("Content-Type", "application/json");
        }
        let before = now();
        let res = send(req).await;
        let after = now();
        assert_eq!(
            res.status, 200,
            "content-type {with_content_type}: {}",
            res.text
        );
        let body = res.json();
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["expires_in_hours", "session_token"], "{}", res.text);
        assert_eq!(body["expires_in_hours"], json!(24));
        let exp = assert_token_shape(body["session_token"].as_str().unwrap(), true);
        assert!(
            (before + 24 * 3600..=after + 24 * 3600).contains(&exp),
            "expiry {exp} is not 24 h from now ({before})"
        );
        assert_eq!(res.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn expires_in_hours_is_the_configured_ttl() {
    let server = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.ttl_hours = 8)
        .start()
        .await;
    let before = now();
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["expires_in_hours"], json!(8));
    let exp = assert_token_shape(body["session_token"].as_str().unwrap(), true);
    assert!(
        (before + 8 * 3600..=now() + 8 * 3600).contains(&exp),
        "{exp}"
    );
}

#[tokio::test]
async fn pocketpaw_format_mints_the_bare_form_and_it_verifies() {
    let server = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.token_format = pawkey_core::token::TokenFormat::Pocketpaw)
        .start()
        .await;
    let token = server.mint().await;
    assert_token_shape(&token, false);
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

#[tokio::test]
async fn ttl_hours_in_range_shortens_the_token() {
    let server = TestServer::start().await;
    for (body, hours) in [
        (r#"{"ttl_hours": 1}"#, 1),
        (r#"{"ttl_hours": 12}"#, 12),
        (r#"{"ttl_hours": 24}"#, 24),
        (r#"{"ttl_hours": null}"#, 24),
        ("{}", 24),
        ("", 24),
        ("  \n", 24),
    ] {
        let before = now();
        let res = send(
            client()
                .post(server.url("/api/auth/session"))
                .bearer_auth(MASTER)
                .header("Content-Type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(res.status, 200, "body {body:?}: {}", res.text);
        let json = res.json();
        assert_eq!(json["expires_in_hours"], json!(hours), "body {body:?}");
        let exp = assert_token_shape(json["session_token"].as_str().unwrap(), true);
        let want = u64::try_from(hours).unwrap() * 3600;
        assert!(
            (before + want..=now() + want).contains(&exp),
            "body {body:?}"
        );
    }
}

#[tokio::test]
async fn bad_ttl_bodies_answer_422_json_and_mint_nothing() {
    let server = TestServer::start().await;
    let cases = [
        ("zero", r#"{"ttl_hours": 0}"#, Some("between 1 and 24")),
        ("negative", r#"{"ttl_hours": -3}"#, Some("between 1 and 24")),
        (
            "above the configured ttl",
            r#"{"ttl_hours": 25}"#,
            Some("between 1 and 24"),
        ),
        (
            "above the maximum",
            r#"{"ttl_hours": 721}"#,
            Some("between 1 and 24"),
        ),
        ("string", r#"{"ttl_hours": "5"}"#, Some("Invalid JSON body")),
        ("float", r#"{"ttl_hours": 1.5}"#, Some("Invalid JSON body")),
        (
            "huge number",
            r#"{"ttl_hours": 1e400}"#,
            Some("Invalid JSON body"),
        ),
        ("unknown field", r#"{"ttl": 5}"#, Some("unknown field")),
        (
            "extra field",
            r#"{"ttl_hours": 5, "scope": "all"}"#,
            Some("unknown field"),
        ),
        ("not JSON", "ttl_hours=5", Some("Invalid JSON body")),
        (
            "truncated JSON",
            r#"{"ttl_hours": 5"#,
            Some("Invalid JSON body"),
        ),
        ("array", "[5]", Some("Invalid JSON body")),
        ("null", "null", Some("Invalid JSON body")),
    ];
    for (name, body, detail) in cases {
        let res = send(
            client()
                .post(server.url("/api/auth/session"))
                .bearer_auth(MASTER)
                .header("Content-Type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(res.status, 422, "{name}: {}", res.text);
        let json = res.json();
        let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["detail"], "{name}: {}", res.text);
        if let Some(d) = detail {
            assert!(
                json["detail"].as_str().unwrap().contains(d),
                "{name}: {}",
                res.text
            );
        }
    }
    assert!(
        server.state.audit().recent().is_empty(),
        "a refused request minted a token"
    );
}

/// A wrong master is refused before the body is looked at, whatever the body says.
#[tokio::test]
async fn wrong_master_with_a_body_is_401_not_422() {
    let server = TestServer::start().await;
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth("not-the-master-token")
            .header("Content-Type", "application/json")
            .body(r#"{"ttl_hours": 0}"#),
    )
    .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.text, common::INVALID_MASTER);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn both_api_prefixes_mint_and_the_audit_log_records_each_mint_without_the_token() {
    let server = TestServer::start().await;
    let mut tokens = Vec::new();
    for prefix in ["/api", "/api/v1"] {
        let res = send(
            client()
                .post(server.url(&format!("{prefix}/auth/session")))
                .bearer_auth(MASTER),
        )
        .await;
        assert_eq!(res.status, 200, "{prefix}: {}", res.text);
        tokens.push(res.json()["session_token"].as_str().unwrap().to_owned());
    }
    let audit = server.state.audit().recent();
    assert_eq!(audit.len(), 2);
    for (entry, token) in audit.iter().zip(&tokens) {
        assert_eq!(entry.client.as_deref(), Some("127.0.0.1"));
        assert_eq!(entry.fingerprint, pawkey_core::token::fingerprint(token));
        let line = serde_json::to_string(entry).unwrap();
        assert!(!line.contains(token.as_str()), "{line}");
        assert!(!line.contains(&token[token.len() - 64..]), "{line}");
    }
}

/// First run with a keychain that refuses the new master: PawKey does not use a token it
/// could not store. Every route that needs the master says so (503 JSON, the cause named),
/// never a 500, and health still answers.
#[tokio::test]
async fn without_a_usable_master_token_routes_answer_503_json() {
    let store = std::sync::Arc::new(pawkey_core::store::MemoryStore::default());
    store.fail_writes(true);
    let server = TestServer::builder()
        .lenient_limiter()
        .store(store)
        .start()
        .await;
    let any_token = common::sign(MASTER, now() + 60, pawkey_core::token::TokenFormat::Session);
    for req in [
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&any_token),
        client()
            .post(server.url("/api/auth/login"))
            .json(&json!({ "token": MASTER })),
        client()
            .post(server.url("/api/token/regenerate"))
            .bearer_auth(MASTER),
    ] {
        let res = send(req).await;
        assert_eq!(res.status, 503, "{}", res.text);
        let detail = res.json()["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.contains("master token") && detail.contains("simulated failure"),
            "{detail}"
        );
    }
    let res = send(client().get(server.url("/api/health"))).await;
    assert_eq!(res.status, 200);
}
