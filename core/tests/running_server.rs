//! The CLI and a running server agree: master changes from the CLI go through a running
//! `pawkeyd serve` (real keychain, real sockets), a change made in the keychain behind
//! the server's back is picked up within seconds, and access requests are decided from
//! the CLI.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use pawkey_core::secret::MasterToken;
use pawkey_core::store::MasterStore;
use pawkey_core::token::TokenFormat;

/// A `pawkeyd` on its own free port (`PAWKEY_PORT`), so `serve` and the CLI agree on it.
fn pawkeyd_on_free_port() -> (Pawkeyd, u16) {
    let p = Pawkeyd::new();
    let port = p.port;
    (p, port)
}

fn serve(p: &Pawkeyd, extra: &[&str]) -> ServeProcess {
    let mut cmd = p.command();
    cmd.args(extra).arg("serve");
    ServeProcess::spawn(cmd).unwrap_or_else(|run| panic!("serve did not start: {run:?}"))
}

/// One HTTP request over a plain socket: (status, body).
fn http(port: u16, method: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = bearer
        .map(|b| format!("Authorization: Bearer {b}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let res = parse_raw(&raw);
    (res.status, res.text())
}

fn verify(port: u16, token: &str) -> u16 {
    http(port, "GET", "/api/auth/verify", Some(token)).0
}

fn mint(port: u16, master: &str) -> String {
    let (status, body) = http(port, "POST", "/api/auth/session", Some(master));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["session_token"].as_str().unwrap().to_owned()
}

fn stored(p: &Pawkeyd) -> String {
    p.keyring
        .store()
        .load()
        .expect("keychain")
        .expect("a stored master")
        .expose()
        .to_owned()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "ends pawkeyd with a Unix signal; Windows has none to send a console process from a test"
)]
fn rotate_and_import_from_the_cli_switch_a_running_server_at_once() {
    let (p, port) = pawkeyd_on_free_port();
    let server = serve(&p, &[]);
    let first = stored(&p);
    let old_token = mint(port, &first);
    assert_eq!(verify(port, &old_token), 200);

    let run = p.run(&["master", "rotate"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("through the PawKey running on"),
        "{run:?}"
    );
    let rotated = stored(&p);
    assert_ne!(rotated, first);
    // No restart: the old token fails and the new master mints tokens that pass.
    assert_eq!(verify(port, &old_token), 401);
    assert_eq!(http(port, "POST", "/api/auth/session", Some(&first)).0, 401);
    let new_token = mint(port, &rotated);
    assert_eq!(verify(port, &new_token), 200);

    // Import PocketPaw's kind of token the same way.
    let imported = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";
    let run = p.run(&["master", "import"], Some(imported));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(stored(&p), imported);
    assert_eq!(verify(port, &new_token), 401);
    let signed = sign(imported, now() + 600, TokenFormat::Pocketpaw);
    assert_eq!(verify(port, &signed), 200);

    server.terminate();
    let (code, stderr) = server.wait(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn with_no_server_the_keychain_alone_changes_and_the_next_start_uses_it() {
    let (p, port) = pawkeyd_on_free_port();
    let run = p.run(&["master", "rotate"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("No PawKey is running"), "{run:?}");
    let first = stored(&p);
    let run = p.run(&["master", "rotate"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let second = stored(&p);
    assert_ne!(first, second);

    let server = serve(&p, &[]);
    assert_eq!(http(port, "POST", "/api/auth/session", Some(&first)).0, 401);
    let token = mint(port, &second);
    assert_eq!(verify(port, &token), 200);
    drop(server);
}

#[test]
fn a_failed_step_leaves_the_old_master_working_in_both_places() {
    // The server reads its master from a file it never writes, so its rotation fails at
    // the store; the keychain holds the same master, which the CLI authenticates with.
    let (p, port) = pawkeyd_on_free_port();
    let master = "f".repeat(64);
    p.keyring
        .store()
        .save(&MasterToken::parse(master.clone()).unwrap())
        .unwrap();
    let file = p.dir.path().join("master");
    std::fs::write(&file, &master).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let server = serve(&p, &["--master-token-file", file.to_str().unwrap()]);
    let token = mint(port, &master);

    for (args, stdin) in [
        (vec!["master", "rotate"], None),
        (
            vec!["master", "import"],
            Some("11111111-2222-3333-4444-555555555555"),
        ),
    ] {
        let run = p.run(&args, stdin);
        assert_eq!(run.code, Some(3), "{args:?}: {run:?}");
        assert!(run.stderr.contains("Nothing was changed"), "{run:?}");
        assert!(!run.stderr.contains(&master), "the master leaked: {run:?}");
        assert_eq!(stored(&p), master, "the keychain changed");
        assert_eq!(verify(port, &token), 200, "the server changed");
    }
    drop(server);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "ends pawkeyd with a Unix signal; Windows has none to send a console process from a test"
)]
fn a_keychain_change_behind_the_servers_back_is_picked_up_within_seconds() {
    let (p, port) = pawkeyd_on_free_port();
    let server = serve(&p, &["--config", p.config_file().to_str().unwrap()]);
    let old = stored(&p);
    let old_token = mint(port, &old);
    let new = "e".repeat(64);
    p.keyring
        .store()
        .save(&MasterToken::parse(new.clone()).unwrap())
        .unwrap();
    let started = Instant::now();
    while verify(port, &old_token) == 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still using the old master after 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = mint(port, &new);
    assert_eq!(verify(port, &token), 200);
    server.terminate();
    let (_, stderr) = server.wait(Duration::from_secs(15));
    assert!(stderr.contains("master token changed"), "{stderr}");
}

#[test]
fn access_requests_are_listed_approved_and_denied_from_the_cli() {
    let (p, port) = pawkeyd_on_free_port();
    // Nothing running: a clear error and its own exit code.
    let run = p.run(&["requests"], None);
    assert_eq!(run.code, Some(4), "{run:?}");
    assert!(run.stderr.contains("not running"), "{run:?}");

    let server = serve(&p, &[]);
    let open = || {
        let (status, body) = http(port, "POST", "/api/auth/request", None);
        assert_eq!(status, 202, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let first = open();
    let second = open();
    let code = first["user_code"].as_str().unwrap();
    let run = p.run(&["requests", "--json"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let listed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(listed["requests"].as_array().unwrap().len(), 2);
    let human = p.ok(&["requests"]);
    // Listed by number, never by code: the person reads the code off the browser.
    assert!(!human.contains(code), "{human}");
    assert!(!run.stdout.contains(code), "{run:?}");
    assert!(human.contains("(claimed)"), "{human}");

    let run = p.run(&["approve", &code.to_lowercase(), "--ttl-hours", "1"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Approved"), "{run:?}");
    let poll = |v: &serde_json::Value| {
        http(
            port,
            "POST",
            &format!("/api/auth/request/{}", v["request_id"].as_str().unwrap()),
            None,
        )
    };
    let (status, body) = poll(&first);
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(port, &token), 200);

    let run = p.run(&["deny", &second["number"].to_string()], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(poll(&second).0, 403);
    // The code can also come from the terminal (stdin here), and deny --all clears the rest.
    let third = open();
    let run = p.run(&["approve"], Some("nope-nope\n"));
    assert_eq!(run.code, Some(1), "{run:?}");
    let run = p.run(&["deny", "--all"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Denied 1 access request"), "{run:?}");
    assert_eq!(poll(&third).0, 403);
    // An unknown code says so.
    let run = p.run(&["approve", "BCDF-2345"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("No waiting access request"), "{run:?}");

    // Every request and decision is in the audit log, with no token in it.
    drop(server);
    let audit = std::fs::read_to_string(p.data_dir().join("audit.jsonl")).unwrap();
    for event in ["\"request\"", "\"approve\"", "\"deny\""] {
        assert!(audit.contains(event), "{event} missing:\n{audit}");
    }
    assert!(!audit.contains(&token), "a token in the audit log");
    assert!(
        !audit.contains(first["request_id"].as_str().unwrap()),
        "a request id in the audit log"
    );
}

/// A `pawkeyd` on a free port whose home holds PocketPaw's token file.
fn pawkeyd_with_pocketpaw(pocketpaw: &str) -> (Pawkeyd, u16, std::path::PathBuf) {
    let (p, port) = pawkeyd_on_free_port();
    let home = p.dir.path().join("home");
    let file = home.join(".pocketpaw/access_token");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, pocketpaw).unwrap();
    (p, port, file)
}

fn with_home(p: &Pawkeyd, file: &std::path::Path) -> std::process::Command {
    let mut cmd = p.command();
    cmd.env("HOME", file.parent().unwrap().parent().unwrap());
    cmd
}

const POCKETPAW: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows takes the home folder from the profile, not $HOME (the Windows black-box suite checks %USERPROFILE%\\.pocketpaw)"
)]
fn a_one_off_environment_override_never_lands_in_the_config_file() {
    let (p, port, file) = pawkeyd_with_pocketpaw(POCKETPAW);
    // Run once with a remote bind, extra hosts and origins from the environment; the
    // import saves a setting (sync_pocketpaw) on the way.
    let run = run_command(
        with_home(&p, &file)
            .env("PAWKEY_BIND", "0.0.0.0")
            .env("PAWKEY_EXTRA_HOSTS", "box.local")
            .env("PAWKEY_ALLOWED_ORIGINS", "http://evil.example")
            .args(["master", "import", "--from-pocketpaw"]),
        None,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let saved = std::fs::read_to_string(p.config_file()).unwrap();
    assert!(saved.contains("sync_pocketpaw = true"), "{saved}");
    for leaked in ["0.0.0.0", "box.local", "evil.example"] {
        assert!(!saved.contains(leaked), "{leaked} saved:\n{saved}");
    }
    // Started again without the variables: loopback only, no extra host or origin.
    let status = p.ok(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["bind"], "127.0.0.1", "{status}");
    let server = serve(&p, &[]);
    assert_eq!(http(port, "GET", "/api/health", None).0, 200);
    let outside = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if let Some(ip) = outside {
        // This machine's own non-loopback address does not reach it.
        assert!(
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::new(ip, port),
                std::time::Duration::from_secs(2)
            )
            .is_err(),
            "listening on {ip}"
        );
    }
    drop(server);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows takes the home folder from the profile, not $HOME (the Windows black-box suite checks %USERPROFILE%\\.pocketpaw)"
)]
fn imported_from_pocketpaw_a_rotation_replaces_pocketpaws_token_too() {
    let (p, port, file) = pawkeyd_with_pocketpaw(POCKETPAW);
    // Server down: the import links them; the rotation writes both.
    let run = run_command(
        with_home(&p, &file).args(["master", "import", "--from-pocketpaw"]),
        None,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("in step"), "{run:?}");
    assert!(
        std::fs::read_to_string(p.config_file())
            .unwrap()
            .contains("sync_pocketpaw = true")
    );
    let run = run_command(with_home(&p, &file).args(["master", "rotate"]), None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let rotated = stored(&p);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), rotated);
    #[cfg(unix)]
    {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&file).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    // Server up: the rotation goes through it and still writes PocketPaw's file.
    let mut cmd = with_home(&p, &file);
    cmd.arg("serve");
    let server = ServeProcess::spawn(cmd).unwrap_or_else(|run| panic!("{run:?}"));
    let old_token = mint(port, &rotated);
    let run = run_command(with_home(&p, &file).args(["master", "rotate"]), None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("so does PocketPaw"), "{run:?}");
    let again = stored(&p);
    assert_ne!(again, rotated);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), again);
    assert_eq!(verify(port, &old_token), 401);
    drop(server);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows takes the home folder from the profile, not $HOME (the Windows black-box suite checks %USERPROFILE%\\.pocketpaw)"
)]
fn when_pocketpaws_file_cannot_be_written_the_rotation_is_undone() {
    let (p, port, file) = pawkeyd_with_pocketpaw(POCKETPAW);
    let run = run_command(
        with_home(&p, &file).args(["master", "import", "--from-pocketpaw"]),
        None,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    // A directory where the file should be: it cannot be replaced.
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir_all(file.join("in-the-way")).unwrap();

    for server_running in [false, true] {
        let server = server_running.then(|| {
            let mut cmd = with_home(&p, &file);
            cmd.arg("serve");
            ServeProcess::spawn(cmd).unwrap_or_else(|run| panic!("{run:?}"))
        });
        let run = run_command(with_home(&p, &file).args(["master", "rotate"]), None);
        assert_eq!(run.code, Some(3), "server {server_running}: {run:?}");
        assert!(run.stderr.contains("nothing was changed"), "{run:?}");
        assert_eq!(stored(&p), POCKETPAW, "the keychain kept the new master");
        if server.is_some() {
            let token = sign(POCKETPAW, now() + 600, TokenFormat::Pocketpaw);
            assert_eq!(verify(port, &token), 200, "the server switched");
        }
    }
}
