//! Opening a link that carries a secret (a dashboard URL with `?token=`) in the default
//! browser without putting the secret on any command line: a process's arguments are
//! readable by every local user (`/proc/<pid>/cmdline`), and `xdg-open` hands its argument
//! on to the browser's command line too.
//!
//! As Jupyter does, the link goes into a small HTML file that redirects to it (meta refresh
//! and `location.replace`), and only that file's `file://` URL is given to the opener. The
//! file is created with a random name, `O_EXCL` and mode 0600, in a 0700 directory
//! (`$XDG_RUNTIME_DIR/pawkey`, or `open/` in the data directory), and removed after
//! [`REDIRECT_LIFETIME`] — or, if PawKey quit before that, on the next open.
//!
//! A browser confined so that it cannot read these directories (e.g. some sandboxed snap
//! packages) shows a "file not found" page instead of the dashboard.
//!
//! The opener: `$BROWSER` when set (run here, so tests can point it at a fake browser),
//! otherwise the `webbrowser` crate — the default browser from the XDG settings on Linux,
//! Launch Services on macOS, the `http` association on Windows — which opens a local HTML
//! file in a browser, never in an editor. On macOS and Windows there is no runtime
//! directory: the file goes to `open/` in the data directory, inside the user's own
//! profile (on Windows its access rules, not a mode, keep other users out).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The folder in the data directory used when there is no runtime directory.
pub const REDIRECT_DIR_NAME: &str = "open";
/// How long a redirect file is kept: long enough for a slow browser start.
pub const REDIRECT_LIFETIME: Duration = Duration::from_secs(60);
/// Redirect files are named `<PREFIX><32 hex>.html`.
const PREFIX: &str = "pawkey-open-";

/// Where redirect files go: `<runtime dir>/pawkey` when there is a runtime directory
/// (`$XDG_RUNTIME_DIR`, private to the user and in memory), else `<data dir>/open`.
pub fn redirect_dir(runtime_dir: Option<&Path>, data_dir: &Path) -> PathBuf {
    match runtime_dir {
        Some(r) => r.join("pawkey"),
        None => data_dir.join(REDIRECT_DIR_NAME),
    }
}

/// [`redirect_dir`] for this user, with `PAWKEY_DATA_DIR` honoured.
pub fn default_redirect_dir() -> PathBuf {
    let base = directories::BaseDirs::new();
    let runtime = base.as_ref().and_then(|b| b.runtime_dir());
    redirect_dir(runtime, &crate::config::Paths::from_env().data_dir)
}

/// `s` as a JavaScript string literal that is safe inside a `<script>` element.
fn js_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The redirect page for `url`.
pub fn redirect_html(url: &str) -> String {
    let attr = crate::html::escape(url);
    let js = js_string(url);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={attr}\">\n\
         <title>Opening PocketPaw…</title>\n\
         <script>location.replace({js});</script>\n</head>\n<body>\n\
         <p>Opening the dashboard… If nothing happens, <a href=\"{attr}\">open it here</a>.</p>\n\
         </body>\n</html>\n"
    )
}

