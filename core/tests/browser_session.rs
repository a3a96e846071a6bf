//! What a browser sees: logging in with the master token sets the `pocketpaw_session`
//! cookie, the cookie opens `/api/auth/verify` and shows on the landing page, logging out
//! clears it; and `POST /api/token/regenerate` rotates the master, revoking every session.

mod common;

use common::{INVALID_MASTER, INVALID_SESSION, MASTER, TestServer, client, now, send};
use serde_json::json;

async fn login(
    server: &TestServer,
    content_type: Option<&str>,
    body: &str,
) -> common::JsonResponse {
    let mut req = client()
        .post(server.url("/api/auth/login"))
        .body(body.to_owned());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    send(req).await
}

fn login_body(token: &str) -> String {
    json!({ "token": token }).to_string()
}

/// The session token in a `Set-Cookie: pocketpaw_session=...` header, with its attributes.
fn session_cookie(res: &common::JsonResponse) -> (String, Vec<String>) {
    let cookies: Vec<&str> = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let mut parts = cookies[0].split(';').map(str::trim);
    let value = parts
        .next()
        .unwrap()
        .strip_prefix("pocketpaw_session=")
        .unwrap_or_else(|| panic!("{cookies:?}"))
        .to_owned();
    (value, parts.map(str::to_owned).collect())
}

#[tokio::test]
async fn login_requires_a_json_content_type() {
    let server = TestServer::start().await;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
    ] {
        let res = login(&server, ct, &login_body(MASTER)).await;
        assert_eq!(res.status, 415, "{ct:?}: {}", res.text);
        assert_eq!(
            res.text,
            r#"{"detail":"Content-Type must be application/json"}"#
        );
        assert!(res.headers.get("set-cookie").is_none());
    }
    // What the page's form would send without its script.
    let res = login(
        &server,
        Some("application/x-www-form-urlencoded"),
        &format!("token={MASTER}"),
    )
    .await;
    assert_eq!(res.status, 415);
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
    ] {
        let res = login(&server, Some(ct), &login_body(MASTER)).await;
        assert_eq!(res.status, 200, "{ct}: {}", res.text);
    }
    assert_eq!(server.state.audit().recent().len(), 3);
}

