//! The window exists only while shown (issue "light in the tray"): closing drops its page
//! after `window_keep_seconds`, so WebKit's web process exits, while the server and the tray
//! go on; reopening rebuilds it as it was left; `--hidden` starts with no window at all.
//! Driven through the real webview (WebKitWebDriver attached to the window process) and the real tray menu
//! (over D-Bus, as a desktop's tray clicks it), under Xvfb with a real gnome-keyring.

// Xvfb, X11 and D-Bus: the desktop tests run on Linux (the CI workflow runs them there).
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use support::{App, Direct, Options, clipboard_text, curl, eventually, x11};

/// Every live process: (pid, parent, short name), from `/proc/*/stat`.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = &stat[open + 1..close];
            let rest = &stat[close + 2..];
            let ppid: u32 = rest.split(' ').nth(1)?.parse().ok()?;
            (!rest.starts_with('Z')).then(|| (pid, ppid, name.to_owned()))
        })
        .collect()
}

/// WebKit's live processes under PawKey `pid`: its own children and its window process's
/// (there they should all be): (pid, short name).
fn webkit_processes(pid: u32) -> Vec<(u32, String)> {
    let all = processes();
    let windows: Vec<u32> = all
        .iter()
        .filter(|(p, parent, _)| *parent == pid && support::is_window_process(*p))
        .map(|(p, _, _)| *p)
        .collect();
    let mut found: Vec<(u32, String)> = all
        .into_iter()
        .filter(|(_, parent, name)| {
            (*parent == pid || windows.contains(parent)) && name.starts_with("WebKit")
        })
        .map(|(p, _, name)| (p, name))
        .collect();
    found.sort_unstable();
    found
}

/// Their short names.
fn webkit_children(pid: u32) -> Vec<String> {
    webkit_processes(pid).into_iter().map(|(_, n)| n).collect()
}

/// The process ids of the web processes (one per page).
fn webkit_pids(pid: u32) -> Vec<u32> {
    webkit_processes(pid)
        .into_iter()
        .filter(|(_, n)| n.starts_with("WebKitWebProces"))
        .map(|(p, _)| p)
        .collect()
}

fn web_processes(pid: u32) -> usize {
    webkit_pids(pid).len()
}

fn base(app: &App) -> String {
    format!("http://127.0.0.1:{}", app.sandbox.port)
}

fn verifies(app: &App, token: &str) -> bool {
    curl(
        "GET",
        &format!("{}/api/auth/verify", base(app)),
        Some(token),
    )
    .status
        == 200
}

