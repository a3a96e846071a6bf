//! The window for a keyboard and screen-reader user (WCAG 2.1 AA, issue 12): what the live
//! regions say (once, not every second), the token one Tab away and copyable there, the
//! rotate dialog and the access-request cards by keyboard, zoom with Ctrl +/-/0, Cmd in the
//! hints on macOS, and Ctrl+Q quitting cleanly (clipboard cleared, server stopped, exit 0).
//! Real window through WebKitWebDriver, as in `e2e.rs`.

// Xvfb, X11 and D-Bus: the desktop tests run on Linux (the CI workflow runs them there).
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::json;
use support::{App, Options, OtherCopy, clipboard_text, curl, curl_with, eventually};

/// Presses `key` (with Ctrl when asked) through WebDriver key actions.
async fn keys(app: &App, ctrl: bool, key: char) -> Result<(), fantoccini::error::CmdError> {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let control: char = Key::Control.into();
    let mut actions = KeyActions::new("keyboard".into());
    if ctrl {
        actions = actions.then(KeyAction::Down { value: control });
    }
    actions = actions
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    if ctrl {
        actions = actions.then(KeyAction::Up { value: control });
    }
    app.client.perform_actions(actions).await?;
    app.client.release_actions().await
}

/// Presses `key` alone (Tab, Enter, Escape).
async fn press(app: &App, key: Key) {
    keys(app, false, key.into()).await.expect("key actions");
}

/// The id of the element that has the keyboard focus ("" for none).
async fn focused(app: &App) -> String {
    let id = app
        .execute("return document.activeElement ? document.activeElement.id : '';")
        .await;
    id.as_str().unwrap_or_default().to_owned()
}

async fn launch(clear_seconds: u32) -> App {
    App::launch_ready(Options {
        clipboard_clear_seconds: Some(clear_seconds),
        ..Options::default()
    })
    .await
}

