//! Bad session tokens on `GET /api/auth/verify` through each carrier (Bearer header,
//! `?token=`, the `pocketpaw_session` cookie), valid tokens through each carrier, and bad
//! `Authorization` headers on `POST /api/auth/session` — including bytes no HTTP library
//! would send, written to a raw socket. Every refusal is a JSON 4xx, never a 5xx.

mod common;

use common::{
    INVALID_MASTER, INVALID_SESSION, JsonResponse, MASTER, RawResponse, TestServer, client,
    mac_hex, now, raw, sign,
};
use pawkey_core::token::TokenFormat;

/// How a token is presented.
#[derive(Debug, Clone, Copy)]
enum Carrier {
    Bearer,
    Query,
    Cookie,
}

const CARRIERS: [Carrier; 3] = [Carrier::Bearer, Carrier::Query, Carrier::Cookie];

/// `GET /api/auth/verify` with `token` presented by `carrier`, over a raw socket so that any
/// byte can be sent exactly as given.
async fn verify_raw(server: &TestServer, carrier: Carrier, token: &str) -> RawResponse {
    let mut path = "/api/auth/verify".to_owned();
    let mut extra = String::new();
    match carrier {
        Carrier::Bearer => extra = format!("Authorization: Bearer {token}\r\n"),
        Carrier::Query => {
            path.push_str("?token=");
            path.extend(form_urlencoded::byte_serialize(token.as_bytes()));
        }
        Carrier::Cookie => extra = format!("Cookie: theme=dark; pocketpaw_session={token}\r\n"),
    }
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n",
        server.host()
    );
    raw(server.addr, request.as_bytes()).await
}

/// The bad tokens: each is refused whatever carries it.
fn bad_tokens(good: &str) -> Vec<(&'static str, String)> {
    let body = good.strip_prefix("session:").unwrap();
    let (exp, sig) = body.split_once(':').unwrap();
    let exp_n: u64 = exp.parse().unwrap();
    let flip = |s: &str, i: usize| {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    };
    // Tokens whose MAC is right for the text they carry, but whose expiry is not written
    // canonically: PocketPaw's `int()` would read them; PawKey's one canonical form does not.
    let noncanonical = |text: String| {
        let mac = mac_hex(MASTER, &text);
        format!("session:{text}:{mac}")
    };
    vec![
        ("empty", String::new()),
        ("prefix only", "session:".into()),
        ("expiry only", format!("session:{exp}")),
        ("expiry and colon", format!("session:{exp}:")),
        ("truncated by one", good[..good.len() - 1].into()),
        ("truncated to half", good[..good.len() / 2].into()),
        ("one extra hex digit", format!("{good}0")),
        ("bad MAC (last digit)", flip(good, good.len() - 1)),
        ("bad MAC (first digit)", flip(good, good.len() - 64)),
        ("expiry changed", format!("session:{}:{sig}", exp_n + 1)),
        (
            "expired (signed, a minute ago)",
            sign(MASTER, now() - 60, TokenFormat::Session),
        ),
        (
            "expired (bare form)",
            sign(MASTER, now() - 60, TokenFormat::Pocketpaw),
        ),
        (
            "expired at the epoch",
            sign(MASTER, 0, TokenFormat::Session),
        ),
        ("leading zero", noncanonical(format!("0{exp}"))),
        ("plus sign", noncanonical(format!("+{exp}"))),
        ("minus sign", noncanonical(format!("-{exp}"))),
        ("leading space in expiry", noncanonical(format!(" {exp}"))),
        ("trailing space in expiry", noncanonical(format!("{exp} "))),
        (
            "underscore in expiry",
            noncanonical(format!("{}_{}", &exp[..3], &exp[3..])),
        ),
        (
            "uppercase hex",
            format!("session:{exp}:{}", sig.to_uppercase()),
        ),
        ("space inside", format!("session:{exp}: {}", &sig[1..])),
        (
            "wrong master",
            sign("another-master-token-0000", exp_n, TokenFormat::Session),
        ),
        ("the master itself", MASTER.into()),
        ("session:session:", format!("session:{good}")),
        ("Session: (capital)", format!("Session:{body}")),
        ("SESSION:", format!("SESSION:{body}")),
        ("session:: (empty expiry)", format!("session::{body}")),
        ("other prefix", format!("pocketpaw:{body}")),
        ("prefix without colon", format!("session{body}")),
        ("suffix", format!("{good}:extra")),
        ("non-ASCII", format!("session:{exp}:{}é", &sig[..62])),
        ("huge expiry", noncanonical("99999999999999999999".into())),
        ("very long", format!("{good}{}", "a".repeat(4000))),
    ]
}

