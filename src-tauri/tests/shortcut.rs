//! The global copy shortcut end to end under Xvfb: a key press sent with `xdotool` (a real
//! XTEST event through the X server) mints and copies a token the server verifies, listed
//! with source `shortcut`; a shortcut changed in the settings is the one that works, also
//! after a restart; one another X client holds is reported on the field.

// Linux desktop tests (WebKitGTK, X11, D-Bus), like e2e.rs.
#![cfg(target_os = "linux")]

mod support;

use std::process::Command;
use std::time::Duration;

use support::{App, Options, OtherCopy, clipboard_text, curl, eventually};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ConnectionExt as _, GrabMode, ModMask};

const MASTER: &str = "5d0c6a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f";

fn press(keys: &str) {
    let status = Command::new("xdotool")
        .args(["key", "--clearmodifiers", keys])
        .status()
        .expect("run xdotool");
    assert!(status.success(), "xdotool key {keys}");
}

/// Presses `keys` and returns the session token that lands on the clipboard.
async fn press_for_token(keys: &str) -> String {
    let before = clipboard_text();
    press(keys);
    let mut token = String::new();
    eventually(
        &format!("{keys} puts a new token on the clipboard"),
        support::UI_TIMEOUT,
        || {
            token = clipboard_text();
            token.starts_with("session:") && token != before
        },
    )
    .await;
    token
}

/// Presses `keys` and checks that, a while later, the clipboard still holds `text`.
async fn press_and_nothing_happens(keys: &str, text: &str) {
    press(keys);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(clipboard_text(), text, "{keys} must no longer copy");
}

async fn shortcut_is_active(app: &App, shortcut: &str) {
    let want = format!("{shortcut} copies a new session token in every application.");
    app.wait_for_text("#shortcut-state", "the shortcut is active", |t| t == want)
        .await;
}

async fn save_shortcut(app: &App, shortcut: &str) {
    if shortcut.is_empty() {
        let field = app.find("#set-shortcut").await;
        field.clear().await.expect("clear the shortcut field");
    } else {
        app.type_into("#set-shortcut", shortcut).await;
    }
    app.click("#save-settings").await;
}