#[tokio::test]
async fn wrong_or_malformed_logins_set_no_cookie() {
    let server = TestServer::start().await;
    for (body, status) in [
        (login_body("not-the-master-token"), 401),
        (login_body(""), 401),
        (r#"{"token": 5}"#.to_owned(), 422),
        (r#"{"master": "x"}"#.to_owned(), 422),
        (format!(r#"{{"token": "{MASTER}", "remember": true}}"#), 422),
        (format!(r#"["{MASTER}"]"#), 422),
        ("".to_owned(), 422),
        ("{".to_owned(), 422),
    ] {
        let res = login(&server, Some("application/json"), &body).await;
        assert_eq!(res.status, status, "{body}: {}", res.text);
        assert!(res.headers.get("set-cookie").is_none(), "{body}");
        if status == 401 {
            assert_eq!(res.text, INVALID_MASTER);
            assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert!(server.state.audit().recent().is_empty());
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_that_opens_verify_and_logout_clears_it() {
    let server = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.ttl_hours = 3)
        .start()
        .await;
    let before = now();
    let res = login(&server, Some("application/json"), &login_body(MASTER)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let (token, attrs) = session_cookie(&res);
    let exp = common::assert_token_shape(&token, true);
    assert!((before + 3 * 3600..=now() + 3 * 3600).contains(&exp));
    let attrs: Vec<&str> = attrs.iter().map(String::as_str).collect();
    assert_eq!(
        attrs,
        ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=10800"]
    );
    // The body says when, never the token itself (the script cannot read HttpOnly cookies;
    // it should not be able to read the token at all).
    let body = res.json();
    assert_eq!(body["authenticated"], true);
    assert_eq!(body["expires_in_hours"], 3);
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(!res.text.contains(&token[8..]), "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // The cookie opens the protected route.
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .header("Cookie", format!("pocketpaw_session={token}")),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["valid"], true);

    // Log out: the cookie is cleared with the same attributes.
    let res = send(
        client()
            .post(server.url("/api/auth/logout"))
            .header("Cookie", format!("pocketpaw_session={token}")),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({ "logged_out": true }));
    let (value, attrs) = session_cookie(&res);
    assert_eq!(value, "");
    assert!(attrs.iter().any(|a| a == "Max-Age=0"), "{attrs:?}");
    assert!(attrs.iter().any(|a| a == "Path=/"), "{attrs:?}");
    // A browser that applied it holds no cookie, and is no longer let in.
    let res = send(client().get(server.url("/api/auth/verify"))).await;
    assert_eq!(res.status, 401);
    assert_eq!(res.text, INVALID_SESSION);
}

#[tokio::test]
async fn landing_page_has_no_inline_script_and_shows_the_session_expiry() {
    let server = TestServer::start().await;
    let page = |cookie: Option<String>| {
        let mut req = client().get(server.url("/"));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("text/html"), "{ct}");
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
            res.text().await.unwrap()
        }
    };

    let anonymous = page(None).await;
    assert_no_inline_script(&anonymous);
    assert!(
        anonymous.contains("This browser is not logged in."),
        "{anonymous}"
    );
    assert!(anonymous.contains(&format!(
        "http://localhost:{}/api/auth/session",
        server.port
    )));
    assert!(
        anonymous.contains(r#"<form id="login"  method="post""#)
            || anonymous.contains(r#"<form id="login" method="post""#),
        "login form hidden"
    );

    // A valid cookie: the page says until when, and offers log out.
    let res = login(&server, Some("application/json"), &login_body(MASTER)).await;
    let (token, _) = session_cookie(&res);
    let exp = common::assert_token_shape(&token, true);
    let logged_in = page(Some(format!("pocketpaw_session={token}"))).await;
    assert_no_inline_script(&logged_in);
    let at = pawkey_core::clock::rfc3339(exp);
    assert!(
        logged_in.contains(&format!("<time datetime=\"{at}\">")),
        "{logged_in}"
    );
    assert!(logged_in.contains("23 h 59 min left") || logged_in.contains("24 h 0 min left"));
    assert!(logged_in.contains(r#"id="logout""#));
    assert!(
        logged_in.contains(r#"<form id="login" hidden"#),
        "login form shown"
    );
    assert!(!logged_in.contains(&token[8..]), "the page shows the token");
    assert!(!logged_in.contains(MASTER));

    // A cookie that does not verify is treated as none.
    let forged = common::sign(
        "another-master-token-0000",
        exp,
        pawkey_core::token::TokenFormat::Session,
    );
    let forged_page = page(Some(format!("pocketpaw_session={forged}"))).await;
    assert!(forged_page.contains("This browser is not logged in."));

    // The page's own script and style are served from the same origin.
    for (path, ct) in [
        ("/assets/pawkey.js", "text/javascript"),
        ("/assets/pawkey.css", "text/css"),
    ] {
        let res = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct)
        );
    }
}

fn assert_no_inline_script(html: &str) {
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag_end = lower[i..].find('>').map(|e| i + e).unwrap();
        let tag = &lower[i..=tag_end];
        assert!(tag.contains(" src="), "inline script: {tag}");
        let body_end = lower[tag_end..]
            .find("</script>")
            .map(|e| tag_end + e)
            .unwrap();
        assert_eq!(&lower[tag_end + 1..body_end], "", "inline script body");
    }
    assert!(!lower.contains("javascript:"), "javascript: URL");
    for handler in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onerror=",
        " oninput=",
    ] {
        assert!(!lower.contains(handler), "inline handler {handler}");
    }
    assert!(!lower.contains("<style"), "inline style");
}

#[tokio::test]
async fn regenerate_needs_the_master_rotates_it_and_revokes_every_session() {
    let server = TestServer::start().await;
    let old_session = server.mint().await;

    // A session token is not enough; neither is nothing.
    for auth in [
        Some(old_session.clone()),
        None,
        Some("wrong-master-token-000".into()),
    ] {
        let mut req = client().post(server.url("/api/token/regenerate"));
        if let Some(a) = &auth {
            req = req.bearer_auth(a);
        }
        let res = send(req).await;
        assert_eq!(res.status, 401, "{auth:?}");
        assert_eq!(res.text, INVALID_MASTER);
    }
    assert!(
        server.state.is_master(MASTER).unwrap(),
        "rotated by a refused request"
    );

    let res = send(
        client()
            .post(server.url("/api/v1/token/regenerate"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let body = res.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["pocketpaw_updated", "token"]);
    // Not kept in step with PocketPaw unless imported from it.
    assert_eq!(body["pocketpaw_updated"], false);
    let new_master = body["token"].as_str().unwrap().to_owned();
    assert_eq!(new_master.len(), 64);
    assert!(
        new_master
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // Every earlier session token is revoked, whichever way it is presented.
    for req in [
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&old_session),
        client().get(server.url(&format!("/api/auth/verify?token={old_session}"))),
        client()
            .get(server.url("/api/auth/verify"))
            .header("Cookie", format!("pocketpaw_session={old_session}")),
    ] {
        let res = send(req).await;
        assert_eq!(res.status, 401);
        assert_eq!(res.text, INVALID_SESSION);
    }
    // The old master no longer mints; the new one does, and its tokens verify.
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 401);
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(&new_master),
    )
    .await;
    assert_eq!(res.status, 200);
    let fresh = res.json()["session_token"].as_str().unwrap().to_owned();
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&fresh),
    )
    .await;
    assert_eq!(res.status, 200);
    // And the old master can no longer log a browser in.
    let res = login(&server, Some("application/json"), &login_body(MASTER)).await;
    assert_eq!(res.status, 401);
}

/// When the keychain refuses the new master, the old one stays in force and nothing is
/// lost: its session tokens keep working.
#[tokio::test]
async fn a_rotation_the_keychain_refuses_keeps_the_old_master() {
    let master = pawkey_core::secret::MasterToken::parse(MASTER.to_owned()).unwrap();
    let store = std::sync::Arc::new(pawkey_core::store::MemoryStore::with(master));
    let server = TestServer::builder()
        .lenient_limiter()
        .store(store.clone())
        .start()
        .await;
    let session = server.mint().await;
    store.fail_writes(true);
    let res = send(
        client()
            .post(server.url("/api/token/regenerate"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 503, "{}", res.text);
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("the current master token is still valid"),
        "{}",
        res.text
    );
    assert_eq!(store.stored().as_deref(), Some(MASTER));
    let res = send(
        client()
            .get(server.url("/api/auth/verify"))
            .bearer_auth(&session),
    )
    .await;
    assert_eq!(res.status, 200);
    let res = send(
        client()
            .post(server.url("/api/auth/session"))
            .bearer_auth(MASTER),
    )
    .await;
    assert_eq!(res.status, 200);
}

/// The landing page's example never has the user put the master token in curl's arguments
/// (readable by every local user): curl reads the header from stdin.
#[tokio::test]
async fn landing_page_example_keeps_the_master_off_the_command_line() {
    let server = TestServer::start().await;
    let page = client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Bearer &lt;master&gt;"), "{page}");
    assert!(!page.contains("Authorization: Bearer $"), "{page}");
    assert!(
        page.contains("pawkey master show | sed &#39;s/^/Authorization: Bearer /&#39; |")
            || page.contains("pawkey master show | sed 's/^/Authorization: Bearer /' |"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "curl -X POST \"http://localhost:{}/api/auth/session\" -H @-",
            server.port
        )),
        "{page}"
    );
}
