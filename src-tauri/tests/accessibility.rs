//! WCAG 2.1 AA checks of what a person sees, in the light and the dark theme: axe-core
//! (installed by `scripts/install.sh axe-core` into `target/test-node`) runs inside the real
//! window (WebKitWebDriver attached to its window process) and inside the landing page (WebKitGTK's MiniBrowser), with the
//! rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa. axe does not measure the contrast of
//! control boundaries and focus rings (WCAG 1.4.11), so a small check here does.
//!
//! The dark theme is the desktop's: the app (and MiniBrowser) run with
//! `GTK_THEME=Adwaita:dark`, which WebKitGTK turns into `prefers-color-scheme: dark`; each
//! check first asserts the page really is dark. axe is injected through WebDriver's execute,
//! which the window's CSP (`script-src 'self'`) does not govern.

// Xvfb, X11 and D-Bus: the desktop tests run on Linux (the CI workflow runs them there).
#![cfg(target_os = "linux")]

mod axe;
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axe::{Problems, Theme, run};
use fantoccini::{Client, Locator};
use pawkey_core::config::Config;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::AppState;
use pawkey_core::store::MemoryStore;
use support::{App, Options, curl, curl_with};

const MASTER: &str = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

/// The window's states: after start, with a token, an access-request card, the settings
/// with an error, and the rotate dialog open.
async fn check_window(theme: Theme) {
    let app = App::launch_ready(Options {
        env: theme.env(),
        ..Options::default()
    })
    .await;
    let mut problems = Problems::default();
    problems.check(&app.client, theme, "after start").await;

    app.click("#new-session").await;
    app.wait_for_text("#token", "a session token", |t| t.starts_with("session:"))
        .await;
    problems.check(&app.client, theme, "token shown").await;

    let base = format!("http://127.0.0.1:{}", app.sandbox.port);
    let asked = curl_with(
        "POST",
        &format!("{base}/api/auth/request"),
        None,
        Some(r#"{"client": "axe check", "ttl_hours": 8}"#),
    );
    assert_eq!(asked.status, 202, "{}", asked.body);
    app.find("#request-list .request").await;
    problems.check(&app.client, theme, "access request").await;

    app.type_into("#set-port", "not a port").await;
    app.click("#save-settings").await;
    app.wait_for_text("#err-port", "a port error", |t| !t.is_empty())
        .await;
    problems.check(&app.client, theme, "settings error").await;

    app.click("#rotate-master").await;
    app.wait_for_attr("#rotate-dialog", "open", "true").await;
    problems.check(&app.client, theme, "rotate dialog").await;
    app.close().await;
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_passes_axe_and_non_text_contrast_in_the_light_theme() {
    check_window(Theme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_passes_axe_and_non_text_contrast_in_the_dark_theme() {
    check_window(Theme::Dark).await;
}

/// WebKitWebDriver with one MiniBrowser session in `theme`; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
}

impl Browser {
    async fn start(theme: Theme) -> Browser {
        let (driver, client) = support::minibrowser(&theme.env()).await;
        Browser { client, driver }
    }

    /// Waits until `css` exists and shows text.
    async fn wait_for_text(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if e.text().await.is_ok_and(|t| !t.trim().is_empty()) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "{css}: no text within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await;
        e.unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Decides the request whose code the landing page shows (`verdict`: "approve" or "deny")
/// through the API, as the person at PawKey would.
async fn decide_shown_code(client: &Client, base: &str, verdict: &str) {
    let code = client
        .find(Locator::Css("#user-code"))
        .await
        .expect("the code")
        .text()
        .await
        .expect("its text");
    let answer = curl(
        "POST",
        &format!("{base}/api/auth/requests/{code}/{verdict}"),
        Some(MASTER),
    );
    assert_eq!(answer.status, 200, "{verdict}: {}", answer.body);
}

/// The landing page's states: logged out (master login unfolded), waiting for approval,
/// denied, and logged in.
async fn check_landing_page(theme: Theme) {
    let master = MasterToken::parse(MASTER.to_owned()).expect("valid master");
    let state = AppState::builder(Config::default(), Arc::new(MemoryStore::with(master))).open();
    let listeners = pawkey_core::server::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, false)
        .await
        .expect("bind an ephemeral loopback port");
    let server = pawkey_core::server::serve(state, listeners);
    let base = format!("http://127.0.0.1:{}", server.port());
    let browser = Browser::start(theme).await;
    let client = &browser.client;
    client.goto(&format!("{base}/")).await.expect("open /");
    browser.wait_for_text("#session-state").await;
    run(
        client,
        "unfold the master login",
        "document.getElementById('master-login').open = true; return true;",
        vec![],
    )
    .await;
    let mut problems = Problems::default();
    problems.check(client, theme, "landing: logged out").await;

    browser.click("#request-access").await;
    browser.wait_for_text("#user-code").await;
    problems.check(client, theme, "landing: waiting").await;

    decide_shown_code(client, &base, "deny").await;
    browser.wait_for_text("#request-message").await;
    problems.check(client, theme, "landing: denied").await;

    browser.click("#ask-again").await;
    browser.wait_for_text("#user-code").await;
    decide_shown_code(client, &base, "approve").await;
    browser.wait_for_text("#logout").await;
    problems.check(client, theme, "landing: logged in").await;

    let _ = tokio::time::timeout(Duration::from_secs(15), browser.client.clone().close()).await;
    drop(browser);
    server.shutdown().await;
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_passes_axe_and_non_text_contrast_in_the_light_theme() {
    check_landing_page(Theme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_passes_axe_and_non_text_contrast_in_the_dark_theme() {
    check_landing_page(Theme::Dark).await;
}
