//! The real `pawkeyd` binary against the real Secret Service (gnome-keyring in the test's
//! D-Bus session; a random service name per test, deleted at the end): `token`, `verify`,
//! `master show|rotate|import`, `status`, `--master-token-file`, config errors, a missing
//! Secret Service, a port in use, graceful SIGTERM, and no secret in a trace-level log.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Pawkeyd, ServeProcess, assert_token_shape, now, run_command, sign};
use pawkey_core::store::MasterStore;
use pawkey_core::token::TokenFormat;

const UUID: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";
const NO_SECRET_SERVICE: &str = "no Secret Service on the session bus";
const NO_SECRET_SERVICE_FIX: &str =
    "— start gnome-keyring or KeePassXC, or use --master-token-file";

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[test]
fn version_and_help() {
    let p = Pawkeyd::new();
    let out = p.ok(&["--version"]);
    assert_eq!(out.trim(), format!("pawkeyd {}", env!("CARGO_PKG_VERSION")));
    let help = p.ok(&["--help"]);
    for cmd in [
        "serve",
        "token",
        "verify",
        "master",
        "status",
        "--master-token-file",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}: {help}");
    }
}

#[test]
fn token_creates_the_master_on_first_run_and_prints_only_the_token() {
    let p = Pawkeyd::new();
    let before = now();
    let first = p.run(&["token"], None);
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(
        first.stderr.contains(&format!(
            "Created a new master token and stored it in the OS keychain (service {}, account master-token)",
            p.keyring.service
        )),
        "{first:?}"
    );
    let token = first.stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains('\n'), "{first:?}");
    let exp = assert_token_shape(token, true);
    assert!((before + 24 * 3600..=now() + 24 * 3600).contains(&exp));

    // The master is now in the keychain: 64 hex characters, and it signed the token.
    let master = p.master();
    assert!(is_lower_hex(&master, 64), "{master}");
    assert_eq!(sign(&master, exp, TokenFormat::Session), token);
    assert_eq!(
        p.keyring
            .store()
            .load()
            .unwrap()
            .map(|m| m.expose().to_owned()),
        Some(master.clone())
    );

    // Later runs reuse it and say nothing about creating one.
    let second = p.run(
        &["token", "--ttl-hours", "2", "--format", "pocketpaw"],
        None,
    );
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(!second.stderr.contains("Created"), "{second:?}");
    let exp2 = assert_token_shape(second.stdout.trim(), false);
    assert!((before + 2 * 3600..=now() + 2 * 3600).contains(&exp2));
    assert_eq!(p.master(), master);

    // Each CLI mint is in the audit log, without the token.
    let audit = std::fs::read_to_string(p.data_dir().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{audit}");
    assert!(lines.iter().all(|l| l["source"] == "cli"), "{audit}");
    assert!(!audit.contains(&token[8..]), "{audit}");
}

#[test]
fn token_refuses_a_lifetime_out_of_range() {
    let p = Pawkeyd::new();
    for ttl in ["0", "25", "-1"] {
        let run = p.run(&["token", &format!("--ttl-hours={ttl}")], None);
        assert_eq!(run.code, Some(1), "{ttl}: {run:?}");
        assert_eq!(run.stdout, "", "{ttl}");
        assert!(
            run.stderr
                .contains("error: ttl_hours must be between 1 and 24 (the configured ttl_hours)"),
            "{ttl}: {run:?}"
        );
    }
}

