//! The `#[tauri::command]`s the window calls. Each is a thin call into pawkey-core; the
//! keychain is only touched through core, on blocking threads.

use pawkey_core::audit::MintSource;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::{MasterStatus, Minted};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::events::publish_status;
use crate::settings::SettingsForm;
use crate::shell::Shell;
use crate::views::{CopyView, SessionsView, StatusView};
use crate::window::{TtlChoice, WindowMemoryView};

/// A token minted from the window, and whether it reached the clipboard.
#[derive(Serialize)]
pub struct MintView {
    /// The token and its expiry.
    #[serde(flatten)]
    pub minted: Minted,
    /// The copy to the clipboard that follows every mint.
    pub copy: CopyView,
}

/// The status line, the settings and where things live.
#[tauri::command]
pub async fn status(app: AppHandle) -> Result<StatusView, CommandError> {
    Ok(app.state::<Shell>().status_view(&app))
}

/// Mints a session token (`ttl_hours` absent: the configured lifetime) and copies it.
#[tauri::command]
pub async fn new_session(
    app: AppHandle,
    shell: State<'_, Shell>,
    ttl_hours: Option<i64>,
) -> Result<MintView, CommandError> {
    let state = shell.state().await?;
    let minted = state.mint(ttl_hours, None, MintSource::Window, None)?;
    shell
        .view_memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remember_token(&minted.token, minted.expires_at);
    let clear = state.config().clipboard_clear_seconds;
    let copy = shell
        .copy_secret(&app, Zeroizing::new(minted.token.clone()), clear)
        .await;
    Ok(MintView { minted, copy })
}

/// What the window showed before its page was dropped: the lifetime picker and the token
/// (while it still verifies).
#[tauri::command]
pub async fn window_memory(shell: State<'_, Shell>) -> Result<WindowMemoryView, CommandError> {
    let state = shell.ready_state();
    Ok(shell
        .view_memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .view(state.as_ref()))
}

/// Keeps the lifetime picker's choice for when the window is built again.
#[tauri::command]
pub fn remember_ttl(shell: State<'_, Shell>, choice: TtlChoice) {
    shell
        .view_memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remember_ttl(choice);
}

/// Copies a session token shown in the window again; only tokens that still verify.
#[tauri::command]
pub async fn copy_session(
    app: AppHandle,
    shell: State<'_, Shell>,
    token: String,
) -> Result<CopyView, CommandError> {
    let token = Zeroizing::new(token);
    let state = shell.state().await?;
    state
        .verify(&token)
        .map_err(|e| CommandError::Other(format!("not copied: {e} — mint a new session token")))?;
    let clear = state.config().clipboard_clear_seconds;
    Ok(shell.copy_secret(&app, token, clear).await)
}

/// The recent mints, newest first, with the number of the newest.
#[tauri::command]
pub async fn recent_sessions(shell: State<'_, Shell>) -> Result<SessionsView, CommandError> {
    shell.state().await?;
    Ok(shell.sessions())
}

/// The master token, for the reveal button.
#[tauri::command]
pub async fn reveal_master(shell: State<'_, Shell>) -> Result<String, CommandError> {
    Ok(shell.state().await?.master()?.expose().to_owned())
}

