//! The API docs page (`GET /docs`) in a real browser, light and dark: WebKitWebDriver drives
//! WebKitGTK's MiniBrowser under Xvfb against the real server, in process on an ephemeral
//! port. The page must render every route, load nothing but its own stylesheets from this
//! server, work from the keyboard (skip link, contents anchors), pass axe-core and the
//! non-text contrast check, and leave `docs/screenshots/api-docs{,-dark}.png` (with
//! `PAWKEY_UPDATE_SCREENSHOTS=1`; under the target directory otherwise). The window's
//! **API docs** button opens that page in the browser.

// Linux desktop tests (WebKitGTK, X11, D-Bus); the CI workflow runs them on Ubuntu only.
#![cfg(target_os = "linux")]

mod axe;
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axe::{Problems, Theme, run};
use fantoccini::{Client, Locator};
use pawkey_core::config::Config;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::AppState;
use pawkey_core::store::MemoryStore;
use serde_json::json;

const MASTER: &str = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

/// WebKitWebDriver with one MiniBrowser session; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Saves the page as `<name>.png` where the other browser tests put theirs.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    support::save_screenshot(name, &png);
}

/// The response headers of `GET url`, lower-cased, from curl.
fn headers_of(url: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", "-D", "-", "-o", "/dev/null", url])
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
}

async fn check_docs(theme: Theme, screenshot_name: &str) {
    let master = MasterToken::parse(MASTER.to_owned()).expect("valid master");
    let state = AppState::builder(Config::default(), Arc::new(MemoryStore::with(master))).open();
    let listeners = pawkey_core::server::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, false)
        .await
        .expect("bind an ephemeral loopback port");
    let server = pawkey_core::server::serve(state, listeners);
    let base = format!("http://127.0.0.1:{}", server.port());

    // Whatever the page names, the browser may fetch nothing but this server's own files.
    let headers = headers_of(&format!("{base}/docs"));
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains(
            "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self';"
        ) && headers.contains("frame-ancestors 'none'"),
        "{headers}"
    );

    let (driver, client) = support::minibrowser(&theme.env()).await;
    let browser = Browser { client, driver };
    let client = &browser.client;
    client
        .goto(&format!("{base}/docs"))
        .await
        .expect("open /docs");
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.find(Locator::Css("main h3")).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "/docs shows no route within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Every resource the page loaded came from this server; both stylesheets applied.
    let seen = run(
        client,
        "list the page's requests",
        "return [performance.getEntriesByType('resource').map((e) => e.name), \
                 document.styleSheets.length, \
                 getComputedStyle(document.querySelector('.op')).borderTopStyle, \
                 [...document.querySelectorAll('[src], [href]')] \
                   .map((e) => new URL(e.getAttribute('src') || e.getAttribute('href'), location.href).origin)];",
        vec![],
    )
    .await;
    let loaded: Vec<String> = serde_json::from_value(seen[0].clone()).unwrap();
    assert!(
        loaded.len() >= 2 && loaded.iter().all(|u| u.starts_with(&format!("{base}/"))),
        "{loaded:?}"
    );
    assert_eq!(seen[1], json!(2), "pawkey.css and docs.css: {seen}");
    assert_eq!(seen[2], json!("solid"), "docs.css applied: {seen}");
    let origins: Vec<String> = serde_json::from_value(seen[3].clone()).unwrap();
    assert!(
        origins.len() > 30 && origins.iter().all(|o| *o == base),
        "{origins:?}"
    );

    // Keyboard: the skip link is the first stop and lands on the routes; every entry of the
    // contents leads to a heading; one heading per route.
    let keyboard = run(
        client,
        "check the skip link and anchors",
        "const skip = document.querySelector('body > a.skip'); \
         const first = document.querySelector('a[href], button, input, [tabindex]'); \
         skip.click(); \
         const toc = [...document.querySelectorAll('nav a[href^=\"#\"]')]; \
         const missing = toc.filter((a) => !document.getElementById(a.hash.slice(1))).map((a) => a.hash); \
         return [first === skip, document.activeElement.id, location.hash, missing, \
                 document.querySelectorAll('main section.op > h3').length, toc.length];",
        vec![],
    )
    .await;
    assert_eq!(keyboard[0], json!(true), "skip link first: {keyboard}");
    assert_eq!(
        keyboard[1],
        json!("content"),
        "focus on the routes: {keyboard}"
    );
    assert_eq!(
        keyboard[3],
        json!([]),
        "contents without a target: {keyboard}"
    );
    let routes = keyboard[4].as_u64().unwrap_or(0);
    assert!(routes >= 15, "{keyboard}");

    let mut problems = Problems::default();
    problems.check(client, theme, "api docs").await;
    // The picture: the seed's route, its responses and examples.
    let shown = "const h = document.getElementById('post-api-auth-session'); \
                 window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 12); \
                 return h.textContent;";
    let heading = run(client, "scroll to the session route", shown, vec![]).await;
    assert_eq!(heading, json!("POST /api/auth/session"));
    // Let the scroll paint before the picture.
    tokio::time::sleep(Duration::from_millis(300)).await;
    screenshot(client, screenshot_name).await;

    let _ = tokio::time::timeout(Duration::from_secs(15), browser.client.clone().close()).await;
    drop(browser);
    server.shutdown().await;
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_page_passes_axe_and_loads_only_its_own_files_in_the_light_theme() {
    check_docs(Theme::Light, "api-docs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_page_passes_axe_and_loads_only_its_own_files_in_the_dark_theme() {
    check_docs(Theme::Dark, "api-docs-dark").await;
}

/// The window's **API docs** button opens `http://localhost:PORT/docs` in the browser
/// (`$BROWSER`, a shim that records its argument), and that address serves the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_api_docs_button_opens_the_page_in_the_browser() {
    let shim = tempfile::tempdir().unwrap();
    let opened = shim.path().join("opened-url");
    let browser = shim.path().join("browser");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n",
            opened.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let app = support::App::launch_ready(support::Options {
        env: vec![("BROWSER".into(), browser.display().to_string())],
        ..support::Options::default()
    })
    .await;
    app.click("#open-docs").await;
    support::eventually("the browser shim ran", Duration::from_secs(10), || {
        opened.exists()
    })
    .await;
    let url = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(url, format!("http://localhost:{}/docs", app.sandbox.port));
    let headers = headers_of(&url);
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(headers.contains("content-type: text/html"), "{headers}");
    app.close().await;
}