/// The token verifies on the server for about the default 24 hours, and the window lists
/// its mint with source `shortcut`.
async fn check_minted_by_shortcut(app: &App, token: &str) {
    let verify = curl(
        "GET",
        &format!("http://127.0.0.1:{}/api/auth/verify", app.sandbox.port),
        Some(token),
    );
    assert_eq!(verify.status, 200, "{}", verify.body);
    let left = verify.json()["expires_in_seconds"].as_u64().unwrap();
    assert!((24 * 3600 - 60..=24 * 3600).contains(&left), "{left}");
    let row = format!(
        "#recent-body tr[data-fingerprint='{}']",
        pawkey_core::token::fingerprint(token)
    );
    app.wait_for_attr(&row, "data-source", "shortcut").await;
    assert!(app.text(&row).await.contains("shortcut"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_shortcut_copies_a_token_and_a_changed_one_is_the_one_that_works_after_a_restart()
{
    let outside = tempfile::tempdir().unwrap();
    let config = outside.path().join("config.toml");
    std::fs::write(&config, "copy_shortcut = \"Ctrl+Alt+K\"\n").unwrap();
    let options = || Options {
        master: Some(MASTER.into()),
        env: vec![("PAWKEY_CONFIG".into(), config.display().to_string())],
        ..Options::default()
    };

    let app = App::launch_ready(options()).await;
    assert_eq!(
        app.prop("#set-shortcut", "value").await.as_deref(),
        Some("Ctrl+Alt+K")
    );
    shortcut_is_active(&app, "Ctrl+Alt+K").await;
    let token = press_for_token("ctrl+alt+k").await;
    check_minted_by_shortcut(&app, &token).await;
    assert!(
        support::clipboard_targets()
            .iter()
            .any(|t| t == "x-kde-passwordManagerHint"),
        "copied as a password, as the tray does: {:?}",
        support::clipboard_targets()
    );

    // Changed in the settings: the new one works at once, the old one is released.
    save_shortcut(&app, "alt+ctrl+j").await;
    app.wait_for_text("#settings-note", "the saved note", |t| t == "Saved.")
        .await;
    shortcut_is_active(&app, "Ctrl+Alt+J").await;
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("copy_shortcut = \"Ctrl+Alt+J\""), "{saved}");
    let _mine = OtherCopy::new("mine");
    press_and_nothing_happens("ctrl+alt+k", "mine").await;
    let token = press_for_token("ctrl+alt+j").await;
    check_minted_by_shortcut(&app, &token).await;
    app.close().await;
    drop(_mine);

    // After a restart: still the changed one, and only it.
    let app = App::launch_ready(options()).await;
    shortcut_is_active(&app, "Ctrl+Alt+J").await;
    let _mine = OtherCopy::new("mine again");
    press_and_nothing_happens("ctrl+alt+k", "mine again").await;
    let token = press_for_token("ctrl+alt+j").await;
    check_minted_by_shortcut(&app, &token).await;
    assert_eq!(
        app.count("#recent-body tr[data-source='shortcut']").await,
        1,
        "one press, one mint"
    );

    // Emptied: no shortcut at all.
    save_shortcut(&app, "").await;
    app.wait_for_text("#settings-note", "saved again", |t| t == "Saved.")
        .await;
    app.wait_for_text("#shortcut-state", "no state line", str::is_empty)
        .await;
    let now = clipboard_text();
    press_and_nothing_happens("ctrl+alt+j", &now).await;
    app.close().await;
}

/// A shortcut another X client already grabbed: the desktop refuses it, and the form says
/// so on the field, both at start-up and when saving (which then changes nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shortcut_another_program_holds_is_reported_on_the_field() {
    // The other program: grabs Ctrl+Alt+L on the root window, as a desktop or a hotkey
    // daemon would.
    let (conn, screen) = x11rb::connect(None).expect("X display");
    let root = conn.setup().roots[screen].root;
    let (min, max) = (conn.setup().min_keycode, conn.setup().max_keycode);
    let map = conn
        .get_keyboard_mapping(min, max - min + 1)
        .unwrap()
        .reply()
        .unwrap();
    const XK_L: u32 = 0x6c;
    let keycode = map
        .keysyms
        .chunks(usize::from(map.keysyms_per_keycode))
        .position(|syms| syms.contains(&XK_L))
        .map(|i| min + u8::try_from(i).unwrap())
        .expect("a keycode for l");
    conn.grab_key(
        false,
        root,
        ModMask::CONTROL | ModMask::M1,
        keycode,
        GrabMode::ASYNC,
        GrabMode::ASYNC,
    )
    .unwrap()
    .check()
    .expect("the test grabs Ctrl+Alt+L first");

    let taken = "Ctrl+Alt+L is already taken by another program: choose another shortcut";
    let app = App::launch_ready(Options {
        config: Some("copy_shortcut = \"Ctrl+Alt+L\"\n".into()),
        ..Options::default()
    })
    .await;
    app.wait_for_text("#err-copy_shortcut", "the start-up refusal", |t| t == taken)
        .await;
    assert_eq!(
        app.attr("#set-shortcut", "aria-invalid").await.as_deref(),
        Some("true")
    );

    // A free one saves and works...
    save_shortcut(&app, "Ctrl+Alt+H").await;
    app.wait_for_text("#settings-note", "the saved note", |t| t == "Saved.")
        .await;
    shortcut_is_active(&app, "Ctrl+Alt+H").await;
    assert_eq!(app.text("#err-copy_shortcut").await, "");

    // ...the held one is refused on saving, and nothing changes.
    save_shortcut(&app, "ctrl+alt+l").await;
    app.wait_for_text("#settings-note", "the refusal", |t| {
        t == "Not saved: fix the marked fields."
    })
    .await;
    app.wait_for_text("#err-copy_shortcut", "the refusal on the field", |t| {
        t == taken
    })
    .await;
    let saved = std::fs::read_to_string(app.sandbox.config_file()).unwrap();
    assert!(saved.contains("copy_shortcut = \"Ctrl+Alt+H\""), "{saved}");
    let token = press_for_token("ctrl+alt+h").await;
    let verify = curl(
        "GET",
        &format!("http://127.0.0.1:{}/api/auth/verify", app.sandbox.port),
        Some(&token),
    );
    assert_eq!(verify.status, 200, "{}", verify.body);

    // A bad syntax is refused on the field before anything is tried.
    save_shortcut(&app, "Ctrl+Alt").await;
    app.wait_for_text("#err-copy_shortcut", "the syntax error", |t| {
        t.contains("no key after its modifiers")
    })
    .await;
    app.close().await;
    drop(conn);
}