/// Copies the master token (cleared like a session token).
#[tauri::command]
pub async fn copy_master(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<CopyView, CommandError> {
    let state = shell.state().await?;
    let master = state.master()?;
    // The master always clears, even with clipboard_clear_seconds = 0 ("never").
    let clear = crate::clipboard::clear_after_seconds(
        crate::clipboard::SecretKind::Master,
        state.config().clipboard_clear_seconds,
    );
    Ok(shell
        .copy_secret(&app, Zeroizing::new(master.expose().to_owned()), clear)
        .await)
}

/// Replaces the master token with a new random one; every session token stops working.
#[tauri::command]
pub async fn rotate_master(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<MasterStatus, CommandError> {
    let state = shell.state().await?;
    state.rotate_by(MintSource::Window).await?;
    publish_status(&app);
    Ok(state.master_status())
}

/// Stores a pasted master token (e.g. PocketPaw's).
#[tauri::command]
pub async fn import_master(
    app: AppHandle,
    shell: State<'_, Shell>,
    token: String,
) -> Result<MasterStatus, CommandError> {
    let token =
        MasterToken::parse(token).map_err(|e| CommandError::Other(format!("not imported: {e}")))?;
    let state = shell.state().await?;
    state.import_by(token, MintSource::Window).await?;
    publish_status(&app);
    Ok(state.master_status())
}

/// Imports PocketPaw's own token file (`~/.pocketpaw/access_token`).
#[tauri::command]
pub async fn import_master_from_pocketpaw(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<MasterStatus, CommandError> {
    let path = pawkey_core::pocketpaw::pocketpaw_token_path().ok_or_else(|| {
        CommandError::Other(
            "cannot find the home directory, so not PocketPaw's token file either".into(),
        )
    })?;
    let read_path = path.clone();
    let text = tauri::async_runtime::spawn_blocking(move || {
        pawkey_core::pocketpaw::read_pocketpaw_token(&read_path)
    })
        .await
        .map_err(|e| CommandError::Other(format!("reading the file did not finish: {e}")))?
        .map_err(|e| {
            CommandError::Other(format!(
                "cannot read PocketPaw's token file {}: {e} — is PocketPaw installed for this user? Otherwise paste the token",
                path.display()
            ))
        })?;
    let token = MasterToken::parse(text)
        .map_err(|e| CommandError::Other(format!("not imported from {}: {e}", path.display())))?;
    let state = shell.state().await?;
    state.import_by(token, MintSource::Window).await?;
    // Imported from PocketPaw: keep it in step from now on (rotations write its file too).
    if !state.config().sync_pocketpaw {
        let config = pawkey_core::config::Config {
            sync_pocketpaw: true,
            ..(*state.config()).clone()
        };
        let saved = state.clone();
        match tauri::async_runtime::spawn_blocking(move || saved.save_config(config)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("could not save sync_pocketpaw = true: {e}"),
            Err(e) => tracing::warn!("saving sync_pocketpaw did not finish: {e}"),
        }
    }
    publish_status(&app);
    Ok(state.master_status())
}

/// Reads the keychain again (after it was unlocked or started).
#[tauri::command]
pub async fn retry_keychain(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<MasterStatus, CommandError> {
    let state = shell.state().await?;
    let status = tauri::async_runtime::spawn_blocking(move || state.reload_master())
        .await
        .map_err(|e| CommandError::Other(format!("the keychain call did not finish: {e}")))?;
    publish_status(&app);
    Ok(status)
}

/// Validates and saves the settings (atomically, through core), moves the server when the
/// port changed, and applies the launch-at-login choice.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    shell: State<'_, Shell>,
    settings: SettingsForm,
) -> Result<StatusView, CommandError> {
    let state = shell.state().await?;
    let config = settings.to_config(&state.config())?;
    // Like the port: the new shortcut is taken before anything is saved, so one another
    // program holds changes nothing and is reported on the field.
    let old_shortcut = state.config().copy_shortcut.clone();
    let regrab = !shell.shortcut.is_active(&config.copy_shortcut);
    if regrab && let Err(message) = shell.shortcut.apply(&app, &config.copy_shortcut).await {
        let _ = shell.shortcut.apply(&app, &old_shortcut).await;
        publish_status(&app);
        return Err(CommandError::field("copy_shortcut", message));
    }
    let moved = shell.server.apply_config(&state, config).await;
    if moved.is_err() && regrab {
        let _ = shell.shortcut.apply(&app, &old_shortcut).await;
    }
    publish_status(&app);
    moved?;
    // The entry is rewritten each time login is on, so it follows start_hidden_at_login.
    let hidden = state.config().start_hidden_at_login;
    let login = crate::autostart::LoginItem::for_this_app()
        .and_then(|item| item.set(settings.launch_at_login, hidden));
    if let Err(e) = login {
        publish_status(&app);
        return Err(CommandError::field(
            "launch_at_login",
            format!("could not change it: {e}"),
        ));
    }
    publish_status(&app);
    Ok(shell.status_view(&app))
}

/// A free port to offer when the configured one is taken: the next free one above it.
#[tauri::command]
pub async fn suggest_port(shell: State<'_, Shell>) -> Result<u16, CommandError> {
    let state = shell.state().await?;
    let config = state.config();
    let start = config.port.saturating_add(1).max(1024);
    let free = (start..=start.saturating_add(200))
        .find(|&p| std::net::TcpListener::bind((config.bind, p)).is_ok());
    match free {
        Some(p) => Ok(p),
        None => std::net::TcpListener::bind((config.bind, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| CommandError::Other(format!("no free port found: {e}"))),
    }
}

/// Mints a 1-hour token in PocketPaw's form and opens `<dashboard_url>/?token=...` in the
/// default browser, through a private redirect file (the token is on no command line).
#[tauri::command]
pub async fn open_dashboard(
    shell: State<'_, Shell>,
) -> Result<crate::dashboard::Opened, CommandError> {
    let state = shell.state().await?;
    tauri::async_runtime::spawn_blocking(move || {
        crate::dashboard::open_dashboard(
            &state,
            MintSource::Window,
            &crate::dashboard::open_in_browser,
        )
    })
    .await
    .map_err(|e| CommandError::Other(format!("opening the dashboard did not finish: {e}")))?
    .map_err(|e| match e {
        crate::dashboard::OpenError::Mint(e) => CommandError::Mint(e),
        crate::dashboard::OpenError::Browser(m) => CommandError::Other(m),
    })
}

/// The phone-pairing QR code: a 10-minute dashboard link.
#[tauri::command]
pub async fn pair_phone(
    shell: State<'_, Shell>,
) -> Result<crate::dashboard::PairView, CommandError> {
    let state = shell.state().await?;
    tauri::async_runtime::spawn_blocking(move || crate::dashboard::pair_phone(&state))
        .await
        .map_err(|e| CommandError::Other(format!("the QR code did not finish: {e}")))?
        .map_err(|e| CommandError::Other(format!("no QR code: {e}")))
}

/// Whether PocketPaw's own token file holds the same master token as PawKey.
#[tauri::command]
pub async fn pocketpaw_master(
    shell: State<'_, Shell>,
) -> Result<pawkey_core::pairing::PocketPawMaster, CommandError> {
    let state = shell.state().await?;
    tauri::async_runtime::spawn_blocking(move || crate::dashboard::pocketpaw_master(&state))
        .await
        .map_err(|e| CommandError::Other(format!("the check did not finish: {e}")))
}

/// The access requests waiting for a decision, oldest first.
#[tauri::command]
pub async fn pending_requests(
    shell: State<'_, Shell>,
) -> Result<crate::approvals::RequestsView, CommandError> {
    Ok(crate::approvals::pending(&shell.state().await?))
}

/// Approves waiting request `number` with the code the person typed from the browser that
/// asked (it must be that request's code); the token goes to the requester's next poll.
#[tauri::command]
pub async fn approve_request(
    shell: State<'_, Shell>,
    number: u64,
    code: String,
    ttl_hours: Option<i64>,
) -> Result<crate::approvals::DecisionView, CommandError> {
    crate::approvals::approve(&shell.state().await?, number, &code, ttl_hours)
}

/// Denies waiting request `number`; the requester's next poll gets 403.
#[tauri::command]
pub async fn deny_request(
    shell: State<'_, Shell>,
    number: u64,
) -> Result<crate::approvals::DecisionView, CommandError> {
    crate::approvals::deny(&shell.state().await?, number)
}

/// Denies every waiting request (a flood from another program, say); returns how many.
#[tauri::command]
pub async fn deny_all_requests(shell: State<'_, Shell>) -> Result<usize, CommandError> {
    Ok(crate::approvals::deny_all(&shell.state().await?))
}

/// Opens the folder holding PawKey's log files ([`pawkey_core::cli::log_dir`]) in the
/// file manager (the platform's opener through the `opener` crate, never `$BROWSER`);
/// returns the folder's path.
#[tauri::command]
pub async fn open_logs() -> Result<String, CommandError> {
    let dir = pawkey_core::cli::log_dir().ok_or_else(|| {
        CommandError::Other("this system names no home directory, so there are no log files".into())
    })?;
    let shown = dir.display().to_string();
    // Normally there since start-up; an opener given a missing folder fails silently.
    pawkey_core::cli::create_log_dir(&dir)
        .map_err(|e| CommandError::Other(format!("cannot create the log folder {shown}: {e}")))?;
    opener::open(&dir).map_err(|e| {
        CommandError::Other(format!(
            "could not open the log folder {shown}: {e} — open it in your file manager"
        ))
    })?;
    Ok(shown)
}

/// Opens the server's API docs page, `http://localhost:PORT/docs`, in the browser
/// (`$BROWSER` when set, as for the dashboard); returns the address.
#[tauri::command]
pub async fn open_docs(shell: State<'_, Shell>) -> Result<String, CommandError> {
    let state = shell.state().await?;
    let url = format!("http://localhost:{}/docs", state.listening_port());
    let browser = std::env::var("BROWSER").ok();
    let opened = match pawkey_core::browser::browser_command(&url, browser.as_deref()) {
        // Not waited for here (a browser may keep running): a thread reaps it.
        Some(mut cmd) => cmd.spawn().map(|mut child| {
            std::thread::spawn(move || child.wait());
        }),
        None => opener::open_browser(&url).map_err(std::io::Error::other),
    };
    opened.map_err(|e| {
        CommandError::Other(format!(
            "could not open {url}: {e} — open it in your browser"
        ))
    })?;
    Ok(url)
}

/// Quits PawKey (Ctrl+Q, Cmd+Q on macOS): as Quit in the tray, it clears our token from
/// the clipboard (only if still ours), stops the server gracefully and exits with status 0.
#[tauri::command]
pub async fn quit(app: AppHandle) {
    crate::lifecycle::quit(app);
}

/// The command names are written in four places Tauri needs them: the `#[tauri::command]`
/// functions here, `generate_handler!` in `lib.rs`, `COMMANDS` in `build.rs` (which makes
/// the `allow-<name>` permissions) and the capability in `tauri.conf.json`. Tauri's macros
/// take paths, not a list, so they cannot share one const; this test keeps them in step.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn read(relative: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The text between `start` and the next `end` after it.
    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
        let len = text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("no {end:?}"));
        &text[from..from + len]
    }

    fn defined_here() -> BTreeSet<String> {
        let source = read("src/commands.rs");
        // Only the commands, not this test (which names the attribute too).
        let (commands, _tests) = source
            .split_once("#[cfg(test)]")
            .expect("commands.rs has its tests at the end");
        commands
            .split("#[tauri::command]\n")
            .skip(1)
            .map(|after| {
                let name = between(after, "fn ", "(");
                name.trim().to_string()
            })
            .collect()
    }

    fn registered_in_lib() -> BTreeSet<String> {
        let source = read("src/lib.rs");
        between(&source, "generate_handler![", "]")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|path| path.rsplit("::").next().unwrap_or(path).to_string())
            .collect()
    }

    fn listed_in_build_rs() -> BTreeSet<String> {
        let source = read("build.rs");
        between(&source, "const COMMANDS: &[&str] = &[", "];")
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn allowed_in_capability() -> BTreeSet<String> {
        let config: serde_json::Value =
            serde_json::from_str(&read("../tauri.conf.json")).expect("tauri.conf.json is JSON");
        let capabilities = config["app"]["security"]["capabilities"]
            .as_array()
            .expect("capabilities inline in the config");
        capabilities
            .iter()
            .flat_map(|c| c["permissions"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p.as_str().map(str::to_string))
            .filter(|p| !p.contains(':'))
            .map(|p| {
                p.strip_prefix("allow-")
                    .unwrap_or_else(|| panic!("unexpected permission {p}"))
                    .replace('-', "_")
            })
            .collect()
    }

    #[test]
    fn every_place_that_names_the_commands_names_the_same_ones() {
        let defined = defined_here();
        assert!(defined.len() > 10, "parsed too few commands: {defined:?}");
        assert_eq!(registered_in_lib(), defined, "generate_handler! in lib.rs");
        assert_eq!(listed_in_build_rs(), defined, "COMMANDS in build.rs");
        assert_eq!(
            allowed_in_capability(),
            defined,
            "the capability in tauri.conf.json"
        );
    }
}