#[test]
fn verify_reports_valid_expired_and_invalid_with_exit_codes() {
    let p = Pawkeyd::new();
    p.run(&["master", "import"], Some(&format!("{UUID}\n")));
    assert_eq!(p.master(), UUID);

    let token = p.ok(&["token"]).trim().to_owned();
    let run = p.run(&["verify", &token], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let exp = assert_token_shape(&token, true);
    let at = pawkey_core::clock::rfc3339(exp);
    assert!(
        run.stdout == format!("valid: expires {at} (in 23 h 59 min)\n")
            || run.stdout == format!("valid: expires {at} (in 24 h 0 min)\n"),
        "{run:?}"
    );
    // From stdin, keeping it out of the process list; the bare form too.
    let run = p.run(&["verify", "-"], Some(&format!("{}\n", &token[8..])));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("valid: expires "), "{run:?}");

    let expired_at = now() - 120;
    let expired = sign(UUID, expired_at, TokenFormat::Session);
    let run = p.run(&["verify", &expired], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stdout,
        format!("expired: at {}\n", pawkey_core::clock::rfc3339(expired_at))
    );

    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for (bad, why) in [
        (tampered.as_str(), "signature does not match"),
        ("garbage", "malformed session token"),
        (
            &*sign("another-master-0000", now() + 60, TokenFormat::Session),
            "signature does not match",
        ),
        (&*format!("session:0{}", &token[8..]), "leading zeros"),
        ("", "malformed"),
    ] {
        let run = p.run(&["verify", bad], None);
        assert_eq!(run.code, Some(1), "{bad}: {run:?}");
        assert!(
            run.stdout.starts_with("invalid: ") && run.stdout.contains(why),
            "{bad}: {run:?}"
        );
    }
}

#[test]
fn master_rotate_replaces_the_master_and_revokes_tokens() {
    let p = Pawkeyd::new();
    let token = p.ok(&["token"]).trim().to_owned();
    let old = p.master();
    let run = p.run(&["master", "rotate"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "", "rotate printed the new master: {run:?}");
    assert!(
        run.stderr
            .contains("Rotated the master token in the OS keychain"),
        "{run:?}"
    );
    let new = p.master();
    assert!(is_lower_hex(&new, 64));
    assert_ne!(new, old);
    let run = p.run(&["verify", &token], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("signature does not match"), "{run:?}");
}

#[test]
fn master_import_from_stdin_accepts_pocketpaws_uuid_and_refuses_bad_tokens_with_a_reason() {
    let p = Pawkeyd::new();
    let run = p.run(&["master", "import"], Some(&format!("{UUID}\n")));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Imported the master token"), "{run:?}");
    assert_eq!(p.master(), UUID);

    let too_long = "a".repeat(513);
    for (input, reason) in [
        (
            "short\n",
            "too short (5 characters; at least 16 are needed)",
        ),
        ("", "too short (0 characters"),
        (
            too_long.as_str(),
            "too long (513 characters; at most 512 are allowed)",
        ),
        ("abcdefgh ijklmnopq", "not printable ASCII at position 9"),
        ("abcdefghijklmnopé", "not printable ASCII at position 17"),
        ("abcdefgh\tijklmnopq\n", "not printable ASCII at position 9"),
    ] {
        let run = p.run(&["master", "import"], Some(input));
        assert_eq!(run.code, Some(1), "{input:?}: {run:?}");
        assert!(
            run.stderr.contains("error: not imported: the master token")
                && run.stderr.contains(reason),
            "{input:?}: {run:?}"
        );
        assert_eq!(p.master(), UUID, "a refused import changed the master");
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows takes the home folder from the profile, not $HOME (the Windows black-box suite checks %USERPROFILE%\\.pocketpaw)"
)]
fn master_import_from_pocketpaw_reads_its_token_file() {
    let p = Pawkeyd::new();
    let home = tempfile::tempdir().unwrap();
    // Nothing there yet: the message says where it looked and what else to do.
    let mut cmd = p.command();
    cmd.env("HOME", home.path())
        .args(["master", "import", "--from-pocketpaw"]);
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(1), "{run:?}");
    let path = home.path().join(".pocketpaw/access_token");
    assert!(
        run.stderr.contains(&path.display().to_string())
            && run.stderr.contains("pawkey master import < file"),
        "{run:?}"
    );

    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{UUID}\n")).unwrap();
    let mut cmd = p.command();
    cmd.env("HOME", home.path())
        .args(["master", "import", "--from-pocketpaw"]);
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(p.master(), UUID);

    // A file holding something that is not a usable token is refused with the reason.
    std::fs::write(&path, "not a token").unwrap();
    let mut cmd = p.command();
    cmd.env("HOME", home.path())
        .args(["master", "import", "--from-pocketpaw"]);
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("not imported"), "{run:?}");
    assert_eq!(p.master(), UUID);
}