/// Creates `dir` with mode 0700 if missing; refuses one that is a symbolic link or
/// belongs to another user, and sets ours to 0700 if it is wider.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)?;
            }
            Err(e) => return Err(e),
        }
        let meta = std::fs::symlink_metadata(dir)?;
        if !meta.file_type().is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory (a symbolic link?); PawKey will not put a token there",
                dir.display()
            )));
        }
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Err(std::io::Error::other(format!(
                "{} belongs to another user; PawKey will not put a token there",
                dir.display()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Writes the redirect page for `url` to a new file in `dir` (see the module docs) and
/// returns its path. Only `http` and `https` URLs are accepted.
pub fn write_redirect(dir: &Path, url: &str) -> std::io::Result<PathBuf> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "only http:// and https:// addresses are opened",
        ));
    }
    private_dir(dir)?;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let path = dir.join(format!("{PREFIX}{}.html", hex::encode(random)));
    let mut opts = std::fs::OpenOptions::new();
    // create_new is O_CREAT|O_EXCL: never an existing file, never through a symlink.
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&path)?;
    let written = file
        .write_all(redirect_html(url).as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Removes redirect files in `dir` older than `age` (left behind when PawKey quit before
/// removing them).
pub fn remove_stale(dir: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e >= age);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The `file://` URL of an absolute path (bytes outside `A-Za-z0-9-._~/` percent-encoded;
/// on Windows `C:\dir\f.html` becomes `file:///C:/dir/f.html`).
pub fn file_url(path: &Path) -> String {
    file_url_of(&path.to_string_lossy(), cfg!(windows))
}

fn file_url_of(path: &str, windows: bool) -> String {
    let path = if windows {
        let slashed = path.replace('\\', "/");
        if slashed.starts_with('/') {
            slashed
        } else {
            format!("/{slashed}")
        }
    } else {
        path.to_owned()
    };
    let mut url = String::from("file://");
    for (i, b) in path.bytes().enumerate() {
        // The colon of a drive letter (`/C:/…`) stays as it is.
        let drive_colon = windows && i == 2 && b == b':';
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || drive_colon {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// The command `$BROWSER` names for opening `target` (its first `:`-separated entry, with
/// `%s` replaced by the target or the target appended), or `None` when it names none and
/// the default browser is used. Give it no secret: its arguments are visible to every
/// local user.
pub fn browser_command(target: &str, browser_env: Option<&str>) -> Option<Command> {
    let browser = browser_env?
        .split(':')
        .map(str::trim)
        .find(|b| !b.is_empty())?;
    let mut parts = browser.split_whitespace();
    let program = parts.next()?;
    let mut args: Vec<String> = parts.map(str::to_owned).collect();
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", target);
        }
    } else {
        args.push(target.to_owned());
    }
    let mut cmd = Command::new(program);
    cmd.args(args);
    Some(cmd)
}

/// Opens `url` (which may carry a token) in the default browser through a redirect file in
/// `dir`; the opener (`browser_env`, or the default browser) gets only the file's URL.
/// Returns the file's path once the browser has been started (it is not waited for: some
/// openers stay running as long as the browser does); the file is removed after
/// [`REDIRECT_LIFETIME`].
pub fn open_secret_url(
    url: &str,
    dir: &Path,
    browser_env: Option<&str>,
) -> Result<PathBuf, String> {
    remove_stale(dir, REDIRECT_LIFETIME);
    let path = write_redirect(dir, url).map_err(|e| {
        format!(
            "could not write the page that opens the dashboard in {}: {e}",
            dir.display()
        )
    })?;
    let target = file_url(&path);
    let started = match browser_command(&target, browser_env) {
        Some(cmd) => spawn_browser(cmd),
        None => webbrowser::open(&target).map_err(|e| {
            format!(
                "could not open the default browser: {e} — set BROWSER to your browser's command"
            )
        }),
    };
    if let Err(e) = started {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let to_remove = path.clone();
    std::thread::spawn(move || {
        std::thread::sleep(REDIRECT_LIFETIME);
        let _ = std::fs::remove_file(to_remove);
    });
    Ok(path)
}

/// Starts the `$BROWSER` command without waiting for it, and reaps it when it exits.
fn spawn_browser(mut cmd: Command) -> Result<(), String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("could not start {program} (from BROWSER) to open the browser: {e}")
        })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:8888/?token=1767225600:abcdef0123456789";

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn browser_env_is_honoured_with_or_without_a_placeholder() {
        let cmd = browser_command("file:///x.html", Some("/bin/rec --flag")).unwrap();
        assert_eq!(cmd.get_program(), "/bin/rec");
        assert_eq!(args(&cmd), vec!["--flag", "file:///x.html"]);

        let cmd = browser_command("file:///x.html", Some("firefox -new-tab %s:chromium")).unwrap();
        assert_eq!(cmd.get_program(), "firefox");
        assert_eq!(args(&cmd), vec!["-new-tab", "file:///x.html"]);

        // Nothing usable in it: the default browser (the webbrowser crate) opens the file.
        assert!(browser_command("file:///x.html", Some("  ")).is_none());
        assert!(browser_command("file:///x.html", Some(" : ")).is_none());
        assert!(browser_command("file:///x.html", None).is_none());
    }

    #[test]
    fn a_browser_that_cannot_start_leaves_no_file_and_says_which() {
        let tmp = tempfile::tempdir().unwrap();
        let e = open_secret_url(URL, tmp.path(), Some("/nonexistent/pawkey-browser")).unwrap_err();
        assert!(
            e.contains("/nonexistent/pawkey-browser") && e.contains("BROWSER"),
            "{e}"
        );
        assert!(!e.contains("abcdef0123456789"), "{e}");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn the_redirect_file_is_private_in_a_private_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("runtime").join("pawkey");
        let path = write_redirect(&dir, URL).unwrap();
        assert_eq!(path.parent().unwrap(), dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        // A second file gets another random name.
        let again = write_redirect(&dir, URL).unwrap();
        assert_ne!(again, path);

        // An existing directory that is too wide is narrowed.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_redirect(&dir, URL).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let dir = tmp.path().join("pawkey");
        std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
        let e = write_redirect(&dir, URL).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn the_page_redirects_to_the_url_both_ways() {
        let html = redirect_html(URL);
        assert!(
            html.contains(&format!(
                "<meta http-equiv=\"refresh\" content=\"0;url={URL}\">"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!("location.replace(\"{URL}\");")),
            "{html}"
        );
        assert!(html.contains("<meta name=\"referrer\" content=\"no-referrer\">"));
    }

    #[test]
    fn the_url_is_escaped_in_html_and_in_the_script() {
        let evil = "http://x/?a=1&b=\"><script>alert(1)</script>'</script>";
        let html = redirect_html(evil);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("\"><"), "{html}");
        assert!(
            html.contains("url=http://x/?a=1&amp;b=&quot;&gt;&lt;script&gt;"),
            "{html}"
        );
        // Exactly one closing script tag: ours.
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        assert!(html.contains("\\u003c/script\\u003e"), "{html}");
    }

    #[test]
    fn only_web_addresses_are_written() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in ["javascript:alert(1)", "file:///etc/passwd", ""] {
            let e = write_redirect(tmp.path(), bad).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url_of("/run/user/1000/pawkey/a b#?%.html", false),
            "file:///run/user/1000/pawkey/a%20b%23%3F%25.html"
        );
        assert_eq!(file_url_of("/a:b.html", false), "file:///a%3Ab.html");
        #[cfg(unix)]
        assert_eq!(
            file_url(Path::new("/tmp/x y.html")),
            "file:///tmp/x%20y.html"
        );
    }

    /// Windows paths, checked here on the string form: drive and separators as a browser
    /// expects them, everything else encoded as on Unix.
    #[test]
    fn windows_paths_become_three_slash_file_urls() {
        assert_eq!(
            file_url_of(
                r"C:\Users\Ann Lee\AppData\Roaming\PawKey\data\open\pawkey-open-ab.html",
                true
            ),
            "file:///C:/Users/Ann%20Lee/AppData/Roaming/PawKey/data/open/pawkey-open-ab.html"
        );
        assert_eq!(
            file_url_of(r"C:\a:b#.html", true),
            "file:///C:/a%3Ab%23.html"
        );
    }

    #[test]
    fn stale_files_are_removed_and_fresh_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = write_redirect(tmp.path(), URL).unwrap();
        let other = tmp.path().join("keep-me");
        std::fs::write(&other, "x").unwrap();
        remove_stale(tmp.path(), Duration::from_secs(60));
        assert!(fresh.exists());
        remove_stale(tmp.path(), Duration::ZERO);
        assert!(!fresh.exists());
        assert!(other.exists(), "only redirect files are removed");
    }

    /// The real thing with a fake browser: its command line (read back from
    /// `/proc/<pid>/cmdline`) holds only the file URL, and the file redirects to the URL.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_opener_gets_a_file_url_and_never_the_token() {
        let tmp = tempfile::tempdir().unwrap();
        let record = tmp.path().join("record");
        let browser = tmp.path().join("browser");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\ncat /proc/$$/cmdline | tr '\\0' ' ' > '{r}.argv'\n\
                 f=${{1#file://}}\ncat \"$f\" > '{r}.page'\nstat -c %a \"$f\" > '{r}.mode'\n\
                 mv '{r}.argv' '{r}'\n",
                r = record.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = tmp.path().join("open");
        let browser_env = browser.display().to_string();
        let path = open_secret_url(URL, &dir, Some(&browser_env)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !record.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the browser never ran"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let argv = std::fs::read_to_string(&record).unwrap();
        assert!(argv.contains(&file_url(&path)), "{argv}");
        assert!(!argv.contains("token"), "{argv}");
        assert!(!argv.contains("abcdef0123456789"), "{argv}");
        let page = std::fs::read_to_string(format!("{}.page", record.display())).unwrap();
        assert_eq!(page, redirect_html(URL));
        let mode = std::fs::read_to_string(format!("{}.mode", record.display())).unwrap();
        assert_eq!(mode.trim(), "600");
    }
}
