//! `GET /api/qr`: the phone-pairing QR code needs a credential (unlike PocketPaw's own QR
//! endpoint) and carries a token that lives ten minutes.

mod common;

use common::{INVALID_SESSION, MASTER, TestServer, client, now, send};

#[tokio::test]
async fn qr_needs_a_credential() {
    let server = TestServer::start().await;
    let res = send(client().get(server.url("/api/qr"))).await;
    assert_eq!(res.status, 401);
    assert_eq!(res.text, INVALID_SESSION);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));

    let res = send(
        client()
            .get(server.url("/api/qr"))
            .bearer_auth("not-the-master-token"),
    )
    .await;
    assert_eq!(res.status, 401);
    assert!(
        server.state.audit().recent().is_empty(),
        "nothing minted for a refused request"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn qr_with_master_or_session_is_an_svg_with_a_ten_minute_token() {
    let server = TestServer::start().await;
    let session = server.mint().await;
    for (what, req) in [
        (
            "master",
            client().get(server.url("/api/qr")).bearer_auth(MASTER),
        ),
        (
            "session header",
            client().get(server.url("/api/qr")).bearer_auth(&session),
        ),
        (
            "session query",
            client().get(server.url(&format!("/api/qr?token={session}"))),
        ),
    ] {
        let before = now();
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{what}");
        assert_eq!(res.headers()["content-type"], "image/svg+xml", "{what}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{what}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("<svg") && body.contains("</svg>"),
            "{what}: {body:.80}"
        );

        let entry = &server.state.audit().recent()[0];
        assert_eq!(entry.client.as_deref(), Some("127.0.0.1"), "{what}");
        let lifetime = entry.expires_at - before;
        assert!(
            (599..=601).contains(&lifetime),
            "{what}: token lives {lifetime} s"
        );
    }
    server.shutdown().await;
}
