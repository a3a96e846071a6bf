//! The landing page's "Request access" flow in a real browser: WebKitWebDriver drives
//! WebKitGTK's MiniBrowser (Debian's `webkit2gtk-driver`) under Xvfb against the real
//! server, in process on an ephemeral port. The page asks, shows the code; the test
//! approves (or denies) it through the HTTP API with the master, as a person would in
//! PawKey; the page must land logged in (or say what happened and offer to ask again).

// Linux desktop tests (WebKitGTK, X11, D-Bus); the CI workflow runs them on Ubuntu only.
#![cfg(target_os = "linux")]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use pawkey_core::approval::Approvals;
use pawkey_core::config::Config;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::AppState;
use pawkey_core::store::MemoryStore;
use serde_json::json;
use support::{curl, curl_with, trace};

/// The master of the in-process server (PocketPaw's form, a UUID4).
const MASTER: &str = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const TIMEOUT: Duration = Duration::from_secs(15);

/// WebKitWebDriver with one MiniBrowser session; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
}

impl Browser {
    async fn start() -> Browser {
        let (driver, client) = support::minibrowser(&[]).await;
        Browser { client, driver }
    }

    /// Waits until `css` exists and its text satisfies `check`; returns the text.
    async fn wait_for_text(&self, css: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = String::new();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = e.text().await {
                    if check(&t) {
                        return t;
                    }
                    last = t;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{css}: expected {what} within {TIMEOUT:?}; last text {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn displayed(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Saves the page as `<name>.png` where the desktop tests put theirs.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        support::save_screenshot(name, &png);
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(TIMEOUT, self.client.clone().close()).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After close() this is a no-op; after a panic it stops the driver (and so the
        // browser it started).
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn start_server() -> (pawkey_core::server::RunningServer, String) {
    start_server_with(Approvals::default()).await
}

async fn start_server_with(approvals: Approvals) -> (pawkey_core::server::RunningServer, String) {
    let master = MasterToken::parse(MASTER.to_owned()).expect("valid master");
    let state = AppState::builder(Config::default(), Arc::new(MemoryStore::with(master)))
        .approvals(approvals)
        .open();
    let listeners = pawkey_core::server::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, false)
        .await
        .expect("bind an ephemeral loopback port");
    let running = pawkey_core::server::serve(state, listeners);
    let base = format!("http://127.0.0.1:{}", running.port());
    (running, base)
}

fn decide(base: &str, code: &str, what: &str) {
    let res = curl(
        "POST",
        &format!("{base}/api/auth/requests/{code}/{what}"),
        Some(MASTER),
    );
    assert_eq!(res.status, 200, "{what} {code}: {}", res.body);
}

fn is_code(t: &str) -> bool {
    t.len() == 9 && t.as_bytes()[4] == b'-'
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_access_shows_a_code_and_lands_logged_in_once_approved() {
    let (server, base) = start_server().await;
    let browser = Browser::start().await;
    trace("browser session up");
    browser
        .client
        .goto(&format!("{base}/"))
        .await
        .expect("open the landing page");
    browser
        .wait_for_text("#session-state", "not logged in", |t| {
            t.contains("not logged in")
        })
        .await;
    assert!(browser.displayed("#request-access").await);
    // WebDriver's "displayed" does not look at <details>; ask the page.
    let folded = browser
        .client
        .execute(
            "const d = document.getElementById('master-login'); \
             return !d.open && d.contains(document.getElementById('master'));",
            vec![],
        )
        .await
        .expect("run a script");
    assert_eq!(folded, json!(true), "the master field stays folded away");

    browser.click("#request-access").await;
    let code = browser
        .wait_for_text("#user-code", "a user code", is_code)
        .await;
    let instructions = browser
        .wait_for_text("#request-waiting", "the instructions", |t| {
            t.contains("type this code to allow it")
        })
        .await;
    assert!(
        instructions.contains(&format!("pawkeyd approve {code}")),
        "{instructions}"
    );
    browser
        .wait_for_text("#request-left", "a countdown", |t| t.contains("1:5"))
        .await;
    // The person sees the page's number, label and origin — never its code, which they
    // read off this page.
    let list = curl("GET", &format!("{base}/api/auth/requests"), Some(MASTER)).json();
    let request = &list["requests"][0];
    assert!(!list.to_string().contains(&code), "{list}");
    assert!(
        instructions.contains(&format!("request #{}", request["number"])),
        "{instructions}"
    );
    assert_eq!(request["origin"], base.as_str());
    assert_eq!(request["client"], format!("Browser on {base}").as_str());
    browser.screenshot("landing-request").await;

    decide(&base, &code, "approve");
    browser
        .wait_for_text("#session-state", "logged in", |t| {
            t.contains("holds a valid session")
        })
        .await;
    assert!(!browser.displayed("#request-access").await);
    trace("logged in after approval");

    // The cookie the poll set is the session: /api/auth/verify takes it.
    let cookie = browser
        .client
        .get_named_cookie("pocketpaw_session")
        .await
        .expect("the session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    let verify = curl_with(
        "GET",
        &format!("{base}/api/auth/verify"),
        Some(&format!("Cookie: pocketpaw_session={}", cookie.value())),
        None,
    );
    assert_eq!(verify.status, 200, "{}", verify.body);

    // Log out, ask again, and this time the person denies: the page says so and offers
    // to ask again, which yields a new code.
    browser.click("#logout").await;
    browser
        .wait_for_text("#session-state", "logged out", |t| {
            t.contains("not logged in")
        })
        .await;
    browser.click("#request-access").await;
    let denied_code = browser
        .wait_for_text("#user-code", "a second code", |t| is_code(t) && t != code)
        .await;
    decide(&base, &denied_code, "deny");
    let message = browser
        .wait_for_text("#request-message", "the denial", |t| t.contains("denied"))
        .await;
    assert!(message.contains("ask again"), "{message}");
    assert!(browser.displayed("#ask-again").await);
    browser.click("#ask-again").await;
    browser
        .wait_for_text("#user-code", "a third code", |t| {
            is_code(t) && t != denied_code && t != code
        })
        .await;
    assert!(!browser.displayed("#request-ended").await);

    browser.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_request_expires_with_a_clear_message_and_ask_again() {
    // Requests that wait 3 s instead of 120 s.
    let (server, base) = start_server_with(Approvals::new(Duration::from_secs(3), 100)).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{base}/"))
        .await
        .expect("open the landing page");
    browser.click("#request-access").await;
    let code = browser
        .wait_for_text("#user-code", "a user code", is_code)
        .await;
    let message = browser
        .wait_for_text("#request-message", "the expiry", |t| t.contains("expired"))
        .await;
    assert!(message.contains("Ask again"), "{message}");
    assert!(!browser.displayed("#request-waiting").await);
    browser.click("#ask-again").await;
    browser
        .wait_for_text("#user-code", "a new code", |t| is_code(t) && t != code)
        .await;
    browser.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_refused_by_a_flood_is_told_what_is_going_on_and_what_to_do() {
    let (server, base) = start_server().await;
    // Another program on 127.0.0.1 (the browser's address here too) takes that address's
    // share of waiting requests, with the landing page's own origin and label.
    for _ in 0..pawkey_core::approval::MAX_PENDING_PER_ADDRESS {
        let res = curl_with(
            "POST",
            &format!("{base}/api/auth/request"),
            Some(&format!("Origin: {base}")),
            Some(&format!(r#"{{"client":"Browser on {base}"}}"#)),
        );
        assert_eq!(res.status, 202, "{}", res.body);
    }
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{base}/"))
        .await
        .expect("open the landing page");
    browser.click("#request-access").await;
    let message = browser
        .wait_for_text("#request-message", "the refusal", |t| {
            t.contains("already waiting")
        })
        .await;
    assert!(message.contains("another program"), "{message}");
    assert!(message.contains("Open PawKey"), "{message}");
    // Deny all in PawKey, then asking again works.
    let res = curl(
        "POST",
        &format!("{base}/api/auth/requests/deny-all"),
        Some(MASTER),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    browser.click("#ask-again").await;
    browser
        .wait_for_text("#user-code", "a user code", is_code)
        .await;
    browser.close().await;
    server.shutdown().await;
}