#[test]
fn status_says_where_the_master_lives_and_what_is_configured() {
    let p = Pawkeyd::new();
    let mut cmd = p.command();
    cmd.env_remove("PAWKEY_PORT").arg("status");
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let location = format!(
        "OS keychain (service {}, account master-token)",
        p.keyring.service
    );
    let config = p.config_file().display().to_string();
    for line in [
        format!("Master token:  {location} — not created yet"),
        format!("Config file:   {config} (not present; defaults in use)"),
        "Server:        http://127.0.0.1:8000 (port 8000)".to_owned(),
        "Session TTL:   24 hours".to_owned(),
        "Token format:  session".to_owned(),
    ] {
        assert!(
            run.stdout.contains(&line),
            "missing {line:?} in:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("ERROR"));

    p.ok(&["token"]);
    std::fs::write(
        p.config_file(),
        "port = 9123\nttl_hours = 8\ntoken_format = \"pocketpaw\"\n",
    )
    .unwrap();
    let mut cmd = p.command();
    cmd.env_remove("PAWKEY_PORT")
        .env("PAWKEY_TTL_HOURS", "5")
        .arg("status");
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(0), "{run:?}");
    for line in [
        format!("Master token:  {location} — OK"),
        format!("Config file:   {config}\n"),
        "Server:        http://127.0.0.1:9123 (port 9123)".to_owned(),
        "Session TTL:   5 hours".to_owned(),
        "Token format:  pocketpaw".to_owned(),
    ] {
        assert!(
            run.stdout.contains(&line),
            "missing {line:?} in:\n{}",
            run.stdout
        );
    }
    // The master itself is never shown by status.
    assert!(!run.stdout.contains(&p.master()));

    // An IPv6 bind address is shown as a usable URL.
    let mut cmd = p.command();
    cmd.env_remove("PAWKEY_PORT")
        .env("PAWKEY_BIND", "::1")
        .arg("status");
    let run = run_command(&mut cmd, None);
    assert!(
        run.stdout
            .contains("Server:        http://[::1]:9123 (port 9123)"),
        "{}",
        run.stdout
    );
}

#[cfg(unix)]
#[test]
fn master_token_file_must_be_private_and_is_never_written() {
    use std::os::unix::fs::PermissionsExt;
    let p = Pawkeyd::new();
    let file = p.dir.path().join("master-token");
    std::fs::write(&file, format!("{UUID}\n")).unwrap();
    let path = file.display().to_string();

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [vec!["token"], vec!["master", "show"]] {
        let run = p.run(
            &[&["--master-token-file", &path][..], &args[..]].concat(),
            None,
        );
        assert_eq!(run.code, Some(3), "{args:?}: {run:?}");
        assert!(
            run.stderr
                .contains("its mode is 0644, readable by other users")
                && run.stderr.contains(&format!("run `chmod 600 {path}`")),
            "{args:?}: {run:?}"
        );
        assert_eq!(run.stdout, "");
    }

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let token = p.ok(&["--master-token-file", &path, "token"]);
    let exp = assert_token_shape(token.trim(), true);
    assert_eq!(sign(UUID, exp, TokenFormat::Session), token.trim());
    assert_eq!(
        p.ok(&["--master-token-file", &path, "master", "show"])
            .trim(),
        UUID
    );
    // Also through the environment.
    let mut cmd = p.command();
    cmd.env("PAWKEY_MASTER_TOKEN_FILE", &file).arg("status");
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains(&format!("file {path} (read-only")),
        "{run:?}"
    );

    // Never written: rotation is refused and says why; the file is unchanged.
    let run = p.run(&["--master-token-file", &path, "master", "rotate"], None);
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(run.stderr.contains("which PawKey never writes"), "{run:?}");
    assert!(
        run.stderr.contains("The master token was not changed."),
        "{run:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{UUID}\n"));
    // And the keychain was never touched.
    assert!(p.keyring.store().load().unwrap().is_none());
}