fn main_window() -> Option<u32> {
    x11::windows_titled("PawKey")
        .into_iter()
        .find(|w| x11::is_viewable(*w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_window_drops_its_page_and_comes_back_as_it_was_left() {
    let mut app = App::launch(Options {
        config: Some("window_keep_seconds = 1\n".into()),
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let pid = app.sandbox.app_pids()[0];
    assert_eq!(web_processes(pid), 1, "{:?}", webkit_children(pid));

    // A custom lifetime, then a token.
    app.select("#ttl", "custom").await;
    app.type_into("#ttl-custom", "5").await;
    app.click("#new-session").await;
    let token = app
        .wait_for_text("#token", "a token", |t| t.starts_with("session:"))
        .await;

    let window = main_window().expect("a visible window");
    x11::request_close(window);
    eventually(
        "the window process exits, WebKit with it",
        Duration::from_secs(10),
        || webkit_processes(pid).is_empty() && app.sandbox.window_pids().is_empty(),
    )
    .await;
    assert!(main_window().is_none(), "no window is shown");

    // The server and the tray go on without a page.
    assert!(verifies(&app, &token));
    let tray = app.tray.as_ref().expect("a tray");
    tray.click("Copy new session token");
    eventually("the tray copies a token", Duration::from_secs(10), || {
        let t = clipboard_text();
        t.starts_with("session:") && t != token
    })
    .await;
    assert!(verifies(&app, &clipboard_text()));

    // Back from the tray: a new page, as it was left.
    tray.click("Open PawKey");
    eventually("the window is back", Duration::from_secs(10), || {
        main_window().is_some()
    })
    .await;
    assert_eq!(web_processes(pid), 1, "a new page, in a new web process");
    assert_eq!(app.sandbox.window_pids().len(), 1, "one window process");
    app.reattach().await;
    assert_eq!(app.text("#token").await, token, "the token left on screen");
    // Minted for 5 hours a few seconds ago: the countdown goes on from there.
    let countdown = app.text("#countdown").await;
    assert!(
        countdown.starts_with("04:5") && countdown.ends_with("left"),
        "its countdown runs: {countdown:?}"
    );
    assert_eq!(app.prop("#ttl", "value").await.as_deref(), Some("custom"));
    assert_eq!(app.prop("#ttl-custom", "value").await.as_deref(), Some("5"));
    assert_eq!(
        app.prop("#copy-token", "disabled").await.as_deref(),
        Some("false"),
        "it can be copied again"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_reopened_within_the_keep_time_is_the_same_page() {
    let app = App::launch(Options {
        config: Some("window_keep_seconds = 30\n".into()),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    let pid = app.sandbox.app_pids()[0];
    let page = webkit_pids(pid);
    let window = main_window().expect("a visible window");
    x11::request_close(window);
    eventually("the window hides", Duration::from_secs(5), || {
        !x11::is_viewable(window)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(webkit_pids(pid), page, "the page is kept for 30 s");
    app.tray.as_ref().expect("a tray").click("Open PawKey");
    eventually("the same window is back", Duration::from_secs(5), || {
        x11::is_viewable(window)
    })
    .await;
    assert_eq!(webkit_pids(pid), page, "same web process");
    // The page is the one the session already drives.
    assert!(!app.text("#server-status").await.is_empty());
    app.close().await;
}

fn health(port: u16) -> u16 {
    curl("GET", &format!("http://127.0.0.1:{port}/api/health"), None).status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_hidden_it_serves_with_no_window_until_asked() {
    let app = Direct::launch(Options::default(), &["--hidden"]).await;
    let port = app.sandbox.port;
    eventually("the server answers", Duration::from_secs(20), || {
        health(port) == 200
    })
    .await;
    assert!(
        x11::windows_titled("PawKey").is_empty(),
        "no window at all, not even an unmapped one"
    );
    assert!(
        webkit_children(app.pid()).is_empty(),
        "no WebKit process: {:?}",
        webkit_children(app.pid())
    );
    // The tray mints with no window ever built.
    let tray = app.tray.as_ref().expect("a tray");
    tray.click("Copy new session token");
    eventually("the tray copies a token", Duration::from_secs(10), || {
        clipboard_text().starts_with("session:")
    })
    .await;
    let token = clipboard_text();
    assert_eq!(
        curl(
            "GET",
            &format!("http://127.0.0.1:{port}/api/auth/verify"),
            Some(&token)
        )
        .status,
        200
    );

    // Launching PawKey again shows the window of the one running (single instance).
    let second = app
        .sandbox
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("second launch");
    assert!(second.success());
    eventually("the window appears", Duration::from_secs(15), || {
        main_window().is_some()
    })
    .await;
    assert_eq!(web_processes(app.pid()), 1);
    assert_eq!(app.sandbox.app_pids(), vec![app.pid()], "still one PawKey");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_tray_hidden_still_shows_the_window_and_closing_quits() {
    let mut app = Direct::launch(
        Options {
            no_tray: true,
            ..Options::default()
        },
        &["--hidden"],
    )
    .await;
    let port = app.sandbox.port;
    eventually(
        "the window is shown: there is no tray to come back from",
        Duration::from_secs(20),
        || main_window().is_some(),
    )
    .await;
    eventually("the server answers", Duration::from_secs(20), || {
        health(port) == 200
    })
    .await;
    assert!(
        app.log().contains("this desktop shows no tray icons"),
        "said once in the log: {}",
        app.log()
    );
    x11::request_close(main_window().expect("the window"));
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = app.exited() {
            break status;
        }
        assert!(Instant::now() < deadline, "closing quits PawKey");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(
        app.log().contains("server stopped; exiting"),
        "{}",
        app.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_close_and_reopen_cycles_leave_one_page_and_a_working_app() {
    let mut app = App::launch(Options {
        config: Some("window_keep_seconds = 0\n".into()),
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    app.click("#new-session").await;
    let token = app
        .wait_for_text("#token", "a token", |t| t.starts_with("session:"))
        .await;
    let pid = app.sandbox.app_pids()[0];
    let tray = app.tray.as_ref().expect("a tray");
    for cycle in 1..=20 {
        let window = main_window().unwrap_or_else(|| panic!("cycle {cycle}: a window"));
        x11::request_close(window);
        eventually(
            &format!("cycle {cycle}: the page is dropped"),
            Duration::from_secs(10),
            || {
                web_processes(pid) == 0
                    && main_window().is_none()
                    && app.sandbox.window_pids().is_empty()
            },
        )
        .await;
        tray.click("Open PawKey");
        eventually(
            &format!("cycle {cycle}: the window is back"),
            Duration::from_secs(15),
            || main_window().is_some() && web_processes(pid) == 1,
        )
        .await;
    }
    assert_eq!(app.sandbox.app_pids(), vec![pid], "the same single PawKey");
    assert_eq!(web_processes(pid), 1);
    app.reattach().await;
    assert_eq!(app.text("#token").await, token);
    assert!(verifies(&app, &token));
    app.close().await;
}
