//! The app itself: the status line, the log folder, the API docs page, quit.

use tauri::{AppHandle, Manager};

use crate::error::CommandError;
use crate::host::Host;
use crate::views::StatusView;

/// The status line, the settings and where things live.
pub fn status(app: &AppHandle) -> Result<StatusView, CommandError> {
    Ok(app.state::<Host>().status_view())
}

/// Opens the folder holding PawKey's log files ([`pawkey_core::cli::log_dir`]) in the
/// file manager (the platform's opener through the `opener` crate, never `$BROWSER`);
/// returns the folder's path.
pub fn open_logs() -> Result<String, CommandError> {
    let dir = pawkey_core::cli::log_dir().ok_or_else(|| {
        CommandError::Logs("this system names no home directory, so there are no log files".into())
    })?;
    let shown = dir.display().to_string();
    // Normally there since start-up; an opener given a missing folder fails silently.
    pawkey_core::cli::create_log_dir(&dir)
        .map_err(|e| CommandError::Logs(format!("cannot create the log folder {shown}: {e}")))?;
    opener::open(&dir).map_err(|e| {
        CommandError::Logs(format!(
            "could not open the log folder {shown}: {e} — open it in your file manager"
        ))
    })?;
    Ok(shown)
}

/// Opens the server's API docs page, `http://localhost:PORT/docs`, in the browser
/// (`$BROWSER` when set, as for the dashboard); returns the address.
pub async fn open_docs(app: &AppHandle) -> Result<String, CommandError> {
    let state = app.state::<Host>().state().await?;
    let url = format!("http://localhost:{}/docs", state.listening_port());
    let browser = std::env::var("BROWSER").ok();
    let opened = match pawkey_core::browser::browser_command(&url, browser.as_deref()) {
        // Not waited for here (a browser may keep running): a thread reaps it.
        Some(mut cmd) => cmd.spawn().map(|mut child| {
            std::thread::spawn(move || child.wait());
        }),
        None => opener::open_browser(&url).map_err(std::io::Error::other),
    };
    opened.map_err(|e| CommandError::Browser {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    Ok(url)
}

/// Quits PawKey (Ctrl+Q, Cmd+Q on macOS): as Quit in the tray, it clears our token from
/// the clipboard (only if still ours), stops the server gracefully and exits with status 0.
pub fn quit(app: &AppHandle) {
    app.state::<Host>().quit(app);
}