#[tokio::test]
async fn bad_session_tokens_are_401_json_through_every_carrier() {
    let server = TestServer::start().await;
    let good = server.mint().await;
    for (name, token) in bad_tokens(&good) {
        for carrier in CARRIERS {
            let res = verify_raw(&server, carrier, &token).await;
            assert_eq!(
                res.status,
                401,
                "{name} via {carrier:?} ({token:?}): {}",
                res.text()
            );
            assert_eq!(
                res.json(),
                serde_json::from_str::<serde_json::Value>(INVALID_SESSION).unwrap(),
                "{name} via {carrier:?}"
            );
            assert_eq!(
                res.header("www-authenticate"),
                Some("Bearer"),
                "{name} via {carrier:?}"
            );
        }
    }
    // And the server still works.
    let res = verify_raw(&server, Carrier::Bearer, &good).await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn query_tokens_with_bytes_headers_cannot_carry_are_refused() {
    let server = TestServer::start().await;
    let good = server.mint().await;
    for (name, token) in [
        ("NUL", format!("{good}\0")),
        ("newline", format!("{good}\n")),
        ("invalid UTF-8 escape", format!("{good}%FF")),
    ] {
        let path = format!(
            "/api/auth/verify?token={}",
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        );
        let res = common::send(client().get(server.url(&path))).await;
        assert_eq!(res.status, 401, "{name}: {}", res.text);
        assert_eq!(res.text, INVALID_SESSION);
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ`, checked strictly (written here rather than taken
/// from PawKey, which formats the value under test).
fn parse_rfc3339_utc(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

fn assert_valid(res: &RawResponse, exp: u64, what: &str) {
    assert_eq!(res.status, 200, "{what}: {}", res.text());
    let body = res.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["expires_at", "expires_in_seconds", "valid"],
        "{what}"
    );
    assert_eq!(body["valid"], true);
    let at = body["expires_at"].as_str().unwrap();
    let parsed = parse_rfc3339_utc(at)
        .unwrap_or_else(|| panic!("{what}: expires_at {at:?} is not RFC 3339 UTC"));
    assert_eq!(parsed, exp, "{what}");
    assert!(at.ends_with('Z'), "{what}: {at} is not UTC");
    let left = body["expires_in_seconds"].as_u64().unwrap();
    assert!(
        (exp.saturating_sub(now() + 5)..=exp - now() + 5).contains(&left),
        "{what}: expires_in_seconds {left}, expiry {exp}"
    );
}

#[tokio::test]
async fn a_valid_token_opens_verify_through_every_carrier_in_both_forms() {
    let server = TestServer::start().await;
    let minted = server.mint().await;
    let exp = common::assert_token_shape(&minted, true);
    let bare = minted.strip_prefix("session:").unwrap().to_owned();
    for token in [&minted, &bare] {
        for carrier in CARRIERS {
            let res = verify_raw(&server, carrier, token).await;
            assert_valid(&res, exp, &format!("{carrier:?} {token}"));
            assert_eq!(res.header("cache-control"), Some("no-store"));
        }
    }
    // Both API prefixes, with a real client.
    for prefix in ["/api", "/api/v1"] {
        let res = JsonResponse::read(
            client()
                .get(server.url(&format!("{prefix}/auth/verify")))
                .bearer_auth(&minted)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(res.status, 200, "{prefix}");
    }
}

/// A token expiring in one second is valid now (validity includes the expiry second).
#[tokio::test]
async fn a_token_at_its_last_second_is_still_valid() {
    let server = TestServer::start().await;
    let exp = now() + 2;
    let token = sign(MASTER, exp, TokenFormat::Session);
    let res = verify_raw(&server, Carrier::Bearer, &token).await;
    assert_valid(&res, exp, "two seconds left");
}

/// `POST /api/auth/session` with exactly these header lines (raw bytes), no body.
async fn mint_raw(server: &TestServer, header_lines: &[u8]) -> RawResponse {
    let mut request = format!(
        "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n",
        server.host()
    )
    .into_bytes();
    request.extend_from_slice(header_lines);
    request.extend_from_slice(b"\r\n");
    raw(server.addr, &request).await
}

#[tokio::test]
async fn bad_authorization_headers_are_401_json() {
    let server = TestServer::start().await;
    let session = server.mint().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no header", vec![]),
        ("empty header", b"Authorization: \r\n".to_vec()),
        (
            "Basic",
            format!("Authorization: Basic {MASTER}\r\n").into_bytes(),
        ),
        (
            "Basic, base64",
            b"Authorization: Basic dXNlcjpwYXNzd29yZA==\r\n".to_vec(),
        ),
        ("Bearer alone", b"Authorization: Bearer\r\n".to_vec()),
        ("Bearer and spaces", b"Authorization: Bearer    \r\n".to_vec()),
        (
            "no space after Bearer",
            format!("Authorization: Bearer{MASTER}\r\n").into_bytes(),
        ),
        (
            "wrong master",
            b"Authorization: Bearer 11111111-2222-3333-4444-555555555555\r\n".to_vec(),
        ),
        (
            "master with one character changed",
            format!("Authorization: Bearer {}0\r\n", &MASTER[..MASTER.len() - 1]).into_bytes(),
        ),
        (
            "master prefix",
            format!("Authorization: Bearer {}\r\n", &MASTER[..20]).into_bytes(),
        ),
        (
            "master and more",
            format!("Authorization: Bearer {MASTER}x\r\n").into_bytes(),
        ),
        (
            "master and a second word",
            format!("Authorization: Bearer {MASTER} extra\r\n").into_bytes(),
        ),
        (
            "a session token instead of the master",
            format!("Authorization: Bearer {session}\r\n").into_bytes(),
        ),
        (
            "token scheme",
            format!("Authorization: Token {MASTER}\r\n").into_bytes(),
        ),
        (
            "master in a cookie",
            format!("Cookie: pocketpaw_session={MASTER}\r\n").into_bytes(),
        ),
        (
            "non-UTF-8 token",
            b"Authorization: Bearer \xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\r\n"
                .to_vec(),
        ),
        (
            "non-UTF-8 scheme",
            [b"Authorization: B\xc3arer ".as_slice(), MASTER.as_bytes(), b"\r\n"].concat(),
        ),
        (
            "Latin-1 byte after the master",
            [
                format!("Authorization: Bearer {MASTER}").as_bytes(),
                b"\xe9\r\n",
            ]
            .concat(),
        ),
    ];
    for (name, lines) in cases {
        let res = mint_raw(&server, &lines).await;
        assert_eq!(res.status, 401, "{name}: {}", res.text());
        assert_eq!(
            res.json(),
            serde_json::from_str::<serde_json::Value>(INVALID_MASTER).unwrap(),
            "{name}"
        );
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{name}");
    }
    assert_eq!(
        server.state.audit().recent().len(),
        1,
        "only the first mint"
    );
}

#[tokio::test]
async fn scheme_is_case_insensitive_and_surrounding_whitespace_is_ignored() {
    let server = TestServer::start().await;
    for lines in [
        format!("Authorization: bearer {MASTER}\r\n"),
        format!("Authorization: BEARER {MASTER}\r\n"),
        format!("Authorization: bEaReR {MASTER}\r\n"),
        format!("Authorization:    Bearer {MASTER}   \r\n"),
        format!("Authorization: Bearer     {MASTER}\r\n"),
        format!("Authorization:\tBearer\t{MASTER}\t\r\n"),
    ] {
        let res = mint_raw(&server, lines.as_bytes()).await;
        assert_eq!(res.status, 200, "{lines:?}: {}", res.text());
        common::assert_token_shape(res.json()["session_token"].as_str().unwrap(), true);
    }
}

#[tokio::test]
async fn huge_headers_are_431_json_and_never_5xx() {
    let server = TestServer::start().await;
    for (name, lines) in [
        (
            "huge Authorization",
            format!("Authorization: Bearer {}\r\n", "a".repeat(20 * 1024)),
        ),
        (
            "huge other header",
            format!(
                "Authorization: Bearer {MASTER}\r\nX-Padding: {}\r\n",
                "p".repeat(20 * 1024)
            ),
        ),
        (
            "many headers",
            (0..90)
                .map(|i| format!("X-Header-{i}: {}\r\n", "v".repeat(100)))
                .collect::<String>(),
        ),
    ] {
        let res = mint_raw(&server, lines.as_bytes()).await;
        assert_eq!(res.status, 431, "{name}: {}", res.text());
        assert_eq!(
            res.json()["detail"],
            "Request headers too large (limit 8 KiB)",
            "{name}"
        );
    }
    // Far beyond what the HTTP parser buffers (it answers on its own; the answer is
    // rewritten to our JSON): still a 431, never a 5xx or a hang.
    let res = mint_raw(
        &server,
        format!("X-Padding: {}\r\n", "p".repeat(1024 * 1024)).as_bytes(),
    )
    .await;
    assert_eq!(res.status, 431, "{}", res.text());
    assert_eq!(
        res.json()["detail"],
        "Request headers too large (limit 8 KiB)"
    );
    assert_eq!(server.state.audit().recent().len(), 0);
}

/// Control bytes in a header are malformed HTTP: the parser refuses the request (400) and
/// nothing reaches a handler.
#[tokio::test]
async fn control_bytes_in_headers_are_refused_not_served() {
    let server = TestServer::start().await;
    for lines in [
        format!("Authorization: Bearer {MASTER}\0\r\n").into_bytes(),
        format!("Authorization: Bearer {MASTER}\x7f\r\n").into_bytes(),
        format!("Authorization: Bearer {MASTER}\x01x\r\n").into_bytes(),
    ] {
        let res = mint_raw(&server, &lines).await;
        assert!(
            (400..500).contains(&res.status),
            "{lines:?}: {} {}",
            res.status,
            res.text()
        );
    }
    assert_eq!(server.state.audit().recent().len(), 0);
}
