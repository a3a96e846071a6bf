//! Where PawKey's log goes. Every command logs to stderr, in colour only on a terminal and
//! never when `NO_COLOR` is set (<https://no-color.org>). The desktop app also writes a log
//! file in [`log_dir`], a new one each day, keeping the last [`KEEP_LOG_FILES`]. Nothing
//! PawKey logs holds a token: the server logs neither `Authorization`, cookies nor query
//! strings, and mints are logged by fingerprint.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::path::PathBuf;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Log files kept in [`log_dir`] (one per day; older ones are deleted).
pub const KEEP_LOG_FILES: usize = 7;
/// Log files are named `pawkey.<YYYY-MM-DD>.log`.
pub const LOG_FILE_PREFIX: &str = "pawkey";
/// On Unix, `pawkey.log` in [`log_dir`] links to today's file.
pub const LATEST_LOG: &str = "pawkey.log";

/// The desktop app's log directory:
///
/// - Linux and other Unix: `$XDG_STATE_HOME/pawkey/logs`, i.e. `~/.local/state/pawkey/logs`;
/// - macOS: `~/Library/Logs/PawKey` (where Console.app looks, and where the launchd agent
///   in `packaging/` sends `pawkeyd`'s output);
/// - Windows: `%LOCALAPPDATA%\pawkey\logs`.
///
/// `None` when the OS names no home directory.
pub fn log_dir() -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        let base = directories::BaseDirs::new()?;
        Some(base.home_dir().join("Library/Logs/PawKey"))
    } else if cfg!(windows) {
        let base = directories::BaseDirs::new()?;
        Some(base.data_local_dir().join("pawkey").join("logs"))
    } else {
        let dirs = directories::ProjectDirs::from("", "", "pawkey")?;
        Some(dirs.state_dir()?.join("logs"))
    }
}

/// Whether log lines on stderr get ANSI colours: only on a terminal, and not when
/// `NO_COLOR` is set to anything but the empty string.
pub fn use_color(stderr_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

fn stderr_layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let color = use_color(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
}

/// Logging to stderr; `RUST_LOG` sets the level (default: info).
pub fn init_logging() {
    let _ = tracing_subscriber::registry()
        .with(filter())
        .with(stderr_layer())
        .try_init();
}

/// The desktop app's logging: stderr as [`init_logging`], and a daily file in [`log_dir`]
/// (created 0700). Returns the directory, or `None` (with a warning on stderr) when no
/// file could be opened: the app then logs to stderr only.
pub fn init_desktop_logging() -> Option<PathBuf> {
    init_file_logging(true)
}

/// The desktop window process's logging: the same daily file and stderr as the app that
/// started it, without a second start line.
pub fn init_window_logging() -> Option<PathBuf> {
    init_file_logging(false)
}

fn init_file_logging(announce: bool) -> Option<PathBuf> {
    let file = log_dir().ok_or_else(|| "this OS names no home directory".to_owned());
    let file = file.and_then(|dir| match open_log_file(&dir) {
        Ok(appender) => Ok((dir, appender)),
        Err(e) => Err(format!("cannot write logs to {}: {e}", dir.display())),
    });
    let (dir, layer) = match file {
        Ok((dir, appender)) => {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(appender)
                .with_ansi(false)
                .with_target(false);
            (Some(dir), Some(layer))
        }
        Err(message) => {
            eprintln!("warning: {message}; logging to stderr only");
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry()
        .with(filter())
        .with(stderr_layer())
        .with(layer)
        .try_init();
    if let Some(dir) = dir.as_ref().filter(|_| announce) {
        tracing::info!(
            "PawKey {} starting (pid {}); log files in {}",
            crate::VERSION,
            std::process::id(),
            dir.display()
        );
    }
    dir
}

/// Creates the log directory `dir` (and its parents) private to this user (0700 on Unix)
/// when missing.
pub fn create_log_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut create = std::fs::DirBuilder::new();
    create.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        create.mode(0o700);
    }
    create.create(dir)
}

fn open_log_file(
    dir: &std::path::Path,
) -> Result<tracing_appender::rolling::RollingFileAppender, Box<dyn std::error::Error>> {
    create_log_dir(dir)?;
    let builder = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_LOG_FILES);
    #[cfg(unix)]
    let builder = builder.latest_symlink(LATEST_LOG);
    Ok(builder.build(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(use_color(true, None));
        assert!(!use_color(false, None));
        assert!(!use_color(true, Some(OsStr::new("1"))));
        assert!(!use_color(false, Some(OsStr::new("1"))));
        // no-color.org: set *and not empty*.
        assert!(use_color(true, Some(OsStr::new(""))));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_log_directory_follows_xdg_state_home() {
        // Read-only check of the documented default: under the state directory.
        let dir = log_dir().expect("a home directory");
        assert!(dir.ends_with("pawkey/logs"), "{}", dir.display());
    }
}