#[test]
fn a_bad_config_file_is_named_with_line_and_field_and_left_untouched() {
    let p = Pawkeyd::new();
    let config = p.config_file();
    for (text, line, field) in [
        ("ttl_hours = 8\nport = \"eighty\"\n", 2, "port"),
        ("# PawKey\n\n\nttl = 3\n", 4, "ttl"),
        ("port = 8000\nttl_hours = 0\n", 0, "ttl_hours"),
        ("token_format = \"jwt\"\n", 1, "token_format"),
        ("allowed_origins = [\"*\"]\n", 0, "allowed_origins"),
    ] {
        std::fs::write(&config, text).unwrap();
        let modified = std::fs::metadata(&config).unwrap().modified().unwrap();
        for args in [&["status"][..], &["token"], &["serve", "--port", "0"]] {
            let run = p.run(args, None);
            assert_eq!(run.code, Some(5), "{text:?} {args:?}: {run:?}");
            let e = &run.stderr;
            assert!(e.contains(&config.display().to_string()), "{text:?}: {e}");
            assert!(e.contains(&format!("field `{field}`")), "{text:?}: {e}");
            if line > 0 {
                assert!(e.contains(&format!("line {line}")), "{text:?}: {e}");
            }
            assert!(!e.contains("panicked"), "{e}");
            assert_eq!(run.stdout, "");
        }
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
        assert_eq!(
            std::fs::metadata(&config).unwrap().modified().unwrap(),
            modified
        );
    }
    // Nothing was created in the keychain on the way.
    assert!(p.keyring.store().load().unwrap().is_none());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the Secret Service (D-Bus) is Linux's keychain; Windows has the Credential Manager"
)]
fn without_a_secret_service_every_command_says_what_to_do() {
    let p = Pawkeyd::new();
    let dir = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}", dir.path().join("no-such-bus").display());
    for args in [
        &["token"][..],
        &["master", "show"],
        &["master", "rotate"],
        &["serve", "--port", "0"],
        &["verify", "session:1:00"],
    ] {
        let mut cmd = p.command();
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus).args(args);
        let run = run_command(&mut cmd, None);
        assert_ne!(run.code, Some(0), "{args:?}: {run:?}");
        assert!(run.code.is_some(), "{args:?} died from a signal: {run:?}");
        assert!(
            run.stderr.contains(NO_SECRET_SERVICE) && run.stderr.contains(NO_SECRET_SERVICE_FIX),
            "{args:?}: {run:?}"
        );
        assert!(!run.stderr.contains("panicked"), "{run:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let mut cmd = p.command();
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus).arg("status");
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout
            .contains("— ERROR: no Secret Service on the session bus"),
        "{run:?}"
    );
}

#[test]
fn serve_on_a_port_in_use_names_the_port_and_the_fix() {
    let p = Pawkeyd::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut cmd = p.command();
    cmd.args(["serve", "--port", &port]);
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("port {port} on 127.0.0.1 is already in use"))
            && run.stderr.contains("--port"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    drop(taken);
}

fn spawn_serve(p: &Pawkeyd, configure: impl FnOnce(&mut std::process::Command)) -> ServeProcess {
    let mut cmd = p.command();
    configure(&mut cmd);
    cmd.args(["serve", "--port", "0"]);
    ServeProcess::spawn(cmd).unwrap_or_else(|run| panic!("serve did not start: {run:?}"))
}

/// Reads from `stream` until `done` says the bytes so far are complete (10 s at most).
fn read_until(stream: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !done(&got) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e}; so far {:?}", String::from_utf8_lossy(&got)),
        }
    }
    got
}

