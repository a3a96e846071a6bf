//! End-to-end tests through the real window: WebKitWebDriver, attached to the window process, drives the debug
//! `pawkey` binary under Xvfb, with a real gnome-keyring on a private D-Bus session
//! (`make test` sets all of that up). Each test launches its own isolated PawKey; launches
//! are serialized (see `support`). Screenshots of the main states go to `target/screenshots/`
//! (`docs/screenshots/` with `PAWKEY_UPDATE_SCREENSHOTS=1`).

// Linux desktop tests (WebKitGTK, X11, D-Bus); the CI workflow runs them on Ubuntu only.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use support::{
    App, Options, OtherCopy, clipboard_text, curl, curl_with, eventually, free_port, x11,
};

fn is_session_token(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("session:") else {
        return false;
    };
    let Some((exp, sig)) = rest.split_once(':') else {
        return false;
    };
    exp.len() >= 10
        && exp.bytes().all(|b| b.is_ascii_digit())
        && sig.len() == 64
        && sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Polls an async check on the window for up to the UI timeout.
async fn eventually_async<'a, F, Fut>(app: &'a App, what: &str, check: F)
where
    F: Fn(&'a App) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + support::UI_TIMEOUT;
    while !check(app).await {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {:?}",
            support::UI_TIMEOUT
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

fn base(app: &App) -> String {
    format!("http://127.0.0.1:{}", app.sandbox.port)
}

/// Clicks "New session" and returns the token the window shows.
async fn mint_in_window(app: &App, previous: Option<&str>) -> String {
    app.click("#new-session").await;
    app.wait_for_text("#token", "a new session token", |t| {
        is_session_token(t) && Some(t) != previous
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_1_launch_shows_server_listening_and_keychain_ok() {
    let app = App::launch(Options::default()).await;
    let port = app.sandbox.port;

    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let server = app.text("#server-status").await;
    assert!(
        server.contains(&format!("http://127.0.0.1:{port}")),
        "{server}"
    );
    app.wait_for_attr("#master-status", "data-state", "ok")
        .await;
    let master = app.text("#master-status").await;
    assert!(master.contains("OS keychain — OK"), "{master}");
    assert_eq!(
        app.text("#version").await,
        format!("v{}", pawkey_core::VERSION)
    );
    assert!(!app.visible("#port-banner").await);
    assert!(!app.visible("#keychain-banner").await);

    // The real window is titled PawKey and shown.
    let windows = x11::windows_titled("PawKey");
    assert!(
        windows.iter().any(|w| x11::is_viewable(*w)),
        "no visible window titled PawKey"
    );

    let health = curl("GET", &format!("{}/api/health", base(&app)), None);
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(health.json()["version"], pawkey_core::VERSION);

    // First run created the master token in the keychain entry the window names.
    assert_eq!(app.sandbox.stored_master().len(), 64);
    let location = app.text("#master-location").await;
    assert!(location.contains(&app.sandbox.service), "{location}");

    app.screenshot("main-window").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_2_new_session_mints_a_token_the_server_accepts_and_lists_it() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    assert_eq!(app.count("#recent-body tr").await, 0);
    assert!(app.visible("#recent-empty").await);
    let before = app.rect("#token-box").await;

    // Default lifetime: 24 hours.
    let token = mint_in_window(&app, None).await;
    // No layout jump: the token box keeps its place and size when the token appears.
    assert_eq!(app.rect("#token-box").await, before);
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify", base(&app)),
        Some(&token),
    );
    assert_eq!(verify.status, 200, "{}", verify.body);
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((24 * 3600 - 60..=24 * 3600).contains(&left), "{left}");

    let countdown = app
        .wait_for_text("#countdown", "a running countdown", |t| {
            t.starts_with("23:59:")
        })
        .await;
    assert!(countdown.ends_with("left"), "{countdown}");
    assert!(app.text("#expires-at").await.starts_with("valid until "));

    // The recent list shows a window entry with this token's fingerprint.
    let fingerprint = pawkey_core::token::fingerprint(&token);
    let row = format!("#recent-body tr[data-fingerprint='{fingerprint}']");
    assert_eq!(
        app.attr(&row, "data-source").await.as_deref(),
        Some("window")
    );
    let row_text = app.text(&row).await;
    assert!(
        row_text.contains("window") && row_text.contains("active"),
        "{row_text}"
    );
    assert!(!app.visible("#recent-empty").await);
    app.screenshot("new-session").await;

    // The TTL picker: 1 hour.
    app.select("#ttl", "1").await;
    let one_hour = mint_in_window(&app, Some(&token)).await;
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify", base(&app)),
        Some(&one_hour),
    );
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((3600 - 60..=3600).contains(&left), "{left}");

    // A custom lifetime above the configured maximum is refused inline, with the reason.
    app.select("#ttl", "custom").await;
    app.type_into("#ttl-custom", "30").await;
    app.click("#new-session").await;
    let error = app
        .wait_for_text("#ttl-error", "an inline error", |t| !t.is_empty())
        .await;
    assert!(error.contains("1 to 24 hours"), "{error}");
    assert_eq!(app.text("#token").await, one_hour, "nothing new was minted");
    app.type_into("#ttl-custom", "3").await;

    // Ctrl+N mints (with the custom 3 hours), Ctrl+Shift+C copies.
    app.press_ctrl('n', false).await;
    let by_keyboard = app
        .wait_for_text("#token", "a token minted with Ctrl+N", |t| {
            is_session_token(t) && t != one_hour
        })
        .await;
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify", base(&app)),
        Some(&by_keyboard),
    );
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((3 * 3600 - 60..=3 * 3600).contains(&left), "{left}");
    let _other = OtherCopy::new("not the token");
    app.press_ctrl('c', true).await;
    eventually(
        "Ctrl+Shift+C puts the token on the clipboard",
        Duration::from_secs(5),
        || clipboard_text() == by_keyboard,
    )
    .await;

    assert_eq!(app.count("#recent-body tr[data-source='window']").await, 3);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_3_copy_then_clear_after_timeout_only_if_still_ours() {
    let app = App::launch(Options {
        clipboard_clear_seconds: Some(2),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;

    // New session copies at once; the Copy button copies again.
    let token = mint_in_window(&app, None).await;
    assert_eq!(clipboard_text(), token);
    // Marked as a password for clipboard managers (KDE's hint, which others honour too).
    let targets = support::clipboard_targets();
    assert!(
        targets.iter().any(|t| t == "x-kde-passwordManagerHint"),
        "{targets:?}"
    );
    let cleared = eventually("the clipboard is cleared", Duration::from_secs(6), || {
        clipboard_text().is_empty()
    })
    .await;
    assert!(
        cleared >= Duration::from_millis(1000),
        "cleared too early: {cleared:?}"
    );
    app.wait_for_text("#copy-note", "the cleared note", |t| {
        t == "Cleared from the clipboard."
    })
    .await;

    app.click("#copy-token").await;
    eventually("Copy puts the token back", Duration::from_secs(3), || {
        clipboard_text() == token
    })
    .await;
    let note = app.text("#copy-note").await;
    assert!(
        note.starts_with("Session token copied to the clipboard — cleared in"),
        "{note}"
    );
    app.screenshot("copied").await;
    eventually(
        "the clipboard is cleared again",
        Duration::from_secs(6),
        || clipboard_text().is_empty(),
    )
    .await;

    // Copy, then the user copies something else: it is left alone.
    app.click("#copy-token").await;
    eventually("Copy puts the token back", Duration::from_secs(3), || {
        clipboard_text() == token
    })
    .await;
    let other = OtherCopy::new("the user's own text");
    app.wait_for_text_within(
        "#copy-note",
        "the left-alone note",
        Duration::from_secs(6),
        |t| t.starts_with("Left the clipboard alone"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(clipboard_text(), "the user's own text");
    drop(other);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_4_http_mint_appears_in_the_recent_list_within_a_second() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let master = app.sandbox.stored_master();

    let minted = curl(
        "POST",
        &format!("{}/api/auth/session", base(&app)),
        Some(&master),
    );
    let after_response = Instant::now();
    assert_eq!(minted.status, 200, "{}", minted.body);
    let token = minted.json()["session_token"].as_str().unwrap().to_owned();
    let fingerprint = pawkey_core::token::fingerprint(&token);
    let selector = format!("#recent-body tr[data-fingerprint='{fingerprint}']");
    loop {
        if app.visible(&selector).await {
            break;
        }
        assert!(
            after_response.elapsed() < Duration::from_secs(1),
            "the HTTP mint did not appear within a second"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let took = after_response.elapsed();
    assert_eq!(
        app.attr(&selector, "data-source").await.as_deref(),
        Some("http")
    );
    let text = app.text(&selector).await;
    assert!(text.contains("HTTP · 127.0.0.1"), "{text}");
    eprintln!("HTTP mint visible in the window {took:?} after the response");

    // Two more at once: each mint is its own row, even when they fall in the same second
    // (and so carry the same token).
    for _ in 0..2 {
        let again = curl(
            "POST",
            &format!("{}/api/auth/session", base(&app)),
            Some(&master),
        );
        assert_eq!(again.status, 200, "{}", again.body);
    }
    eventually_async(&app, "three HTTP rows", |app| async move {
        app.count("#recent-body tr[data-source='http']").await == 3
    })
    .await;

    // A wrong master mints nothing and adds nothing.
    let refused = curl(
        "POST",
        &format!("{}/api/auth/session", base(&app)),
        Some("not-the-master-token"),
    );
    assert_eq!(refused.status, 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("#recent-body tr").await, 3);
    app.screenshot("recent-sessions").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_5_rotate_in_the_window_revokes_earlier_tokens() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#master-status", "data-state", "ok")
        .await;
    let before = app.sandbox.stored_master();

    // The master is never shown in the window (its process holds none): masked, no
    // reveal, and a pointer to the terminal.
    assert!(app.text("#master-value").await.starts_with("••••"));
    let reveal = app
        .execute("return document.getElementById('reveal-master') === null;")
        .await;
    assert_eq!(reveal, serde_json::json!(true), "no reveal button");
    assert!(
        app.text("#master-show-hint")
            .await
            .contains("pawkey master show"),
        "says where to see it"
    );

    app.click("#copy-master").await;
    eventually(
        "Copy puts the master on the clipboard",
        Duration::from_secs(5),
        || clipboard_text() == before,
    )
    .await;
    let note = app.text("#master-note").await;
    assert!(note.starts_with("Master token copied"), "{note}");

    let old = mint_in_window(&app, None).await;
    let verify = |t: &str| curl("GET", &format!("{}/api/auth/verify", base(&app)), Some(t));
    assert_eq!(verify(&old).status, 200);

    // Rotate asks first, and Cancel changes nothing.
    app.click("#rotate-master").await;
    let dialog = app
        .wait_for_text("#rotate-dialog", "the confirmation", |t| {
            t.contains("Every session token minted so far stops working")
        })
        .await;
    assert!(dialog.contains("Rotate the master token?"), "{dialog}");
    app.screenshot("rotate-confirm").await;
    app.click("#rotate-cancel").await;
    assert!(!app.visible("#rotate-dialog").await);
    assert_eq!(app.sandbox.stored_master(), before);
    assert_eq!(verify(&old).status, 200);

    app.click("#rotate-master").await;
    app.click("#rotate-confirm").await;
    app.wait_for_text("#master-note", "the rotated note", |t| {
        t.starts_with("Rotated.")
    })
    .await;
    let after = app.sandbox.stored_master();
    assert_ne!(after, before, "the keychain holds a new master");
    let rejected = verify(&old);
    assert_eq!(rejected.status, 401, "{}", rejected.body);
    // The window no longer offers the revoked token.
    assert!(app.text("#token").await.contains("rotated"));

    let new = mint_in_window(&app, None).await;
    assert_eq!(verify(&new).status, 200);
    // The new master mints over HTTP; the old one no longer does.
    let session = format!("{}/api/auth/session", base(&app));
    assert_eq!(curl("POST", &session, Some(&after)).status, 200);
    assert_eq!(curl("POST", &session, Some(&before)).status, 401);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_6_taken_port_is_reported_and_a_new_port_moves_the_server() {
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let app = App::launch(Options {
        port: Some(taken),
        ..Options::default()
    })
    .await;

    app.wait_for_attr("#server-status", "data-state", "failed")
        .await;
    assert!(app.visible("#port-banner").await);
    let message = app.text("#port-message").await;
    assert!(
        message.contains(&format!("port {taken}")) && message.contains("already in use"),
        "{message}"
    );
    let suggested = app.prop("#port-retry", "value").await.unwrap_or_default();
    assert!(
        suggested.parse::<u16>().is_ok(),
        "a port is offered: {suggested:?}"
    );
    app.screenshot("port-in-use").await;

    // The app stays up: the window still mints.
    let token = mint_in_window(&app, None).await;
    assert!(is_session_token(&token));

    // Another taken port is refused inline and changes nothing.
    let second_squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let also_taken = second_squatter.local_addr().unwrap().port();
    app.type_into("#port-retry", &also_taken.to_string()).await;
    app.click("#port-retry-button").await;
    let error = app
        .wait_for_text("#port-retry-error", "an inline port error", |t| {
            !t.is_empty()
        })
        .await;
    assert!(error.contains("already in use"), "{error}");
    assert!(!app.sandbox.config_file().exists());

    // A free port moves the server there at once, and is saved.
    let first = free_port();
    app.type_into("#port-retry", &first.to_string()).await;
    app.click("#port-retry-button").await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    assert!(!app.visible("#port-banner").await);
    let health = curl("GET", &format!("http://127.0.0.1:{first}/api/health"), None);
    assert_eq!(health.status, 200, "{}", health.body);
    let saved = std::fs::read_to_string(app.sandbox.config_file()).unwrap();
    assert!(saved.contains(&format!("port = {first}")), "{saved}");

    // Invalid settings are refused inline, each with its reason, and nothing is saved.
    app.type_into("#set-port", "99999").await;
    app.type_into("#set-ttl", "0").await;
    let enter = char::from(fantoccini::key::Key::Enter);
    app.type_into(
        "#set-origins",
        &format!("http://ok:1{enter}http://bad/path"),
    )
    .await;
    app.click("#save-settings").await;
    let port_error = app
        .wait_for_text("#err-port", "a port error", |t| !t.is_empty())
        .await;
    assert!(
        port_error.contains("\"99999\" is not a port number"),
        "{port_error}"
    );
    assert!(
        app.text("#err-ttl_hours")
            .await
            .contains("0 is out of range")
    );
    let origins_error = app.text("#err-allowed_origins").await;
    assert!(
        origins_error.starts_with("\"http://bad/path\": expected scheme://host[:port]"),
        "only the bad line is named: {origins_error}"
    );
    assert_eq!(
        app.attr("#set-port", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        std::fs::read_to_string(app.sandbox.config_file()).unwrap(),
        saved
    );
    app.screenshot("settings-invalid").await;

    // Fixing them and saving moves the server again; the old port stops answering.
    let second = free_port();
    app.type_into("#set-port", &second.to_string()).await;
    app.type_into("#set-ttl", "48").await;
    app.type_into("#set-origins", "http://127.0.0.1:8888").await;
    app.click("#save-settings").await;
    app.wait_for_text("#settings-note", "the saved note", |t| t == "Saved.")
        .await;
    let server = app.text("#server-status").await;
    assert!(server.contains(&format!(":{second}")), "{server}");
    assert_eq!(
        curl(
            "GET",
            &format!("http://127.0.0.1:{second}/api/health"),
            None
        )
        .status,
        200
    );
    assert_eq!(
        curl("GET", &format!("http://127.0.0.1:{first}/api/health"), None).status,
        0,
        "nothing answers on the old port"
    );
    let saved = std::fs::read_to_string(app.sandbox.config_file()).unwrap();
    assert!(saved.contains(&format!("port = {second}")), "{saved}");
    assert!(saved.contains("ttl_hours = 48"), "{saved}");
    // The TTL picker follows the new maximum: 24 h is offered, 7 days (168 h) is not.
    assert_eq!(app.attr("#ttl option[value='24']", "disabled").await, None);
    assert_eq!(
        app.attr("#ttl option[value='168']", "disabled")
            .await
            .as_deref(),
        Some("true")
    );
    drop(squatter);
    drop(second_squatter);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_7_close_hides_to_tray_and_a_second_launch_focuses_the_first_window() {
    let notifications = support::notifications::FakeNotifications::start();
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let token = mint_in_window(&app, None).await;

    let window = *x11::windows_titled("PawKey")
        .iter()
        .find(|w| x11::is_viewable(**w))
        .expect("a visible PawKey window");

    // Closing hides the window; PawKey keeps serving and says so, once.
    x11::request_close(window);
    eventually("the window hides", Duration::from_secs(5), || {
        !x11::is_viewable(window)
    })
    .await;
    eventually(
        "the still-running notification",
        Duration::from_secs(5),
        || {
            notifications
                .shown()
                .iter()
                .any(|(summary, _)| summary == "PawKey is still running")
        },
    )
    .await;
    assert_eq!(app.sandbox.app_pids().len(), 1, "PawKey is still running");
    let health = curl("GET", &format!("{}/api/health", base(&app)), None);
    assert_eq!(health.status, 200);

    // A second launch: no second app or server; the first window comes back, focused.
    x11::unfocus_all();
    let started = Instant::now();
    let second = app
        .sandbox
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("second launch");
    let output = tokio::task::spawn_blocking(move || second.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "second launch exited with {:?}",
        output.status
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("listening"), "{stderr}");
    eventually(
        "the first window is shown again",
        Duration::from_secs(5),
        || x11::is_viewable(window),
    )
    .await;
    eventually(
        "the first window has the focus",
        Duration::from_secs(5),
        || x11::has_focus(window),
    )
    .await;
    assert_eq!(app.sandbox.app_pids().len(), 1, "still one PawKey");
    assert_eq!(
        x11::windows_titled("PawKey")
            .iter()
            .filter(|w| x11::is_viewable(**w))
            .count(),
        1
    );
    // Same app, same state: the token from before is still on screen and valid.
    assert_eq!(app.text("#token").await, token);
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify", base(&app)),
        Some(&token),
    );
    assert_eq!(verify.status, 200);

    // Closing again does not repeat the notification.
    let before = notifications.shown().len();
    x11::request_close(window);
    eventually("the window hides again", Duration::from_secs(5), || {
        !x11::is_viewable(window)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(notifications.shown().len(), before);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_clears_our_token_from_the_clipboard_and_stops_the_server() {
    // Clearing on quit only: the timer never fires.
    let app = App::launch(Options {
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let token = mint_in_window(&app, None).await;
    assert_eq!(clipboard_text(), token);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        clipboard_text(),
        token,
        "0 means never cleared by the timer"
    );

    let pids = app.sandbox.app_pids();
    assert_eq!(pids.len(), 1);
    // SIGTERM takes the same path as Quit in the tray.
    let pid = pids[0];
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    eventually("PawKey exits", Duration::from_secs(15), || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true)
    })
    .await;
    assert_eq!(clipboard_text(), "", "our token was cleared on quit");
    assert_eq!(
        curl("GET", &format!("{}/api/health", base(&app)), None).status,
        0,
        "the server is gone"
    );
    assert!(
        app.log().contains("server stopped; exiting"),
        "{}",
        app.log()
    );
    app.close().await;

    // Quitting leaves what the user copied since alone.
    let app = App::launch(Options {
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    mint_in_window(&app, None).await;
    let _other = OtherCopy::new("copied after the token");
    let pid = app.sandbox.app_pids()[0];
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    eventually("PawKey exits", Duration::from_secs(15), || {
        app.sandbox.app_pids().is_empty()
    })
    .await;
    assert_eq!(clipboard_text(), "copied after the token");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_import_by_paste_and_from_pocketpaws_file() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#master-status", "data-state", "ok")
        .await;

    // A bad paste is refused inline with the reason.
    app.type_into("#import-token", "short").await;
    app.click("#import-button").await;
    let error = app
        .wait_for_text("#import-error", "an import error", |t| !t.is_empty())
        .await;
    assert!(error.contains("too short"), "{error}");

    let pasted = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";
    app.type_into("#import-token", pasted).await;
    app.click("#import-button").await;
    app.wait_for_text("#master-note", "the imported note", |t| {
        t.starts_with("Imported.")
    })
    .await;
    assert_eq!(app.sandbox.stored_master(), pasted);
    assert_eq!(app.text("#import-error").await, "");

    // Without PocketPaw's file the button says what to do.
    app.click("#import-pocketpaw").await;
    let error = app
        .wait_for_text("#import-error", "a missing-file error", |t| {
            t.contains("access_token")
        })
        .await;
    assert!(error.contains("is PocketPaw installed"), "{error}");

    let pocketpaw = app.sandbox.home().join(".pocketpaw");
    std::fs::create_dir_all(&pocketpaw).unwrap();
    let from_file = "7d1c2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
    std::fs::write(pocketpaw.join("access_token"), format!("{from_file}\n")).unwrap();
    app.click("#import-pocketpaw").await;
    app.wait_for_text("#master-note", "the imported note", |t| {
        t.starts_with("Imported.")
    })
    .await;
    assert_eq!(app.sandbox.stored_master(), from_file);
    let minted = curl(
        "POST",
        &format!("{}/api/auth/session", base(&app)),
        Some(from_file),
    );
    assert_eq!(minted.status, 200, "{}", minted.body);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_at_login_writes_the_autostart_entry_with_hidden_as_set() {
    // An APPIMAGE inherited from elsewhere (this is no AppImage) must not become the entry.
    let elsewhere = tempfile::tempdir().unwrap();
    let fake_appimage = elsewhere.path().join("Other.AppImage");
    std::fs::write(&fake_appimage, "").unwrap();
    let app = App::launch(Options {
        env: vec![
            ("APPIMAGE".into(), fake_appimage.display().to_string()),
            ("APPDIR".into(), "/tmp/.mount_Other".into()),
        ],
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let entry = app.sandbox.home().join(".config/autostart/PawKey.desktop");
    assert!(!entry.exists());
    assert!(!app.selected("#set-login").await);

    app.click("#set-login").await;
    app.click("#save-settings").await;
    app.wait_for_text("#settings-note", "the saved note", |t| t == "Saved.")
        .await;
    let desktop = std::fs::read_to_string(&entry).expect("autostart entry written");
    let exec = format!("Exec={} --hidden", support::app_binary().display());
    assert!(
        desktop.contains(&exec),
        "login starts hidden by default: {desktop}"
    );

    // Unticking "start in the tray" rewrites the entry without --hidden.
    assert!(app.selected("#set-hidden").await);
    app.click("#set-hidden").await;
    app.click("#save-settings").await;
    app.wait_for_text("#settings-note", "saved again", |t| t == "Saved.")
        .await;
    eventually(
        "the entry no longer passes --hidden",
        Duration::from_secs(5),
        || {
            std::fs::read_to_string(&entry)
                .is_ok_and(|d| d.contains("Exec=") && !d.contains("--hidden"))
        },
    )
    .await;
    let config = std::fs::read_to_string(app.sandbox.config_file()).unwrap();
    assert!(config.contains("start_hidden_at_login = false"), "{config}");

    app.click("#set-login").await;
    app.click("#save-settings").await;
    eventually(
        "the autostart entry is removed",
        Duration::from_secs(5),
        || !entry.exists(),
    )
    .await;
    app.close().await;
}

/// Starting PawKey never touches an existing login entry: not its text (which may point at
/// another copy of PawKey, or say whatever the person last saved), not even its mtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_leaves_the_login_entry_alone() {
    // Its own HOME, so the entry is where any PawKey looks: $XDG_CONFIG_HOME or ~/.config.
    let home = tempfile::tempdir().unwrap();
    let entry = home.path().join(".config/autostart/PawKey.desktop");
    std::fs::create_dir_all(entry.parent().unwrap()).unwrap();
    let text = "[Desktop Entry]\nType=Application\nName=PawKey\nExec=/opt/pawkey-old/pawkey\n";
    std::fs::write(&entry, text).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(&entry)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let app = App::launch_ready(Options {
        env: vec![
            ("HOME".into(), home.path().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.path().join(".config").display().to_string(),
            ),
        ],
        ..Options::default()
    })
    .await;
    // The window shows the entry as on.
    assert!(app.selected("#set-login").await);
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), text);
    assert_eq!(std::fs::metadata(&entry).unwrap().modified().unwrap(), old);
    app.close().await;
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), text);
}

#[test]
fn cli_subcommands_behave_like_pawkeyd() {
    let sandbox = support::Sandbox::new(&Options::default());
    let run = |args: &[&str]| {
        let out = sandbox.command().args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, stdout, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(stdout.trim().ends_with(pawkey_core::VERSION), "{stdout}");

    // `token` opens no window: it prints one token, which `verify` accepts.
    let (code, token, stderr) = run(&["token", "--ttl-hours", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    let token = token.trim();
    assert!(is_session_token(token), "{token}");
    let (code, verdict, _) = run(&["verify", token]);
    assert_eq!(code, Some(0));
    assert!(verdict.starts_with("valid: expires"), "{verdict}");
    assert_eq!(sandbox.stored_master().len(), 64);

    let (code, status, _) = run(&["status"]);
    assert_eq!(code, Some(0));
    assert!(
        status.contains(&format!("service {}", sandbox.service)),
        "{status}"
    );
    assert!(
        status.contains(&format!("port {}", sandbox.port)),
        "{status}"
    );

    let (code, _, stderr) = run(&["token", "--ttl-hours", "9999"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("ttl_hours must be between 1 and 24"),
        "{stderr}"
    );
}

/// Relative luminance (0–255) of the page background, and the CSS colour.
async fn background_luminance(app: &App) -> (f64, String) {
    let rgb = app
        .execute("return getComputedStyle(document.body).backgroundColor")
        .await;
    let rgb = rgb.as_str().unwrap().to_owned();
    let parts: Vec<f64> = rgb
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|p| p.trim().parse().unwrap())
        .collect();
    (
        0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2],
        rgb,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_follows_a_dark_desktop_theme() {
    let light = App::launch(Options::default()).await;
    light
        .wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let (l, rgb) = background_luminance(&light).await;
    assert!(l > 200.0, "light theme background {rgb}");
    light.close().await;

    let dark = App::launch(Options {
        env: vec![("GTK_THEME".into(), "Adwaita:dark".into())],
        ..Options::default()
    })
    .await;
    dark.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let (l, rgb) = background_luminance(&dark).await;
    assert!(l < 60.0, "dark theme background {rgb}");
    mint_in_window(&dark, None).await;
    dark.screenshot("main-window-dark").await;
    dark.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_keychain_is_shown_with_what_to_do() {
    // A session bus address where nothing listens: no Secret Service for this launch.
    let app = App::launch(Options {
        env: vec![(
            "DBUS_SESSION_BUS_ADDRESS".into(),
            "unix:path=/nonexistent/pawkey-test-bus".into(),
        )],
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#master-status", "data-state", "error")
        .await;
    assert!(
        app.text("#master-status")
            .await
            .contains("OS keychain — error")
    );
    assert!(app.visible("#keychain-banner").await);
    let advice = app.text("#keychain-message").await;
    assert!(
        advice.contains("start gnome-keyring or KeePassXC, or use --master-token-file"),
        "{advice}"
    );
    assert_eq!(
        app.attr("#new-session", "disabled").await.as_deref(),
        Some("true")
    );
    app.screenshot("keychain-missing").await;

    // The server still runs and says the same to HTTP clients, without a token.
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let minted = curl(
        "POST",
        &format!("{}/api/auth/session", base(&app)),
        Some("0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f"),
    );
    assert_eq!(minted.status, 503, "{}", minted.body);

    // "Try again" reads the keychain again and keeps explaining.
    app.click("#keychain-retry").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.visible("#keychain-banner").await);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_dashboard_and_pair_phone_use_bare_tokens_pocketpaw_accepts() {
    // The browser is a script that records its own command line (as every local user can
    // read it, from /proc), the page it was asked to open and that page's mode.
    let shim = tempfile::tempdir().unwrap();
    let opened = shim.path().join("opened-url");
    let browser = shim.path().join("browser");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nr='{r}'\ntr '\\0' ' ' < /proc/$$/cmdline > \"$r.argv\"\n\
             f=${{1#file://}}\ncat \"$f\" > \"$r.page\"\nstat -c %a \"$f\" > \"$r.mode\"\n\
             printf '%s' \"$1\" > \"$r.tmp\" && mv \"$r.tmp\" \"$r\"\n",
            r = opened.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let app = App::launch(Options {
        env: vec![("BROWSER".into(), browser.display().to_string())],
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#master-status", "data-state", "ok")
        .await;

    // No PocketPaw for this user: only a quiet hint.
    eventually_async(&app, "the unknown hint", |app| async move {
        app.visible("#pocketpaw-unknown").await
    })
    .await;
    assert!(!app.visible("#pocketpaw-different").await);

    app.click("#open-dashboard").await;
    app.wait_for_text("#dashboard-note", "the opened note", |t| {
        t.starts_with("Opened http://127.0.0.1:8888")
    })
    .await;
    eventually("the browser shim ran", Duration::from_secs(10), || {
        opened.exists()
    })
    .await;
    // The browser got a private local page, not the tokenised URL...
    let url = std::fs::read_to_string(&opened).unwrap();
    assert!(url.starts_with("file:///"), "unexpected URL {url}");
    assert!(url.ends_with(".html") && !url.contains("token"), "{url}");
    let side = |ext: &str| std::fs::read_to_string(format!("{}.{ext}", opened.display())).unwrap();
    assert_eq!(side("mode").trim(), "600");
    // ...which redirects to the dashboard with a token (meta refresh and script alike).
    let page = side("page");
    let redirect = page
        .split("location.replace(\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no redirect in {page}"));
    assert!(
        page.contains(&format!("content=\"0;url={redirect}\"")),
        "{page}"
    );
    let token = redirect
        .strip_prefix("http://127.0.0.1:8888/?token=")
        .unwrap_or_else(|| panic!("unexpected redirect {redirect}"));
    assert!(!token.starts_with("session:"), "{token}");
    // The browser's command line, readable by every local user, holds no token.
    let argv = side("argv");
    assert!(argv.contains(&url), "{argv}");
    assert!(
        !argv.contains(token),
        "the token is on the browser's command line: {argv}"
    );
    assert!(!argv.contains(token.split(':').nth(1).unwrap()), "{argv}");
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify?token={token}", base(&app)),
        None,
    );
    assert_eq!(verify.status, 200, "{}", verify.body);
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((3600 - 60..=3600).contains(&left), "{left}");

    // Phone pairing shows our QR code as an image, with its expiry.
    app.click("#pair-phone").await;
    app.wait_for_text("#pair-expiry", "the QR expiry", |t| {
        t.contains("10 minutes")
    })
    .await;
    // The default dashboard is on localhost, which a phone cannot reach: the window says so.
    assert!(
        app.text("#pair-expiry")
            .await
            .contains("cannot reach this computer's localhost"),
        "{}",
        app.text("#pair-expiry").await
    );
    let src = app.attr("#pair-qr", "src").await.unwrap_or_default();
    assert!(src.starts_with("data:image/svg+xml;base64,"), "{src:.60}");
    let width = app
        .execute("return document.getElementById('pair-qr').naturalWidth;")
        .await;
    assert!(
        width.as_u64().unwrap_or(0) >= 200,
        "the QR image did not load: {width}"
    );
    app.execute(
        "document.getElementById('pair').scrollIntoView({ block: 'center' }); return true;",
    )
    .await;
    app.screenshot("pocketpaw-pairing").await;

    // PocketPaw with another master: the window says so and imports it on request.
    let pocketpaw = app.sandbox.home().join(".pocketpaw");
    std::fs::create_dir_all(&pocketpaw).unwrap();
    let theirs = "7d1c2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
    std::fs::write(pocketpaw.join("access_token"), format!("{theirs}\n")).unwrap();
    std::fs::remove_file(&opened).unwrap();
    app.click("#open-dashboard").await;
    eventually_async(&app, "the different-master notice", |app| async move {
        app.visible("#pocketpaw-different").await
    })
    .await;
    assert!(!app.visible("#pocketpaw-unknown").await);
    app.screenshot("pocketpaw-different").await;
    app.click("#pocketpaw-import").await;
    eventually_async(&app, "the notice to go", |app| async move {
        !app.visible("#pocketpaw-different").await
    })
    .await;
    assert_eq!(app.sandbox.stored_master(), theirs);

    // PocketPaw regenerates its own token: within seconds, unasked, the window offers the
    // import again.
    std::fs::write(
        pocketpaw.join("access_token"),
        "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6",
    )
    .unwrap();
    eventually_async(
        &app,
        "the notice after PocketPaw regenerated",
        |app| async move { app.visible("#pocketpaw-different").await },
    )
    .await;

    // An invalid dashboard URL is refused inline.
    app.type_into("#set-dashboard", "ftp://paw").await;
    app.click("#save-settings").await;
    let error = app
        .wait_for_text("#err-dashboard_url", "an inline error", |t| !t.is_empty())
        .await;
    assert!(error.contains("ftp://paw"), "{error}");
    // A URL whose real host hides behind a user@ part: the form names the host it really
    // leads to, and saving refuses it.
    app.type_into("#set-dashboard", "http://127.0.0.1:8888@evil.example")
        .await;
    let host = app
        .wait_for_text("#dashboard-host", "the parsed host", |t| {
            t.contains("evil.example")
        })
        .await;
    assert!(host.contains("another machine"), "{host}");
    app.click("#save-settings").await;
    let error = app
        .wait_for_text("#err-dashboard_url", "the userinfo refusal", |t| {
            t.contains("@")
        })
        .await;
    assert!(error.contains("not the host"), "{error}");
    app.close().await;
}

/// An access request opened over HTTP, as a page would.
struct Opened {
    request_id: String,
    user_code: String,
    number: u64,
}

impl Opened {
    /// Its card in the window.
    fn card(&self) -> String {
        format!("#request-list .request[data-number='{}']", self.number)
    }
}

fn request_access(app: &App, client: &str, ttl_hours: u32) -> Opened {
    let body = serde_json::json!({ "client": client, "ttl_hours": ttl_hours }).to_string();
    let res = curl_with(
        "POST",
        &format!("{}/api/auth/request", base(app)),
        None,
        Some(&body),
    );
    assert_eq!(res.status, 202, "{}", res.body);
    let opened = res.json();
    Opened {
        request_id: opened["request_id"].as_str().unwrap().to_owned(),
        user_code: opened["user_code"].as_str().unwrap().to_owned(),
        number: opened["number"].as_u64().unwrap(),
    }
}

fn poll_request(app: &App, request_id: &str) -> support::Http {
    curl(
        "POST",
        &format!("{}/api/auth/request/{request_id}", base(app)),
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_shows_a_card_and_allow_with_the_code_or_deny_answers_the_poller() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    assert!(!app.visible("#requests").await, "no card before a request");

    // A request over HTTP appears as a card with its number, who asks (as claimed) and a
    // countdown — and not its code, which the person reads off the browser.
    let first_req = request_access(&app, "e2e poller", 8);
    let first = first_req.card();
    app.wait_for_text(&format!("{first} .request-number"), "the number", |t| {
        t == format!("Request #{}", first_req.number)
    })
    .await;
    assert!(app.visible("#requests").await);
    assert!(
        !app.text("#requests").await.contains(&first_req.user_code),
        "the card shows the code"
    );
    assert_eq!(
        app.text(&format!("{first} .request-client")).await,
        "e2e poller"
    );
    assert!(
        app.text(&format!("{first} .request-claimed"))
            .await
            .contains("any program on this computer can claim them")
    );
    assert_eq!(
        app.text(&format!("{first} .request-peer")).await,
        "127.0.0.1"
    );
    app.wait_for_text(&format!("{first} .request-left"), "a countdown", |t| {
        t.starts_with("1:") && t.ends_with(" left")
    })
    .await;
    // The lifetime picker offers the requested 8 h and shorter, never longer.
    assert_eq!(app.count(&format!("{first} .request-ttl option")).await, 2);
    assert_eq!(
        app.prop(&format!("{first} .request-ttl"), "value")
            .await
            .as_deref(),
        Some("8")
    );
    assert_eq!(
        poll_request(&app, &first_req.request_id).status,
        202,
        "nothing before a decision"
    );

    // A second request stacks below the first.
    let second_req = request_access(&app, "second poller", 24);
    let second = second_req.card();
    app.wait_for_text(
        &format!("{second} .request-number"),
        "the second card",
        |t| t == format!("Request #{}", second_req.number),
    )
    .await;
    assert_eq!(app.count("#request-list .request").await, 2);
    let (_, first_y, _, _) = app.rect(&first).await;
    let (_, second_y, _, _) = app.rect(&second).await;
    assert!(second_y > first_y, "oldest first");
    assert!(app.visible("#deny-all").await, "Deny all with two waiting");

    // Allow cannot be pressed before a whole code is typed; the second request's code on
    // the first card is refused and nothing is approved.
    let allow = format!("{first} .allow");
    assert_eq!(app.prop(&allow, "disabled").await.as_deref(), Some("true"));
    let code_field = format!("{first} .request-code-input");
    app.type_into(&code_field, &second_req.user_code).await;
    app.click(&allow).await;
    let error = app
        .wait_for_text(&format!("{first} .request-error"), "the refusal", |t| {
            !t.is_empty()
        })
        .await;
    assert!(error.contains("not the code"), "{error}");
    assert_eq!(poll_request(&app, &first_req.request_id).status, 202);
    assert_eq!(poll_request(&app, &second_req.request_id).status, 202);
    app.screenshot("approval-card").await;

    // Allow the first with its own code and a shorter lifetime: its poller collects a
    // token that verifies.
    app.type_into(&code_field, &first_req.user_code.to_lowercase())
        .await;
    app.select(&format!("{first} .request-ttl"), "1").await;
    app.click(&allow).await;
    eventually_async(&app, "the allowed card leaves", |app| async move {
        app.count("#request-list .request").await == 1
    })
    .await;
    let polled = poll_request(&app, &first_req.request_id);
    assert_eq!(polled.status, 200, "{}", polled.body);
    let polled = polled.json();
    assert_eq!(polled["status"], "approved");
    assert_eq!(polled["expires_in_hours"], 1);
    let token = polled["session_token"].as_str().unwrap().to_owned();
    assert!(is_session_token(&token), "{token}");
    let verify = curl(
        "GET",
        &format!("{}/api/auth/verify", base(&app)),
        Some(&token),
    );
    assert_eq!(verify.status, 200, "{}", verify.body);
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((3600 - 60..=3600).contains(&left), "{left}");
    // The mint shows in the recent list as an approval.
    let row = format!(
        "#recent-body tr[data-fingerprint='{}']",
        pawkey_core::token::fingerprint(&token)
    );
    assert_eq!(
        app.attr(&row, "data-source").await.as_deref(),
        Some("approval")
    );

    // Deny the second: its poller is refused, and the section goes away.
    app.click(&format!("{second} .deny")).await;
    eventually_async(&app, "the requests section hides", |app| async move {
        !app.visible("#requests").await
    })
    .await;
    let polled = poll_request(&app, &second_req.request_id);
    assert_eq!(polled.status, 403, "{}", polled.body);
    assert!(
        !app.log().contains(&token[8..]),
        "the token is in the app log"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_labels_render_as_plain_text_and_deny_all_clears_a_flood() {
    let app = App::launch(Options::default()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    // Markup, a script and a very long word: shown as the text they are, on the card.
    let markup = r#"<img src=x onerror="document.title='pwned'"><b>Bank</b>"#;
    let long = "W".repeat(64);
    let hostile = request_access(&app, markup, 1);
    let long_req = request_access(&app, &long, 1);
    let card = hostile.card();
    app.wait_for_text(&format!("{card} .request-client"), "the label", |t| {
        t == markup
    })
    .await;
    assert_eq!(app.count(&format!("{card} img, {card} b")).await, 0);
    let title = app.execute("return document.title;").await;
    assert_ne!(title, serde_json::json!("pwned"));
    // The long label wraps inside its card instead of widening the window.
    let (_, _, card_w, _) = app.rect(&long_req.card()).await;
    let (_, _, label_w, _) = app
        .rect(&format!("{} .request-client", long_req.card()))
        .await;
    assert!(
        label_w <= card_w,
        "label {label_w} wider than its card {card_w}"
    );
    // Labels with bidi overrides or line breaks are refused before they reach a card.
    for bad in ["Browser on \u{202e}lacol\u{202c}host", "two\nlines"] {
        let body = serde_json::json!({ "client": bad }).to_string();
        let res = curl_with(
            "POST",
            &format!("{}/api/auth/request", base(&app)),
            None,
            Some(&body),
        );
        assert_eq!(res.status, 422, "{bad:?}: {}", res.body);
    }
    // Deny all: every card goes, every poller is refused.
    app.click("#deny-all").await;
    let said = app.text("#requests-error").await;
    assert!(said.is_empty(), "{said}");
    eventually_async(&app, "the requests section hides", |app| async move {
        !app.visible("#requests").await
    })
    .await;
    for r in [&hostile, &long_req] {
        assert_eq!(poll_request(&app, &r.request_id).status, 403);
    }
    app.close().await;
}

// ---------- Issue 12: the log file, "Open logs", the recent list across restarts ----------

/// `pawkey token --json` (the CLI) with a 0600 master-token file, writing to `data`'s
/// audit log, as a user would before starting the window: (token, fingerprint).
fn mint_with_the_cli(
    dir: &std::path::Path,
    data: &std::path::Path,
    master: &str,
) -> (String, String) {
    use std::os::unix::fs::PermissionsExt;
    let file = dir.join("master-token");
    std::fs::write(&file, master).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = std::process::Command::new(support::app_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PAWKEY_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(["token", "--json", "--ttl-hours", "3", "--master-token-file"])
        .arg(&file)
        .env("PAWKEY_CONFIG", dir.join("config.toml"))
        .env("PAWKEY_DATA_DIR", data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        json["session_token"].as_str().unwrap().to_owned(),
        json["fingerprint"].as_str().unwrap().to_owned(),
    )
}

/// The fingerprints of the recent list's rows, top to bottom.
async fn row_fingerprints(app: &App) -> serde_json::Value {
    app.execute(
        "return [...document.querySelectorAll('#recent-body tr')].map(r => r.dataset.fingerprint)",
    )
    .await
}

/// Everything in the log directory's files, and their names.
fn read_logs(dir: &std::path::Path) -> (Vec<String>, String) {
    let mut names = Vec::new();
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        names.push(entry.file_name().to_string_lossy().into_owned());
        // pawkey.log links to today's file: read each file once.
        if entry.file_type().unwrap().is_file() {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    names.sort();
    (names, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recent_list_survives_restarts_and_the_log_file_holds_no_token() {
    const MASTER: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";
    let outside = tempfile::tempdir().unwrap();
    let data = outside.path().join("data");
    let state_home = outside.path().join("state");
    let log_dir = state_home.join("pawkey/logs");
    // The file manager is a script that records what it was asked to open.
    let shim = outside.path().join("bin");
    std::fs::create_dir(&shim).unwrap();
    let opened = outside.path().join("opened");
    std::fs::write(
        shim.join("xdg-open"),
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{o}.tmp' && mv '{o}.tmp' '{o}'\n",
            o = opened.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            shim.join("xdg-open"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let options = || Options {
        master: Some(MASTER.into()),
        env: vec![
            ("PAWKEY_DATA_DIR".into(), data.display().to_string()),
            ("XDG_STATE_HOME".into(), state_home.display().to_string()),
            ("PATH".into(), path.clone()),
        ],
        ..Options::default()
    };

    // A token minted with the CLI while PawKey is not running...
    let (cli_token, cli_fp) = mint_with_the_cli(outside.path(), &data, MASTER);
    let app = App::launch(options()).await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    // ...is in the window's list from the start, as a CLI mint.
    let cli_row = format!("#recent-body tr[data-fingerprint='{cli_fp}']");
    eventually_async(&app, "the CLI mint listed", |app| {
        let cli_row = cli_row.clone();
        async move { app.visible(&cli_row).await }
    })
    .await;
    assert_eq!(
        app.attr(&cli_row, "data-source").await.as_deref(),
        Some("cli")
    );
    assert!(app.text(&cli_row).await.contains("CLI"));
    assert_eq!(app.count("#recent-body tr").await, 1);

    let window_token = mint_in_window(&app, None).await;
    let window_fp = pawkey_core::token::fingerprint(&window_token);
    eventually(
        "the window mint in the audit log",
        Duration::from_secs(5),
        || std::fs::read_to_string(data.join("audit.jsonl")).is_ok_and(|t| t.contains(&window_fp)),
    )
    .await;

    // The log file: in the documented place, with a start-up line, and no secret.
    let (names, text) = read_logs(&log_dir);
    let today = names
        .iter()
        .find(|n| n.starts_with("pawkey.") && n.ends_with(".log") && n.len() > "pawkey.log".len())
        .unwrap_or_else(|| panic!("no dated log file in {}: {names:?}", log_dir.display()));
    assert!(names.contains(&"pawkey.log".to_owned()), "{names:?}");
    assert_eq!(
        std::fs::read_link(log_dir.join("pawkey.log"))
            .unwrap()
            .file_name()
            .unwrap(),
        today.as_str()
    );
    assert!(
        text.contains(&format!("PawKey {} starting", pawkey_core::VERSION)),
        "no start-up line: {text}"
    );
    assert!(!text.contains('\x1b'), "colour codes in the file: {text}");
    for secret in [MASTER, &window_token[8..], &cli_token[8..]] {
        assert!(!text.contains(secret), "a secret in the log file: {text}");
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the log folder is private");
    }

    // "Open logs" hands the folder to the platform's opener and says where it is.
    app.click("#open-logs").await;
    let note = app
        .wait_for_text("#logs-note", "the opened note", |t| {
            t.starts_with("Opened ")
        })
        .await;
    assert_eq!(note, format!("Opened {}", log_dir.display()));
    eventually("the opener ran", Duration::from_secs(10), || {
        opened.exists()
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap(),
        log_dir.display().to_string()
    );
    app.close().await;

    // A restart lists both mints, newest first, and logs to the same folder.
    let app = App::launch(options()).await;
    eventually_async(&app, "both mints after the restart", |app| async move {
        row_fingerprints(app)
            .await
            .as_array()
            .is_some_and(|a| a.len() == 2)
    })
    .await;
    assert_eq!(
        row_fingerprints(&app).await,
        serde_json::json!([window_fp, cli_fp])
    );
    let (_, text) = read_logs(&log_dir);
    assert_eq!(
        text.matches(&format!("PawKey {} starting", pawkey_core::VERSION))
            .count(),
        2,
        "{text}"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_cannot_be_selected_and_copied_past_the_marked_cleared_path() {
    let app = App::launch(Options {
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let token = mint_in_window(&app, None).await;
    let master = app.sandbox.stored_master();
    let page = app.execute("return document.body.innerText;").await;
    assert!(
        !page.as_str().unwrap_or_default().contains(&master),
        "the master is nowhere on the page"
    );
    // Something else is on the clipboard now, as after the person copied elsewhere.
    let other = support::OtherCopy::new("copied elsewhere");
    for field in ["token", "master-value"] {
        // Neither field takes a mouse selection...
        let style = app
            .execute(&format!(
                "return getComputedStyle(document.getElementById('{field}')).webkitUserSelect;"
            ))
            .await;
        assert_eq!(style, serde_json::json!("none"), "{field}");
        // ...and a selection forced onto it does not reach the clipboard by a native copy
        // (Ctrl+C, the context menu's Copy).
        let copied = app
            .execute(&format!(
                "const s = window.getSelection(); s.removeAllRanges(); \
                 s.selectAllChildren(document.getElementById('{field}')); \
                 return document.execCommand('copy');"
            ))
            .await;
        assert_ne!(copied, serde_json::json!(null), "{field}");
        assert_eq!(support::clipboard_text(), "copied elsewhere", "{field}");
    }
    drop(other);
    // Copy on the master copies it marked as a password and clears it even with
    // clipboard_clear_seconds = 0 ("never", which only session tokens honour).
    app.click("#copy-master").await;
    eventually(
        "the master on the clipboard",
        Duration::from_secs(5),
        || support::clipboard_text() == master,
    )
    .await;
    assert!(
        support::clipboard_targets()
            .iter()
            .any(|t| t == "x-kde-passwordManagerHint")
    );
    let note = app
        .wait_for_text("#master-note", "the clearing note", |t| {
            t.contains("cleared in")
        })
        .await;
    assert!(
        note.contains("cleared in 30 s") || note.contains("cleared in 29 s"),
        "{note}"
    );
    // A session token copied with the same setting stays ("never"), as configured.
    app.click("#copy-token").await;
    let note = app
        .wait_for_text("#copy-note", "the copy note", |t| t.contains("copied"))
        .await;
    assert!(!note.contains("cleared in"), "{note}");
    assert_eq!(support::clipboard_text(), token);
    app.close().await;
}
