//! Test kit for driving the real PawKey window through WebKitWebDriver, attached to its window process.
//!
//! Every launch is isolated: its own config file, data directory, HOME, keychain service
//! (random, deleted afterwards) and port. Launches run one at a time (a process-wide lock):
//! the single-instance plugin and the shared X display allow only one PawKey at once.
//! Needs an X display, a D-Bus session with a Secret Service,
//! `WebKitWebDriver`, `xclip` and `curl` — `make test` provides them all.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use pawkey_core::secret::MasterToken;
use pawkey_core::store::{KEYRING_ACCOUNT, KeyringStore, MasterStore};
use serde_json::json;

/// Progress lines on stderr (shown for failed tests, or all with `--nocapture`).
pub fn trace(step: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    eprintln!("[e2e {:>7.2}s] {step}", start.elapsed().as_secs_f64());
}

/// One PawKey at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long to wait for something a user would see.
pub const UI_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest a single WebDriver call may take.
const WD_CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The debug `pawkey` binary cargo built for these tests.
pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pawkey"))
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

/// How to launch the app.
#[derive(Default)]
pub struct Options {
    /// Port for the embedded server (default: a free one).
    pub port: Option<u16>,
    /// `PAWKEY_CLIPBOARD_CLEAR_SECONDS`.
    pub clipboard_clear_seconds: Option<u32>,
    /// A master token to put in the keychain before launch.
    pub master: Option<String>,
    /// Extra environment variables for the app.
    pub env: Vec<(String, String)>,
    /// The config file's text (default: no file).
    pub config: Option<String>,
    /// Run no tray on the session bus (a desktop like stock GNOME).
    pub no_tray: bool,
    /// What tauri-driver starts instead of the `pawkey` binary (a wrapper script that runs
    /// it, e.g. to record its exit status).
    pub application: Option<PathBuf>,
}

/// Everything one launch owns on disk and in the keychain.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub service: String,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    /// A fresh sandbox (with a random keychain service, deleted on drop).
    pub fn new(options: &Options) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pawkey-e2e-")
            .tempdir()
            .expect("temp dir");
        let port = options.port.unwrap_or_else(free_port);
        let mut nonce = [0u8; 8];
        getrandom(&mut nonce);
        let service = format!(
            "pawkey-e2e-{}",
            nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let home = dir.path().join("home");
        for sub in [".config", ".cache", ".local/share", ".local/state"] {
            std::fs::create_dir_all(home.join(sub)).expect("home dirs");
        }
        let mut env = vec![
            (
                "PAWKEY_CONFIG".into(),
                dir.path().join("config.toml").display().to_string(),
            ),
            (
                "PAWKEY_DATA_DIR".into(),
                dir.path().join("data").display().to_string(),
            ),
            ("PAWKEY_KEYRING_SERVICE".into(), service.clone()),
            ("PAWKEY_PORT".into(), port.to_string()),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                home.join(".cache").display().to_string(),
            ),
            // The desktop log files (pawkey_core::cli::log_dir).
            (
                "XDG_STATE_HOME".into(),
                home.join(".local/state").display().to_string(),
            ),
            ("RUST_LOG".into(), "info".into()),
        ];
        if let Some(s) = options.clipboard_clear_seconds {
            env.push(("PAWKEY_CLIPBOARD_CLEAR_SECONDS".into(), s.to_string()));
        }
        env.extend(options.env.iter().cloned());
        if let Some(text) = &options.config {
            std::fs::write(dir.path().join("config.toml"), text).expect("config file");
        }
        let sandbox = Sandbox {
            dir,
            port,
            service,
            env,
        };
        if let Some(master) = &options.master {
            sandbox
                .keychain()
                .save(&MasterToken::parse(master.clone()).expect("valid master"))
                .expect("seed the keychain");
        }
        sandbox
    }

    /// The keychain entry this launch uses.
    pub fn keychain(&self) -> KeyringStore {
        KeyringStore::new(&self.service, KEYRING_ACCOUNT)
    }

    /// The master token as stored in the keychain.
    pub fn stored_master(&self) -> String {
        self.keychain()
            .load()
            .expect("keychain readable")
            .expect("a master token in the keychain")
            .expose()
            .to_owned()
    }

    /// The sandbox's HOME.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The config file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("app.log")
    }

    /// Runs the app binary directly (a second launch, or a CLI subcommand).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(app_binary());
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd
    }

    /// The PawKey app processes started with this sandbox's keychain service (not their
    /// window processes).
    pub fn app_pids(&self) -> Vec<u32> {
        self.all_pids()
            .into_iter()
            .filter(|pid| !is_window_process(*pid))
            .collect()
    }

    /// The window processes (`pawkey --window-process`) of this sandbox's PawKey.
    pub fn window_pids(&self) -> Vec<u32> {
        self.all_pids()
            .into_iter()
            .filter(|pid| is_window_process(*pid))
            .collect()
    }

    /// Every `pawkey` process of this sandbox: the app and its window process.
    pub fn all_pids(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let binary = app_binary();
        let marker = format!("PAWKEY_KEYRING_SERVICE={}", self.service);
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
                let same_binary = exe.is_some_and(|e| {
                    e == binary
                        || e.to_string_lossy()
                            .trim_end_matches(" (deleted)")
                            .ends_with("/pawkey")
                });
                same_binary
                    && std::fs::read(format!("/proc/{pid}/environ"))
                        .map(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
                        .unwrap_or(false)
            })
            .collect()
    }

    /// Kills every PawKey this sandbox started (never anything else) and waits until they
    /// are gone and the single-instance name on the bus is free again, so the next launch
    /// is not taken for a second instance.
    pub fn kill_apps(&self) {
        let pids = self.all_pids();
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.all_pids().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        wait_single_instance_free();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kill_apps();
        // On a thread with a deadline: a wedged keyring daemon must not hang the tests.
        let keychain = self.keychain();
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(keychain.delete());
        });
        match wait.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not delete test keychain entry {}: {e}", self.service),
            Err(_) => eprintln!("deleting test keychain entry {} timed out", self.service),
        }
    }
}

