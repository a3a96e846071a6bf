//! The window exists only while shown (issue "light in the tray"): closing drops its page
//! after `window_keep_seconds`, so WebKit's web process exits, while the server and the tray
//! go on; reopening rebuilds it as it was left; `--hidden` starts with no window at all.
//! Driven through the real webview (tauri-driver + WebKitWebDriver) and the real tray menu
//! (over D-Bus, as a desktop's tray clicks it), under Xvfb with a real gnome-keyring.

mod support;

use std::time::{Duration, Instant};

use support::{App, Options, clipboard_text, curl, eventually, x11};

/// WebKit's processes that are children of `pid` (`/proc/*/stat`), by their short name.
fn webkit_children(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = &stat[open + 1..close];
            let ppid: u32 = stat[close + 2..].split(' ').nth(1)?.parse().ok()?;
            (ppid == pid && name.starts_with("WebKit") && !stat[close + 2..].starts_with('Z'))
                .then(|| name.to_owned())
        })
        .collect()
}

fn web_processes(pid: u32) -> usize {
    webkit_children(pid)
        .iter()
        .filter(|n| n.starts_with("WebKitWebProces"))
        .count()
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
    let app = App::launch(Options {
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
    eventually("the web process exits", Duration::from_secs(10), || {
        web_processes(pid) == 0
    })
    .await;
    assert!(main_window().is_none(), "no window is shown");
    eprintln!("after drop: {:?}", webkit_children(pid));

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
    let started = Instant::now();
    tray.click("Open PawKey");
    eventually("the window is back", Duration::from_secs(10), || {
        main_window().is_some()
    })
    .await;
    eprintln!("reopen mapped after {:?}", started.elapsed());
    let handles = app.client.windows().await.expect("window handles");
    eprintln!("handles: {handles:?}");
    app.client
        .switch_to_window(handles.last().unwrap().clone())
        .await
        .expect("switch");
    app.wait_for_css_pub("body[data-ready='true']").await;
    assert_eq!(app.text("#token").await, token);
    assert_eq!(app.prop("#ttl", "value").await.as_deref(), Some("custom"));
    assert_eq!(app.prop("#ttl-custom", "value").await.as_deref(), Some("5"));
    app.close().await;
}