/// Waits until the live region `id` (visually hidden, so read as textContent) says
/// something `check` accepts; returns it.
async fn heard(app: &App, id: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let said = app
            .execute(&format!(
                "return document.getElementById('{id}').textContent;"
            ))
            .await;
        let said = said.as_str().unwrap_or_default().to_owned();
        if check(&said) {
            return said;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "#{id}: not said within {timeout:?}; last {said:?}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

fn base(app: &App) -> String {
    format!("http://127.0.0.1:{}", app.sandbox.port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_reader_hears_the_copy_and_the_clearing_once_never_the_token() {
    let app = launch(3).await;
    // Nothing that changes every second is a live region.
    for css in ["#token", "#copy-note", "#master-note"] {
        assert_eq!(app.attr(css, "aria-live").await, None, "{css}");
    }
    assert_eq!(
        app.attr("#countdown", "aria-live").await.as_deref(),
        Some("off")
    );
    assert_eq!(
        app.attr("#announce", "role").await.as_deref(),
        Some("status")
    );
    assert_eq!(
        app.attr("#announce-error", "role").await.as_deref(),
        Some("alert")
    );
    // Count every change to the live regions from here on.
    app.execute(
        "window.spoken = []; for (const id of ['announce', 'announce-error']) \
         new MutationObserver(() => { const t = document.getElementById(id).textContent; \
         if (t) window.spoken.push(t); }).observe(document.getElementById(id), \
         { childList: true, characterData: true, subtree: true }); return true;",
    )
    .await;

    app.click("#new-session").await;
    let token = app
        .wait_for_text("#token", "a token", |t| t.starts_with("session:"))
        .await;
    let said = heard(&app, "announce", Duration::from_secs(5), |t| !t.is_empty()).await;
    assert!(
        said.starts_with("New session token, valid until")
            && said.contains("copied to the clipboard; cleared in 3 seconds"),
        "{said}"
    );
    assert!(
        !said.contains(&token[8..20]),
        "the token is read out: {said}"
    );
    // The visible note counts down; nothing more is said until the clipboard is cleared.
    let first = app.text("#copy-note").await;
    app.wait_for_text("#copy-note", "the countdown moving", |t| t != first)
        .await;
    heard(&app, "announce", Duration::from_secs(8), |t| {
        t == "Cleared from the clipboard."
    })
    .await;
    let spoken = app.execute("return window.spoken;").await;
    assert_eq!(spoken.as_array().map(Vec::len), Some(2), "said: {spoken}");

    // A refused lifetime is an alert.
    app.select("#ttl", "custom").await;
    app.type_into("#ttl-custom", "30").await;
    app.click("#new-session").await;
    let alert = heard(&app, "announce-error", Duration::from_secs(5), |t| {
        !t.is_empty()
    })
    .await;
    assert!(alert.contains("1 to 24 hours"), "{alert}");

    // The masked master is "Master token, hidden", not 32 bullets (it is never shown).
    assert_eq!(
        app.attr("#master-value", "role").await.as_deref(),
        Some("img")
    );
    assert_eq!(
        app.attr("#master-value", "aria-label").await.as_deref(),
        Some("Master token, hidden")
    );
    // The recent-sessions table is named by its heading.
    let name = app
        .execute(
            "const t = document.getElementById('recent'); \
             return document.getElementById(t.getAttribute('aria-labelledby')).textContent;",
        )
        .await;
    assert_eq!(name, json!("Recent sessions"));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_the_rotate_dialog_and_request_cards_work_by_keyboard() {
    let app = launch(0).await;
    app.press_ctrl('n', false).await;
    let token = app
        .wait_for_text("#token", "a token", |t| t.starts_with("session:"))
        .await;
    // One Tab from "New session" reaches the token, with a visible focus ring; Ctrl+C
    // there copies it; the next Tab is its Copy button.
    app.execute("document.getElementById('new-session').focus(); return true;")
        .await;
    press(&app, Key::Tab).await;
    assert_eq!(focused(&app).await, "token");
    let ring = app
        .execute("return getComputedStyle(document.activeElement).outlineStyle;")
        .await;
    assert_ne!(ring, json!("none"), "no focus ring on the token");
    let _other = OtherCopy::new("something else");
    app.press_ctrl('c', false).await;
    eventually(
        "Ctrl+C on the token copies it",
        Duration::from_secs(5),
        || clipboard_text() == token,
    )
    .await;
    press(&app, Key::Tab).await;
    assert_eq!(focused(&app).await, "copy-token");

    // The rotate dialog: Enter opens it on Cancel, Escape closes it and focus goes back.
    let master = app.sandbox.stored_master();
    app.execute("document.getElementById('rotate-master').focus(); return true;")
        .await;
    press(&app, Key::Enter).await;
    app.wait_for_attr("#rotate-dialog", "open", "true").await;
    assert_eq!(focused(&app).await, "rotate-cancel");
    press(&app, Key::Escape).await;
    eventually_open(&app, false).await;
    assert_eq!(focused(&app).await, "rotate-master");
    assert_eq!(
        app.sandbox.stored_master(),
        master,
        "Escape rotated nothing"
    );

    // Two access requests: deciding the focused card moves focus to the next card's code
    // field — never to an Allow button, where a stray Enter would act — and from the last
    // card to the "New session token" heading (not the button: Enter there would mint).
    let mut opened = Vec::new();
    for client in ["first page", "second page"] {
        let body = json!({ "client": client, "ttl_hours": 1 }).to_string();
        let res = curl_with(
            "POST",
            &format!("{}/api/auth/request", base(&app)),
            None,
            Some(&body),
        );
        assert_eq!(res.status, 202, "{}", res.body);
        opened.push(res.json());
    }
    let card = |n: usize| {
        format!(
            "#request-list .request[data-number='{}']",
            opened[n]["number"]
        )
    };
    app.find(&card(1)).await;
    assert_eq!(
        app.attr(&card(0), "aria-label").await,
        Some(format!("Access request #{}", opened[0]["number"]))
    );
    // The code field is labelled for a screen reader.
    let labelled = app
        .execute(&format!(
            "const i = document.querySelector(\"{} .request-code-input\"); return i.labels[0].textContent;",
            card(0)
        ))
        .await;
    assert_eq!(labelled, json!("Code your browser shows"));
    app.execute(&format!(
        "document.querySelector(\"{} .deny\").focus(); return true;",
        card(0)
    ))
    .await;
    press(&app, Key::Enter).await;
    eventually_count(&app, 1).await;
    let on = app
        .execute("const e = document.activeElement; return [e.className, e.closest('.request') && e.closest('.request').dataset.number];")
        .await;
    assert_eq!(
        on,
        json!(["request-code-input", opened[1]["number"].to_string()])
    );
    // A stray Enter in the empty code field approves nothing.
    press(&app, Key::Enter).await;
    assert_eq!(app.count("#request-list .request").await, 1);
    // Typing the browser's code and Enter allows it.
    let code = opened[1]["user_code"].as_str().unwrap().to_owned();
    app.type_into(&format!("{} .request-code-input", card(1)), &code)
        .await;
    press(&app, Key::Enter).await;
    eventually_count(&app, 0).await;
    assert_eq!(focused(&app).await, "mint-title");
    app.close().await;
}

async fn eventually_open(app: &App, open: bool) {
    for _ in 0..200 {
        let now = app
            .execute("return document.getElementById('rotate-dialog').open;")
            .await;
        if now == json!(open) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the rotate dialog did not become open={open}");
}

async fn eventually_count(app: &App, cards: usize) {
    for _ in 0..200 {
        if app.count("#request-list .request").await == cards {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not {cards} request cards within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_plus_minus_zero_zoom_and_hints_say_cmd_on_macos() {
    let app = launch(0).await;
    let width = || async {
        app.execute("return window.innerWidth;")
            .await
            .as_f64()
            .unwrap()
    };
    let normal = width().await;
    app.press_ctrl('=', false).await;
    for _ in 0..100 {
        if width().await < normal * 0.9 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bigger = width().await;
    assert!(
        bigger < normal * 0.9,
        "Ctrl+= did not zoom in: {normal} -> {bigger}"
    );
    app.press_ctrl('0', false).await;
    for _ in 0..100 {
        if width().await == normal {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(width().await, normal, "Ctrl+0 did not reset the zoom");
    app.press_ctrl('-', false).await;
    for _ in 0..100 {
        if width().await > normal * 1.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(width().await > normal * 1.1, "Ctrl+- did not zoom out");

    // Linux: Ctrl. The same page on macOS says ⌘ and takes Cmd+Q, not Ctrl+Q.
    let hints = "return [...document.querySelectorAll('kbd.mod')].map((k) => k.textContent)\
                 .concat([document.getElementById('new-session').getAttribute('aria-keyshortcuts')]);";
    let linux = app.execute(hints).await;
    assert_eq!(linux, json!(["Ctrl", "Ctrl", "Ctrl", "Control+N"]));
    assert_eq!(
        app.text(".shortcuts").await,
        "Ctrl+N new · Ctrl+Shift+C copy · Ctrl+Q quit"
    );
    // The helpers are the window's module ui/js/access.js, the same instance the page uses.
    let access = |body: &str| {
        format!(
            "const done = arguments[arguments.length - 1]; \
             import('./js/access.js').then((a) => done((() => {{ {body} }})()), (e) => done(`import: ${{e}}`));"
        )
    };
    assert_eq!(
        app.execute_async(&access("return a.isMac();")).await,
        json!(false)
    );
    app.execute_async(&access("a.applyShortcutHints(true); return true;"))
        .await;
    let mac = app.execute(hints).await;
    assert_eq!(mac, json!(["⌘", "⌘", "⌘", "Meta+N"]));
    let quit_keys = app
        .execute_async(&access(
            "const k = (ctrl, meta) => ({ key: 'q', ctrlKey: ctrl, metaKey: meta, \
             altKey: false, shiftKey: false }); \
             return [a.isQuitKey(k(false, true), true), a.isQuitKey(k(true, false), true), \
                     a.isQuitKey(k(true, false), false), a.isQuitKey(k(false, true), false)];",
        ))
        .await;
    assert_eq!(quit_keys, json!([true, false, true, false]));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_q_clears_our_clipboard_stops_the_server_and_exits_0() {
    // The kit starts a wrapper that runs PawKey and writes down its exit status.
    let dir = tempfile::tempdir().expect("temp dir");
    let status = dir.path().join("status");
    let wrapper = dir.path().join("pawkey-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\necho $? > '{}'\n",
            support::app_binary().display(),
            status.display()
        ),
    )
    .expect("write the wrapper");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the wrapper");
    }
    let app = App::launch(Options {
        clipboard_clear_seconds: Some(0),
        application: Some(wrapper),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#server-status", "data-state", "listening")
        .await;
    app.click("#new-session").await;
    let token = app
        .wait_for_text("#token", "a token", |t| t.starts_with("session:"))
        .await;
    assert_eq!(clipboard_text(), token);
    let health = format!("{}/api/health", base(&app));
    assert_eq!(curl("GET", &health, None).status, 200);

    // The app may be gone before WebDriver answers: only the outcome counts.
    let _ = keys(&app, true, 'q').await;
    eventually("PawKey exits", Duration::from_secs(15), || status.exists()).await;
    eventually("the status is written", Duration::from_secs(2), || {
        std::fs::read_to_string(&status).is_ok_and(|s| s.ends_with('\n'))
    })
    .await;
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    assert_eq!(clipboard_text(), "", "our token was cleared on quit");
    assert_eq!(curl("GET", &health, None).status, 0, "the server is gone");
    assert!(
        app.log().contains("server stopped; exiting"),
        "{}",
        app.log()
    );
    app.close().await;
}