/// The bus name PawKey's single-instance plugin holds while an instance runs.
const SINGLE_INSTANCE_NAME: &str = "app.pawkey.desktop.SingleInstance";

/// Whether a PawKey instance holds the single-instance name on the session bus.
pub fn instance_running() -> bool {
    let conn = zbus::blocking::Connection::session().expect("session bus");
    let dbus = zbus::blocking::fdo::DBusProxy::new(&conn).expect("bus proxy");
    let name = zbus::names::BusName::try_from(SINGLE_INSTANCE_NAME).expect("valid bus name");
    dbus.name_has_owner(name).unwrap_or(false)
}

/// Waits (up to 10 s) until no PawKey holds the single-instance name.
pub fn wait_single_instance_free() {
    let deadline = Instant::now() + Duration::from_secs(10);
    while instance_running() {
        assert!(
            Instant::now() < deadline,
            "another PawKey still holds {SINGLE_INSTANCE_NAME} on the session bus"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` runs as PawKey's window process (`pawkey --window-process`).
pub fn is_window_process(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmd| cmd.split(|b| *b == 0).any(|arg| arg == b"--window-process"))
        .unwrap_or(false)
}

/// Kills the WebKitWebDriver whose command line has `arg` (its unique `--port=N`).
fn kill_matching(arg: &str) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let mut parts = cmdline.split(|b| *b == 0);
        let is_driver = parts
            .next()
            .is_some_and(|exe| exe.ends_with(b"WebKitWebDriver"));
        if is_driver && parts.any(|p| p == arg.as_bytes()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .expect("read /dev/urandom");
}

/// A PawKey started straight from its binary, with no WebDriver session (for `--hidden`,
/// which has no page to drive, and for timing). Launches are serialized like [`App`]'s.
pub struct Direct {
    pub sandbox: Sandbox,
    pub tray: Option<tray::FakeTray>,
    child: Child,
    /// Just before the process was spawned.
    pub spawned_at: Instant,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

impl Direct {
    /// Starts `pawkey ARGS` (its output goes to the sandbox's log file).
    pub async fn launch(options: Options, args: &[&str]) -> Direct {
        let serial = SERIAL.lock().await;
        wait_single_instance_free();
        let sandbox = Sandbox::new(&options);
        let tray = (!options.no_tray).then(tray::FakeTray::start);
        let log = std::fs::File::create(sandbox.log_file()).expect("log file");
        let spawned_at = Instant::now();
        let child = sandbox
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start pawkey");
        Direct {
            sandbox,
            tray,
            child,
            spawned_at,
            _serial: serial,
        }
    }

    /// The app's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (and with what status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The app's own log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.sandbox.log_file()).unwrap_or_default()
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running PawKey with a WebDriver session on its window.
///
/// PawKey's window is a process of its own (`pawkey --window-process`, started by the
/// tray/server process), so the session is not made by launching a browser: the app is
/// started here, its window process inherits an inspector address and automation leave
/// (`WEBKIT_INSPECTOR_SERVER`, `TAURI_WEBVIEW_AUTOMATION`), and WebKitWebDriver attaches to
/// it there (`--target`). A window process let go and started again is a new browser:
/// [`App::reattach`] opens a session on it.
pub struct App {
    pub client: Client,
    pub sandbox: Sandbox,
    /// The desktop's tray (absent with [`Options::no_tray`]).
    pub tray: Option<tray::FakeTray>,
    /// The app (or the wrapper that runs it).
    host: Child,
    driver: Child,
    inspector: u16,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

impl App {
    /// Launches PawKey and waits until its window is ready.
    pub async fn launch(options: Options) -> App {
        let serial = SERIAL.lock().await;
        wait_single_instance_free();
        let sandbox = Sandbox::new(&options);
        let tray = (!options.no_tray).then(tray::FakeTray::start);
        let inspector = free_port();
        let log = std::fs::File::create(sandbox.log_file()).expect("log file");
        let mut command = match &options.application {
            Some(wrapper) => {
                let mut c = Command::new(wrapper);
                c.envs(sandbox.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                c
            }
            None => sandbox.command(),
        };
        let host = command
            .env("WEBKIT_INSPECTOR_SERVER", format!("127.0.0.1:{inspector}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start pawkey");
        let (driver, client) = match attach(inspector).await {
            Ok(attached) => attached,
            Err(e) => {
                let mut host = host;
                let _ = host.kill();
                let _ = host.wait();
                sandbox.kill_apps();
                panic!(
                    "no WebDriver session: {e}\n--- log ---\n{}",
                    std::fs::read_to_string(sandbox.log_file()).unwrap_or_default()
                );
            }
        };
        let app = App {
            client,
            sandbox,
            tray,
            host,
            driver,
            inspector,
            _serial: serial,
        };
        app.wait_for_css("body[data-ready='true']").await;
        trace(&format!("launched {}", app.sandbox.service));
        app
    }

    /// Opens a session on the window process started since the last one (the old one was
    /// let go), and waits until its page is ready.
    pub async fn reattach(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
        stop_child(&mut self.driver);
        match attach(self.inspector).await {
            Ok((driver, client)) => {
                self.driver = driver;
                self.client = client;
            }
            Err(e) => panic!(
                "no WebDriver session on the new window: {e}\n--- app log ---\n{}",
                self.log()
            ),
        }
        self.wait_for_css("body[data-ready='true']").await;
    }

    /// Launches PawKey and waits until its server listens and its master token is usable.
    pub async fn launch_ready(options: Options) -> App {
        let app = App::launch(options).await;
        app.wait_for_attr("#server-status", "data-state", "listening")
            .await;
        app.wait_for_attr("#master-status", "data-state", "ok")
            .await;
        app
    }

    /// The app's own log (both processes' stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.sandbox.log_file()).unwrap_or_default()
    }

    /// Ends the WebDriver session and stops everything this launch started.
    pub async fn close(mut self) {
        trace(&format!("closing {}", self.sandbox.service));
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        self.stop_driver();
    }

    /// Stops WebKitWebDriver, then the app: SIGTERM (PawKey quits as from the tray, and
    /// its window process with it), SIGKILL after 5 s.
    fn stop_driver(&mut self) {
        stop_child(&mut self.driver);
        stop_child(&mut self.host);
        self.sandbox.kill_apps();
    }

    /// Runs one WebDriver call with a deadline, so a stuck call fails the test with the
    /// app's log instead of hanging it.
    async fn wd<T>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        match tokio::time::timeout(WD_CALL_TIMEOUT, call).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("{what}: {e}\n--- app log ---\n{}", self.log()),
            Err(_) => panic!(
                "{what}: WebDriver did not answer within {WD_CALL_TIMEOUT:?}\n--- app log ---\n{}",
                self.log()
            ),
        }
    }

    /// One attempt inside a polling loop: `None` on error or timeout.
    async fn try_wd<T>(
        call: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> Option<T> {
        tokio::time::timeout(WD_CALL_TIMEOUT, call).await.ok()?.ok()
    }

    /// The element matching `css`, waiting for it to exist.
    /// Waits until `css` matches in the current window.
    pub async fn wait_for_css_pub(&self, css: &str) -> fantoccini::elements::Element {
        self.wait_for_css(css).await
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.wait_for_css(css).await
    }

    async fn wait_for_css(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            if let Some(e) = Self::try_wd(self.client.find(Locator::Css(css))).await {
                return e;
            }
            if Instant::now() > deadline {
                panic!(
                    "{css} did not appear within {UI_TIMEOUT:?}\n--- app log ---\n{}",
                    self.log()
                )
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.wd(&format!("click {css}"), e.click()).await;
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.wd(&format!("text of {css}"), e.text()).await
    }

    /// An attribute of `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css).await;
        self.wd(&format!("{css}[{name}]"), e.attr(name)).await
    }

    /// A DOM property of `css` (e.g. an input's `value`).
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css).await;
        self.wd(&format!("{css}.{name}"), e.prop(name)).await
    }

    /// Whether the checkbox or option `css` is selected.
    pub async fn selected(&self, css: &str) -> bool {
        let e = self.find(css).await;
        self.wd(&format!("{css} selected"), e.is_selected()).await
    }

    /// Picks the option with `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        self.wd(
            &format!("select {value} in {css}"),
            e.select_by_value(value),
        )
        .await;
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        // Counted in the page: no element handles, so a list re-rendered meanwhile (the
        // approval cards count down every second) cannot make them stale.
        let n = self
            .wd(
                &format!("count {css}"),
                self.client.execute(
                    "return document.querySelectorAll(arguments[0]).length;",
                    vec![serde_json::Value::from(css)],
                ),
            )
            .await;
        n.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or_else(|| panic!("count {css}: not a number: {n}"))
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn execute(&self, js: &str) -> serde_json::Value {
        self.wd("execute script", self.client.execute(js, vec![]))
            .await
    }

    /// Runs asynchronous JavaScript in the page: it hands its result to its last argument
    /// (`arguments[arguments.length - 1]`), e.g. after importing one of the window's modules.
    pub async fn execute_async(&self, js: &str) -> serde_json::Value {
        self.wd(
            "execute async script",
            self.client.execute_async(js, vec![]),
        )
        .await
    }

    /// Position and size of `css` on the page: (x, y, width, height).
    pub async fn rect(&self, css: &str) -> (i64, i64, i64, i64) {
        let e = self.find(css).await;
        let (x, y, w, h) = self.wd(&format!("rect of {css}"), e.rectangle()).await;
        (x as i64, y as i64, w as i64, h as i64)
    }

    /// Whether `css` is displayed.
    pub async fn visible(&self, css: &str) -> bool {
        match Self::try_wd(self.client.find(Locator::Css(css))).await {
            Some(e) => Self::try_wd(e.is_displayed()).await.unwrap_or(false),
            None => false,
        }
    }

    /// Replaces the value of the input `css` with `text`, as a user typing.
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.wd(&format!("clear {css}"), e.clear()).await;
        self.wd(&format!("type into {css}"), e.send_keys(text))
            .await;
    }

    /// Waits until `check` holds for the text of `css`; returns that text.
    pub async fn wait_for_text(
        &self,
        css: &str,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> String {
        self.wait_for_text_within(css, what, UI_TIMEOUT, check)
            .await
    }

    /// Like [`App::wait_for_text`] with a custom timeout.
    pub async fn wait_for_text_within(
        &self,
        css: &str,
        what: &str,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Some(e) = Self::try_wd(self.client.find(Locator::Css(css))).await {
                if let Some(t) = Self::try_wd(e.text()).await {
                    if check(&t) {
                        return t;
                    }
                    last = t;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{css}: expected {what} within {timeout:?}; last text {last:?}\n--- app log ---\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    /// Waits until the attribute `attr` of `css` equals `value`.
    pub async fn wait_for_attr(&self, css: &str, attr: &str, value: &str) {
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut last = None;
        loop {
            if let Some(e) = Self::try_wd(self.client.find(Locator::Css(css))).await {
                last = Self::try_wd(e.attr(attr)).await.flatten();
                if last.as_deref() == Some(value) {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{css}[{attr}] expected {value:?}, last {last:?}\n--- app log ---\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    /// Presses `key` with Ctrl (and Shift when asked) through WebDriver key actions.
    pub async fn press_ctrl(&self, key: char, shift: bool) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        use fantoccini::key::Key;
        let mut keys = KeyActions::new("keyboard".into()).then(KeyAction::Down {
            value: Key::Control.into(),
        });
        if shift {
            keys = keys.then(KeyAction::Down {
                value: Key::Shift.into(),
            });
        }
        keys = keys
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        if shift {
            keys = keys.then(KeyAction::Up {
                value: Key::Shift.into(),
            });
        }
        keys = keys.then(KeyAction::Up {
            value: Key::Control.into(),
        });
        self.wd("key actions", self.client.perform_actions(keys))
            .await;
        let _ = Self::try_wd(self.client.release_actions()).await;
    }

    /// Saves what the screen shows of PawKey's window to `target/screenshots/<name>.png`, or
    /// to the tracked `docs/screenshots/<name>.png` when `PAWKEY_UPDATE_SCREENSHOTS=1`.
    /// Taken from the X server (ImageMagick's `import`): WebKitWebDriver's own screenshot
    /// can return an earlier rendering of the page. On a busy machine painting lags behind
    /// the page, so this waits for two rendered frames and then for two identical captures
    /// that are not one flat colour.
    pub async fn screenshot(&self, name: &str) {
        let window = x11::windows_titled("PawKey")
            .into_iter()
            .find(|w| x11::is_viewable(*w))
            .expect("a visible PawKey window to capture");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        let frames = "const done = arguments[arguments.length - 1];\n\
                      requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.wd(
            "wait for two frames",
            self.client.execute_async(frames, vec![]),
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut previous: Option<Vec<u8>> = None;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = capture(window);
            let flat = png.1 < 0.01;
            if !flat && previous.as_deref() == Some(png.0.as_slice()) {
                std::fs::write(&path, &png.0).expect("write screenshot");
                return;
            }
            if Instant::now() > deadline {
                assert!(
                    !flat,
                    "the window showed one flat colour for 10 s: nothing painted ({name})"
                );
                std::fs::write(&path, &png.0).expect("write screenshot");
                return;
            }
            previous = Some(png.0);
        }
    }
}

/// Saves a browser's screenshot (PNG bytes) as `<name>.png` in [`screenshot_dir`].
pub fn save_screenshot(name: &str, png: &[u8]) {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Where screenshots go: `docs/screenshots` only when asked to refresh them, so an ordinary
/// test run leaves tracked files alone; otherwise `<target dir>/screenshots`.
fn screenshot_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if std::env::var("PAWKEY_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        return root.join("docs/screenshots");
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t).join("screenshots"),
        None => root.join("target/screenshots"),
    }
}

/// The pixels of `window` as a PNG, and their standard deviation (0 = one flat colour).
fn capture(window: u32) -> (Vec<u8>, f64) {
    // Cropped from the whole screen: capturing the window alone sometimes yields only its
    // GTK background, without the web view drawn on top.
    let (x, y, w, h) = x11::geometry(window);
    let out = Command::new("timeout")
        .args(["20", "import", "-window", "root", "-crop"])
        .arg(format!("{w}x{h}+{x}+{y}"))
        // -strip drops the timestamps, so identical pixels give identical bytes.
        .args(["+repage", "-strip", "png:-"])
        .stdin(Stdio::null())
        .output()
        .expect("run timeout and import (apt-get install imagemagick)");
    assert!(
        out.status.success() && out.stdout.starts_with(b"\x89PNG"),
        "import failed"
    );
    let mut identify = Command::new("identify")
        .args(["-format", "%[fx:standard_deviation]", "png:-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run identify");
    {
        use std::io::Write;
        let mut stdin = identify.stdin.take().expect("identify stdin");
        stdin.write_all(&out.stdout).expect("feed identify");
    }
    let spread = identify.wait_with_output().expect("identify output");
    let spread = String::from_utf8_lossy(&spread.stdout)
        .trim()
        .parse()
        .unwrap_or(0.0);
    (out.stdout, spread)
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop_driver();
        if std::thread::panicking() {
            eprintln!("--- app log ({}) ---\n{}", self.sandbox.service, self.log());
        }
    }
}

/// Stops `child` with SIGTERM, then SIGKILL after 5 s.
fn stop_child(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Starts WebKitWebDriver attached to the window process listening on `inspector` and
/// opens a session on it (retried while the window process starts).
async fn attach(inspector: u16) -> Result<(Child, Client), String> {
    let port = free_port();
    let mut driver = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .arg(format!("--target=127.0.0.1:{inspector}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("run WebKitWebDriver (apt-get install webkit2gtk-driver): {e}"))?;
    let url = format!("http://127.0.0.1:{port}");
    // Generous: the first window process after boot reads WebKit from a cold disk cache.
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            stop_child(&mut driver);
            return Err("WebKitWebDriver did not start listening".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.clone());
        let session = builder.connect(&url);
        let result = match tokio::time::timeout(WD_CALL_TIMEOUT, session).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {WD_CALL_TIMEOUT:?}")),
        };
        match result {
            Ok(client) => return Ok((driver, client)),
            // The window process is still starting (its inspector not yet listening).
            Err(e) if Instant::now() < deadline => {
                if attempt % 10 == 0 {
                    eprintln!("WebDriver session attempt {attempt} failed ({e}); retrying");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                stop_child(&mut driver);
                return Err(format!("after {attempt} attempts: {e}"));
            }
        }
    }
}

/// WebKitGTK's MiniBrowser, the plain browser the landing-page tests drive.
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// Starts WebKitWebDriver (with `env` added to its environment, which MiniBrowser inherits)
/// and opens a MiniBrowser session through it; returns the driver process and the session.
pub async fn minibrowser(env: &[(String, String)]) -> (Child, Client) {
    assert!(
        Path::new(MINIBROWSER).exists(),
        "{MINIBROWSER} is missing: apt-get install webkit2gtk-driver (it ships MiniBrowser)"
    );
    let port = free_port();
    let driver = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run WebKitWebDriver (apt-get install webkit2gtk-driver)");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "WebKitWebDriver did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("MiniBrowser"));
    caps.insert(
        "webkitgtk:browserOptions".into(),
        json!({ "binary": MINIBROWSER, "args": ["--automation"] }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    let client = tokio::time::timeout(
        Duration::from_secs(15),
        builder.connect(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .expect("a MiniBrowser session within 15 s")
    .expect("a MiniBrowser session");
    (driver, client)
}

/// An HTTP answer from curl.
pub struct Http {
    pub status: u16,
    pub body: String,
}

impl Http {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Runs curl against the app's server (`curl -s -X METHOD`, URL and bearer on stdin).
pub fn curl(method: &str, url: &str, bearer: Option<&str>) -> Http {
    let secret = bearer.map(|t| format!("Authorization: Bearer {t}"));
    curl_with(method, url, secret.as_deref(), None)
}

/// Runs curl with an optional secret header line (`Authorization: ...`, `Cookie: ...`)
/// and an optional JSON body (no secret). The URL (it may hold a request id) and the header
/// go to curl as a config on stdin (`-K -`), so neither is in any process list.
pub fn curl_with(method: &str, url: &str, secret_header: Option<&str>, json: Option<&str>) -> Http {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-m",
        "10",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
        "-K",
        "-",
    ]);
    if let Some(body) = json {
        cmd.args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ]);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run curl (apt-get install curl)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("curl stdin");
        assert!(!url.contains('"') && !secret_header.is_some_and(|h| h.contains('"')));
        writeln!(stdin, "url = \"{url}\"").expect("write url");
        if let Some(line) = secret_header {
            writeln!(stdin, "header = \"{line}\"").expect("write header");
        }
    }
    let out = child.wait_with_output().expect("curl output");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    Http {
        status: code.trim().parse().unwrap_or(0),
        body: body.to_owned(),
    }
}

/// The text on the X clipboard ("" when nothing owns it).
pub fn clipboard_text() -> String {
    // An owner that does not answer would block xclip forever.
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run xclip");
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::new()
    }
}

/// The targets (formats) the clipboard's owner offers.
pub fn clipboard_targets() -> Vec<String> {
    let out = Command::new("timeout")
        .args([
            "5",
            "xclip",
            "-o",
            "-selection",
            "clipboard",
            "-t",
            "TARGETS",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run xclip");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Another program owning the clipboard with `text` (as when the user copies elsewhere).
pub struct OtherCopy(Child);

impl OtherCopy {
    pub fn new(text: &str) -> Self {
        use std::io::Write;
        // -quiet keeps xclip in the foreground so it can be stopped; its output is not read.
        let mut child = Command::new("xclip")
            .args(["-i", "-quiet", "-selection", "clipboard"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run xclip");
        child
            .stdin
            .take()
            .expect("xclip stdin")
            .write_all(text.as_bytes())
            .expect("feed xclip");
        let deadline = Instant::now() + Duration::from_secs(5);
        while clipboard_text() != text {
            assert!(
                Instant::now() < deadline,
                "xclip did not take the clipboard"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        OtherCopy(child)
    }
}

impl Drop for OtherCopy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` every 20 ms until it holds or `timeout` passes; returns how long it took.
pub async fn eventually(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if check() {
            return start.elapsed();
        }
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// X11 helpers: find PawKey's top-level window, see whether it is shown and focused, and
/// close it the way a window manager does when the user clicks ×.
pub mod x11 {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{
        AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, InputFocus, MapState, Window,
    };
    use x11rb::wrapper::ConnectionExt as _;

    /// One connection to the display for the whole test process: polling with a fresh
    /// connection each time can use up the X server's clients while an app starts.
    fn connect() -> (&'static x11rb::rust_connection::RustConnection, Window) {
        static DISPLAY: std::sync::OnceLock<(x11rb::rust_connection::RustConnection, Window)> =
            std::sync::OnceLock::new();
        let (conn, root) = DISPLAY.get_or_init(|| {
            let (conn, screen) = x11rb::connect(None).expect("connect to the X display");
            let root = conn.setup().roots[screen].root;
            (conn, root)
        });
        (conn, *root)
    }

    fn atom(conn: &impl Connection, name: &str) -> u32 {
        conn.intern_atom(false, name.as_bytes())
            .expect("intern atom")
            .reply()
            .expect("atom reply")
            .atom
    }

    fn title(conn: &impl Connection, window: Window) -> Option<String> {
        let utf8 = atom(conn, "UTF8_STRING");
        let net_name = atom(conn, "_NET_WM_NAME");
        for (prop, kind) in [
            (net_name, utf8),
            (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()),
        ] {
            let reply = conn
                .get_property(false, window, prop, kind, 0, 1024)
                .ok()?
                .reply()
                .ok()?;
            if !reply.value.is_empty() {
                return Some(String::from_utf8_lossy(&reply.value).into_owned());
            }
        }
        None
    }

    /// Top-level windows titled `name`.
    pub fn windows_titled(name: &str) -> Vec<Window> {
        let (conn, root) = connect();
        let tree = conn
            .query_tree(root)
            .expect("query tree")
            .reply()
            .expect("tree");
        tree.children
            .into_iter()
            .filter(|w| title(conn, *w).as_deref() == Some(name))
            .collect()
    }

    /// Whether `window` is mapped and viewable.
    pub fn is_viewable(window: Window) -> bool {
        let (conn, _) = connect();
        conn.get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    }

    /// Whether keyboard focus is in `window` or one of its children.
    pub fn has_focus(window: Window) -> bool {
        let (conn, root) = connect();
        let mut focus = conn
            .get_input_focus()
            .expect("get focus")
            .reply()
            .expect("focus")
            .focus;
        while focus != x11rb::NONE && focus != root && focus != 1 {
            if focus == window {
                return true;
            }
            match conn.query_tree(focus).ok().and_then(|c| c.reply().ok()) {
                Some(tree) => focus = tree.parent,
                None => return false,
            }
        }
        false
    }

    /// Position and size of `window` on the screen: (x, y, width, height).
    pub fn geometry(window: Window) -> (i16, i16, u16, u16) {
        let (conn, root) = connect();
        let g = conn
            .get_geometry(window)
            .expect("get geometry")
            .reply()
            .expect("geometry");
        let at = conn
            .translate_coordinates(window, root, 0, 0)
            .expect("translate")
            .reply()
            .expect("translated");
        (at.dst_x, at.dst_y, g.width, g.height)
    }

    /// Moves keyboard focus away from every window.
    pub fn unfocus_all() {
        let (conn, root) = connect();
        conn.set_input_focus(InputFocus::POINTER_ROOT, root, x11rb::CURRENT_TIME)
            .expect("set focus");
        conn.sync().expect("sync");
    }

    /// Whether `window` shows a drawn page rather than an empty frame: its top-left 300×60
    /// pixels (the logo and the "PawKey" heading) hold at least 16 distinct colours. Read
    /// from the screen (the root window), as a person sees it: the webview draws into a
    /// child window of another depth, which a read of the frame itself would not show. The
    /// area is small so that polling it does not slow the X server the page draws through.
    pub fn painted(window: Window) -> bool {
        use x11rb::protocol::xproto::ImageFormat;
        let (conn, root) = connect();
        let Some(g) = conn.get_geometry(window).ok().and_then(|c| c.reply().ok()) else {
            return false;
        };
        let Some(at) = conn
            .translate_coordinates(window, root, 0, 0)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return false;
        };
        let (width, rows) = (g.width.min(300), g.height.min(60));
        let Some(image) = conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                root,
                at.dst_x,
                at.dst_y,
                width,
                rows,
                !0,
            )
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return false;
        };
        let mut colours = std::collections::HashSet::new();
        for px in image.data.chunks_exact(4) {
            colours.insert([px[0], px[1], px[2]]);
            if colours.len() >= 16 {
                return true;
            }
        }
        false
    }

    /// Sends WM_DELETE_WINDOW, as a window manager does when the user clicks the close button.
    pub fn request_close(window: Window) {
        let (conn, _) = connect();
        let protocols = atom(conn, "WM_PROTOCOLS");
        let delete = atom(conn, "WM_DELETE_WINDOW");
        let event = ClientMessageEvent::new(
            32,
            window,
            protocols,
            [delete, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        conn.send_event(false, window, EventMask::NO_EVENT, event)
            .expect("send WM_DELETE_WINDOW");
        conn.sync().expect("sync");
    }
}

/// A stand-in desktop notification daemon on the session bus that records what it is asked
/// to show (`org.freedesktop.Notifications`).
pub mod notifications {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    type Shown = Arc<Mutex<Vec<(String, String)>>>;

    struct Daemon {
        shown: Shown,
        next_id: u32,
    }

    #[zbus::interface(name = "org.freedesktop.Notifications")]
    impl Daemon {
        #[allow(clippy::too_many_arguments)]
        fn notify(
            &mut self,
            _app_name: String,
            _replaces_id: u32,
            _app_icon: String,
            summary: String,
            body: String,
            _actions: Vec<String>,
            _hints: HashMap<String, zbus::zvariant::OwnedValue>,
            _expire_timeout: i32,
        ) -> u32 {
            self.shown
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((summary, body));
            self.next_id += 1;
            self.next_id
        }

        fn get_capabilities(&self) -> Vec<String> {
            vec!["body".into()]
        }

        fn get_server_information(&self) -> (String, String, String, String) {
            (
                "pawkey-test-notifications".into(),
                "pawkey".into(),
                "1".into(),
                "1.2".into(),
            )
        }

        fn close_notification(&self, _id: u32) {}
    }

    /// The running stand-in; it leaves the bus when dropped.
    pub struct FakeNotifications {
        _conn: zbus::blocking::Connection,
        shown: Shown,
    }

    impl FakeNotifications {
        /// Takes the notification service name on the session bus.
        pub fn start() -> Self {
            let shown = Shown::default();
            let daemon = Daemon {
                shown: shown.clone(),
                next_id: 0,
            };
            let conn = zbus::blocking::connection::Builder::session()
                .and_then(|b| b.name("org.freedesktop.Notifications"))
                .and_then(|b| b.serve_at("/org/freedesktop/Notifications", daemon))
                .and_then(|b| b.build())
                .expect("own org.freedesktop.Notifications on the session bus");
            FakeNotifications { _conn: conn, shown }
        }

        /// (summary, body) of every notification shown so far.
        pub fn shown(&self) -> Vec<(String, String)> {
            self.shown.lock().unwrap_or_else(|p| p.into_inner()).clone()
        }
    }
}

/// A stand-in for the desktop's tray: a StatusNotifierWatcher on the session bus, as KDE or
/// GNOME's AppIndicator extension run. PawKey's icon (libappindicator) registers with it
/// and exports its menu over D-Bus (`com.canonical.dbusmenu`), which is what a real tray
/// shows and clicks — so [`FakeTray::click`] clicks the real menu.
pub mod tray {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

    /// (bus name, object path) of each registered item.
    type Items = Arc<Mutex<Vec<(String, String)>>>;

    struct Watcher {
        items: Items,
    }

    #[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
    impl Watcher {
        fn register_status_notifier_item(
            &mut self,
            service: String,
            #[zbus(header)] header: zbus::message::Header<'_>,
        ) {
            let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
            // Items pass either their object path (libappindicator) or a bus name.
            let (name, path) = if service.starts_with('/') {
                (sender, service)
            } else {
                (service, "/StatusNotifierItem".to_owned())
            };
            self.items
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((name, path));
        }

        fn register_status_notifier_host(&mut self, _service: String) {}

        #[zbus(property)]
        fn registered_status_notifier_items(&self) -> Vec<String> {
            self.items
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(n, p)| format!("{n}{p}"))
                .collect()
        }

        #[zbus(property)]
        fn is_status_notifier_host_registered(&self) -> bool {
            true
        }

        #[zbus(property)]
        fn protocol_version(&self) -> i32 {
            0
        }
    }

    /// The running tray; it leaves the bus when dropped.
    pub struct FakeTray {
        conn: zbus::blocking::Connection,
        items: Items,
    }

    impl FakeTray {
        /// Takes the StatusNotifierWatcher name on the session bus.
        pub fn start() -> Self {
            let items = Items::default();
            let conn = zbus::blocking::connection::Builder::session()
                .expect("session bus")
                .name("org.kde.StatusNotifierWatcher")
                .expect("watcher name")
                .serve_at(
                    "/StatusNotifierWatcher",
                    Watcher {
                        items: items.clone(),
                    },
                )
                .expect("watcher object")
                .build()
                .expect("the tray stand-in takes its name");
            Self { conn, items }
        }

        /// The newest registered item whose owner is still on the bus.
        fn item(&self) -> Option<(String, String)> {
            let bus = zbus::blocking::fdo::DBusProxy::new(&self.conn).ok()?;
            let items = self.items.lock().unwrap_or_else(|p| p.into_inner()).clone();
            items.into_iter().rev().find(|(name, _)| {
                zbus::names::BusName::try_from(name.as_str())
                    .ok()
                    .and_then(|n| bus.name_has_owner(n).ok())
                    .unwrap_or(false)
            })
        }

        /// Clicks the menu item whose label contains `label`, as a tray does; waits up to
        /// 10 s for PawKey's icon to register and its menu to have that item.
        pub fn click(&self, label: &str) {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut last = String::from("no tray item registered");
            while Instant::now() < deadline {
                match self.try_click(label) {
                    Ok(()) => return,
                    Err(e) => last = e,
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!("could not click {label:?} in the tray menu: {last}");
        }

        fn try_click(&self, label: &str) -> Result<(), String> {
            self.try_prepare(label)?.click()
        }

        /// Finds `label` in the menu (waiting up to 10 s), for a click timed on its own.
        pub fn prepare(&self, label: &str) -> Click {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match self.try_prepare(label) {
                    Ok(click) => return click,
                    Err(e) if Instant::now() > deadline => {
                        panic!("no {label:?} in the tray menu: {e}")
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        }

        fn try_prepare(&self, label: &str) -> Result<Click, String> {
            let (name, path) = self.item().ok_or("no tray item registered")?;
            let item = zbus::blocking::Proxy::new(
                &self.conn,
                name.as_str(),
                path.as_str(),
                "org.kde.StatusNotifierItem",
            )
            .map_err(|e| e.to_string())?;
            let menu: OwnedObjectPath = item.get_property("Menu").map_err(|e| e.to_string())?;
            let menu: zbus::blocking::Proxy<'static> = zbus::blocking::Proxy::new(
                &self.conn,
                name.clone(),
                menu.into_inner(),
                "com.canonical.dbusmenu",
            )
            .map_err(|e| e.to_string())?;
            type Root = (
                i32,
                std::collections::HashMap<String, OwnedValue>,
                Vec<OwnedValue>,
            );
            let (_revision, (_, _, children)): (u32, Root) = menu
                .call("GetLayout", &(0i32, -1i32, Vec::<String>::new()))
                .map_err(|e| e.to_string())?;
            let mut labels = Vec::new();
            let id = children
                .iter()
                .find_map(|child| find(child, label, &mut labels))
                .ok_or_else(|| format!("no item labelled {label:?} in {labels:?}"))?;
            Ok(Click { menu, id })
        }
    }

    /// One menu item, found: [`Click::click`] is only the D-Bus call a tray makes.
    pub struct Click {
        menu: zbus::blocking::Proxy<'static>,
        id: i32,
    }

    impl Click {
        /// Sends the item's `clicked` event.
        pub fn click(&self) -> Result<(), String> {
            let _: () = self
                .menu
                .call("Event", &(self.id, "clicked", Value::from(0i32), 0u32))
                .map_err(|e| e.to_string())?;
            Ok(())
        }
    }

    /// The id of the first enabled item whose label contains `label` (mnemonic
    /// underscores removed), in a `(ia{sv}av)` layout.
    fn find(node: &Value<'_>, label: &str, seen: &mut Vec<String>) -> Option<i32> {
        let node = match node {
            Value::Value(inner) => return find(inner, label, seen),
            Value::Structure(s) => s,
            _ => return None,
        };
        let fields = node.fields();
        let id = match fields.first()? {
            Value::I32(id) => *id,
            _ => return None,
        };
        if let Some(Value::Dict(props)) = fields.get(1) {
            let text: Option<String> = props
                .get::<&str, Value<'_>>(&"label")
                .ok()
                .flatten()
                .and_then(|v| match v {
                    Value::Str(s) => Some(s.to_string()),
                    Value::Value(b) => match *b {
                        Value::Str(s) => Some(s.to_string()),
                        _ => None,
                    },
                    _ => None,
                });
            if let Some(text) = text {
                let text = text.replace('_', "");
                if text.contains(label) {
                    return Some(id);
                }
                seen.push(text);
            }
        }
        if let Some(Value::Array(children)) = fields.get(2) {
            for child in children.iter() {
                if let Some(found) = find(child, label, seen) {
                    return Some(found);
                }
            }
        }
        None
    }
}