#[test]
#[cfg_attr(
    windows,
    ignore = "ends pawkeyd with a Unix signal; Windows has none to send a console process from a test"
)]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let p = Pawkeyd::new();
    let master = p.master();
    let serve = spawn_serve(&p, |_| {});
    let port = serve.port;

    // A request whose handler is running and waiting for its body: the server has read the
    // head and asked for the body (100 Continue).
    let mut stream = TcpStream::connect(serve.addr()).unwrap();
    let body = br#"{"ttl_hours": 2}"#;
    write!(
        stream,
        "POST /api/auth/session HTTP/1.1\r\nHost: localhost:{port}\r\nAuthorization: Bearer {master}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    let interim = read_until(&mut stream, |b| b.windows(4).any(|w| w == b"\r\n\r\n"));
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&interim)
    );

    serve.terminate();
    // The server stops accepting new connections...
    let started = Instant::now();
    while TcpStream::connect(serve.addr()).is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepting after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // ...but finishes the request already in flight.
    stream.write_all(body).unwrap();
    let response = read_until(&mut stream, |b| {
        b.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .is_some_and(|end| b[end..].ends_with(b"}"))
    });
    if response.is_empty() {
        let (code, stderr) = serve.wait(Duration::from_secs(15));
        panic!(
            "closed without a response; pawkeyd exited with {code:?} (None: killed by the signal):\n{stderr}"
        );
    }
    let res = common::parse_raw(&response);
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["expires_in_hours"], 2);

    let (code, stderr) = serve.wait(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "ends pawkeyd with a Unix signal; Windows has none to send a console process from a test"
)]
fn ctrl_c_stops_the_server_gracefully_too() {
    let p = Pawkeyd::new();
    p.master();
    let serve = spawn_serve(&p, |_| {});
    let res = common::parse_raw(&read_until(
        &mut {
            let mut s = TcpStream::connect(serve.addr()).unwrap();
            write!(
                s,
                "GET /api/health HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
                serve.port
            )
            .unwrap();
            s
        },
        |_| false,
    ));
    assert_eq!(res.status, 200);
    serve.signal("INT");
    let (code, stderr) = serve.wait(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
}

/// Ways a secret could show up in a log line: as text, as hex, as a list of byte values.
fn encodings(secret: &str) -> Vec<String> {
    let decimal = secret
        .bytes()
        .take(12)
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        secret.to_owned(),
        hex::encode(&secret.as_bytes()[..12.min(secret.len())]),
        decimal,
    ]
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "ends pawkeyd with a Unix signal; Windows has none to send a console process from a test"
)]
async fn a_trace_level_log_never_contains_the_master_or_a_session_token() {
    let p = Pawkeyd::new();
    let master = tokio::task::spawn_blocking({
        // `master show` never creates a master: rotate first (that stores a new one).
        let mut rotate = p.command();
        let mut show = p.command();
        move || {
            rotate.args(["master", "rotate"]);
            assert_eq!(run_command(&mut rotate, None).code, Some(0));
            show.args(["master", "show"]);
            run_command(&mut show, None).stdout.trim().to_owned()
        }
    })
    .await
    .unwrap();
    assert!(is_lower_hex(&master, 64), "{master}");
    let serve = spawn_serve(&p, |c| {
        c.env("RUST_LOG", "trace");
    });
    let http = common::client();
    let url = |path: &str| serve.url(path);

    // Mint, with and without a body.
    let mut tokens = Vec::new();
    for body in ["", r#"{"ttl_hours": 1}"#] {
        let res = http
            .post(url("/api/auth/session"))
            .bearer_auth(&master)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let json: serde_json::Value = res.json().await.unwrap();
        tokens.push(json["session_token"].as_str().unwrap().to_owned());
    }
    let token = tokens[0].clone();
    // Verify through every carrier, and with bad tokens too.
    for req in [
        http.get(url("/api/auth/verify")).bearer_auth(&token),
        http.get(url(&format!("/api/auth/verify?token={token}"))),
        http.get(url("/api/v1/auth/verify"))
            .header("Cookie", format!("pocketpaw_session={token}")),
        http.get(url(&format!(
            "/api/auth/verify?token={}0",
            &token[..token.len() - 1]
        ))),
    ] {
        let status = req.send().await.unwrap().status();
        assert!(status == 200 || status == 401, "{status}");
    }
    // Log in and out with the master in a JSON body; a wrong master in a header.
    let res = http
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({ "token": master }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    tokens.push(
        cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("pocketpaw_session=")
            .to_owned(),
    );
    let res = http
        .post(url("/api/auth/logout"))
        .header("Cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .post(url("/api/auth/session"))
        .bearer_auth(format!("{}x", &master[..63]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Rotate over HTTP: the new master travels to the keychain over D-Bus.
    let res = http
        .post(url("/api/token/regenerate"))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let json: serde_json::Value = res.json().await.unwrap();
    let new_master = json["token"].as_str().unwrap().to_owned();

    serve.terminate();
    let (code, log) = tokio::task::spawn_blocking(move || serve.wait(Duration::from_secs(15)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    // The log is really at trace level and saw the requests.
    assert!(log.contains("TRACE"), "{log}");
    assert!(log.contains("/api/auth/verify"), "{log}");
    let mut secrets = vec![master, new_master];
    for t in &tokens {
        secrets.push(t.clone());
        // The MAC alone is as good as the token.
        secrets.push(t[t.len() - 64..].to_owned());
    }
    for secret in &secrets {
        for form in encodings(secret) {
            assert!(
                !log.contains(&form),
                "the log contains a secret ({form:?}):\n{log}"
            );
        }
    }
}

#[test]
fn serve_refuses_a_non_loopback_address_without_allow_remote() {
    let p = Pawkeyd::new();
    p.master();
    let run = p.run(&["serve", "--bind", "0.0.0.0", "--port", "0"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("refusing to listen on 0.0.0.0")
            && run.stderr.contains("--allow-remote"),
        "{run:?}"
    );
}

/// A keychain entry that is not a usable master (here: too short) is reported with the way
/// out, and never replaced by a fresh master behind the user's back.
#[test]
fn an_unusable_keychain_entry_is_reported_and_never_overwritten() {
    let p = Pawkeyd::new();
    let entry = keyring::Entry::new(&p.keyring.service, "master-token").unwrap();
    entry.set_password("short").unwrap();
    for args in [
        &["token"][..],
        &["master", "show"],
        &["serve", "--port", "0"],
    ] {
        let run = p.run(args, None);
        assert_eq!(run.code, Some(3), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("the stored master token is unusable")
                && run.stderr.contains("master import"),
            "{args:?}: {run:?}"
        );
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let run = p.run(&["status"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout
            .contains("ERROR: the stored master token is unusable"),
        "{run:?}"
    );
    assert_eq!(entry.get_password().unwrap(), "short");

    let run = p.run(&["master", "import"], Some(UUID));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(p.master(), UUID);
}

// ---- Issue 8: no secret on a command line, on a terminal, or in the audit log ----------

/// A command for `program` with the environment `p.command()` sets up for `pawkeyd`, and
/// the directory of the `pawkeyd` binary first on PATH (so `pawkeyd` in a shell line is
/// the binary under test).
fn shell_command(p: &Pawkeyd, program: &str) -> std::process::Command {
    let mut cmd = p.command_for(program);
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_pawkeyd"))
        .parent()
        .unwrap()
        .to_owned();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(bin_dir).chain(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).unwrap())
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn master_show_never_creates_a_master() {
    let p = Pawkeyd::new();
    let run = p.run(&["master", "show"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(
        run.stderr.contains("no master token stored yet")
            && run.stderr.contains("pawkeyd serve")
            && run.stderr.contains("pawkeyd master rotate"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("Created"), "{run:?}");
    // The keychain is still empty, and a second try says the same.
    assert!(p.keyring.store().load().unwrap().is_none());
    assert_eq!(p.run(&["master", "show"], None).code, Some(1));
    assert!(p.keyring.store().load().unwrap().is_none());
    // Once there is one, it is shown.
    p.ok(&["token"]);
    let shown = p.ok(&["master", "show"]);
    assert!(is_lower_hex(shown.trim(), 64), "{shown}");
}

/// Waits until the serve banner (its curl line) is on stderr and returns all of stderr.
fn banner(serve: &ServeProcess) -> String {
    let start = Instant::now();
    loop {
        let text = serve.stderr_so_far();
        if text.contains("curl") {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no banner: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the banner's HTTP line in `sh` and returns the session token it minted.
fn run_banner_line(p: &Pawkeyd, text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains("| curl"))
        .unwrap_or_else(|| panic!("no curl line in {text}"))
        .trim();
    let mut sh = shell_command(p, "sh");
    sh.args(["-c", line]);
    let run = run_command(&mut sh, None);
    assert_eq!(run.code, Some(0), "{line}: {run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["session_token"].as_str().unwrap().to_owned()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the banner's lines are POSIX sh (quoting, sed, curl), not yet Windows shells'"
)]
fn the_serve_banner_keeps_the_master_off_every_command_line_and_its_lines_work() {
    let p = Pawkeyd::new();
    let serve = spawn_serve(&p, |_| {});
    let text = banner(&serve);
    for bad in ["master show)", "$(", "Bearer $", "Authorization: Bearer \""] {
        assert!(!text.contains(bad), "banner has {bad:?}:\n{text}");
    }
    // The same config file as this server (PAWKEY_CONFIG here), so the same settings.
    let me = format!("pawkeyd --config {}", p.config_file().display());
    assert!(text.contains(&format!("\n  {me} token\n")), "{text}");
    assert!(
        text.contains(&format!(
            "\n  {me} master show | sed 's/^/Authorization: Bearer /' | curl -fsS -X POST http://localhost:{}/api/auth/session -H @-\n",
            serve.port
        )),
        "{text}"
    );
    // The line works as printed, and the token it mints verifies.
    let token = run_banner_line(&p, &text);
    let run = p.run(&["verify", "-"], Some(&token));
    assert_eq!(run.code, Some(0), "{run:?}");
    drop(serve);

    // With the master in a file, the banner says so and its lines use the same flag.
    let file = p.dir.path().join("master token");
    std::fs::write(&file, format!("{UUID}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let serve = spawn_serve(&p, |c| {
        c.arg("--master-token-file").arg(&file);
    });
    let text = banner(&serve);
    let flag = format!(
        "pawkeyd --config {} --master-token-file '{}'",
        p.config_file().display(),
        file.display()
    );
    assert!(text.contains(&format!("  {flag} token\n")), "{text}");
    assert!(text.contains(&format!("  {flag} master show | ")), "{text}");
    assert!(!text.contains("keychain"), "{text}");
    let token = run_banner_line(&p, &text);
    let exp = assert_token_shape(&token, true);
    assert_eq!(sign(UUID, exp, TokenFormat::Session), token);
}

#[test]
fn allow_remote_says_tokens_cross_the_network_in_cleartext() {
    let p = Pawkeyd::new();
    let help = p.ok(&["serve", "--help"]);
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "cross the network in cleartext",
        "no TLS",
        "Host allowlist is not access control",
    ] {
        assert!(flat.contains(words), "--help lacks {words:?}: {help}");
    }

    p.master();
    let serve = spawn_serve(&p, |c| {
        c.env("PAWKEY_BIND", "0.0.0.0")
            .env("PAWKEY_ALLOW_REMOTE", "true");
    });
    let text = banner(&serve);
    assert!(
        text.contains("WARNING: --allow-remote")
            && text.contains("cleartext")
            && text.contains("no TLS")
            && text.contains("not access control"),
        "{text}"
    );

    // On loopback the flag changes nothing, and there is no warning.
    let serve = spawn_serve(&p, |c| {
        c.env("PAWKEY_ALLOW_REMOTE", "true");
    });
    let text = banner(&serve);
    assert!(!text.contains("cleartext"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn secrets_typed_on_a_terminal_are_not_echoed() {
    let p = Pawkeyd::new();
    let (code, screen) = p.on_a_terminal("master import", "Paste the", &format!("{UUID}\r"));
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Imported the master token"), "{screen}");
    assert!(!screen.contains(UUID), "the master was echoed: {screen:?}");
    assert!(!screen.contains(&UUID[..8]), "{screen:?}");
    assert_eq!(p.master(), UUID);

    let token = p.ok(&["token"]).trim().to_owned();
    let (code, screen) = p.on_a_terminal("verify -", "Paste the", &format!("{token}\r"));
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("valid: expires"), "{screen}");
    assert!(
        !screen.contains(&token[token.len() - 16..]),
        "the token was echoed: {screen:?}"
    );
}

fn audit_lines(p: &Pawkeyd) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p.data_dir().join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn master_fingerprint(master: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(master.as_bytes())[..6])
}

#[test]
fn master_rotation_and_import_are_audited_by_fingerprint_only() {
    let p = Pawkeyd::new();
    p.ok(&["token"]);
    let run = p.run(&["master", "rotate"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let rotated = p.master();
    let run = p.run(&["master", "import"], Some(&format!("{UUID}\n")));
    assert_eq!(run.code, Some(0), "{run:?}");
    // A refused import is not recorded.
    assert_eq!(p.run(&["master", "import"], Some("short\n")).code, Some(1));

    let lines = audit_lines(&p);
    assert_eq!(lines.len(), 3, "{lines:?}");
    // The mint line is unchanged: no event field.
    assert!(lines[0].get("event").is_none(), "{lines:?}");
    assert_eq!(lines[1]["event"], "rotate");
    assert_eq!(lines[1]["source"], "cli");
    assert_eq!(
        lines[1]["fingerprint"],
        master_fingerprint(&rotated).as_str()
    );
    assert_eq!(lines[2]["event"], "import");
    assert_eq!(lines[2]["fingerprint"], master_fingerprint(UUID).as_str());
    for l in &lines[1..] {
        let at = l["minted_at"].as_u64().unwrap();
        assert!(at + 60 >= now() && at <= now(), "{l}");
    }
    let text = std::fs::read_to_string(p.data_dir().join("audit.jsonl")).unwrap();
    assert!(!text.contains(&rotated) && !text.contains(UUID), "{text}");
    assert!(!text.contains(&rotated[..16]), "{text}");
    // Every line still reads as the mint-shaped entry older readers know.
    for line in text.lines() {
        let _: pawkey_core::audit::AuditEntry = serde_json::from_str(line).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn the_audit_log_is_never_written_through_a_symlink() {
    let p = Pawkeyd::new();
    std::fs::create_dir_all(p.data_dir()).unwrap();
    let target = p.dir.path().join("elsewhere");
    std::fs::write(&target, "").unwrap();
    std::os::unix::fs::symlink(&target, p.data_dir().join("audit.jsonl")).unwrap();
    let run = p.run(&["token"], None);
    assert_eq!(run.code, Some(0), "the mint still succeeds: {run:?}");
    assert!(
        run.stderr.contains("cannot write the audit log") && run.stderr.contains("symbolic link"),
        "{run:?}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    assert!(
        std::fs::symlink_metadata(p.data_dir().join("audit.jsonl"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[cfg(unix)]
#[test]
fn the_audit_log_and_its_directory_are_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    // Created fresh: directory 0700, file 0600.
    let p = Pawkeyd::new();
    p.ok(&["token"]);
    assert_eq!(mode(&p.data_dir()), 0o700);
    assert_eq!(mode(&p.data_dir().join("audit.jsonl")), 0o600);

    // Left wide by someone else: both are narrowed, and the old lines kept.
    let p = Pawkeyd::new();
    std::fs::create_dir_all(p.data_dir()).unwrap();
    let file = p.data_dir().join("audit.jsonl");
    let old = r#"{"minted_at":1,"source":"cli","client":null,"expires_at":3601,"fingerprint":"000000000001"}"#;
    std::fs::write(&file, format!("{old}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(p.data_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    p.ok(&["token"]);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&p.data_dir()), 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(old), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
}
