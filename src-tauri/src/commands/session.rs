//! Mint and copy, the recent list, and what a rebuilt page restores.

use pawkey_core::audit::MintSource;
use tauri::{AppHandle, Manager};
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::host::Host;
use crate::memory::{TtlChoice, WindowMemoryView};
use crate::views::{CopyView, MintView, SessionsView};

/// Mints a session token (`ttl_hours` absent: the configured lifetime) and copies it; the
/// page shows it, and the host keeps it for a rebuilt page while it verifies.
pub async fn new_session(
    app: &AppHandle,
    ttl_hours: Option<i64>,
) -> Result<MintView, CommandError> {
    let view = crate::copy::mint_and_copy(app, MintSource::Window, ttl_hours).await?;
    app.state::<Host>()
        .memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remember_token(&view.minted.token, view.minted.expires_at);
    Ok(view)
}

/// Copies a session token shown in the window again; only tokens that still verify.
pub async fn copy_session(app: &AppHandle, token: String) -> Result<CopyView, CommandError> {
    let token = Zeroizing::new(token);
    let state = app.state::<Host>().state().await?;
    state.verify(&token).map_err(CommandError::StaleToken)?;
    let clear = state.config().clipboard_clear_seconds;
    Ok(crate::copy::copy_secret(app, token, clear).await)
}

/// The recent mints, newest first, with the number of the newest.
pub async fn recent_sessions(app: &AppHandle) -> Result<SessionsView, CommandError> {
    let host = app.state::<Host>();
    host.state().await?;
    Ok(host.sessions())
}

/// What the window showed before its page was dropped: the lifetime picker and the token
/// (while it still verifies).
pub fn window_memory(app: &AppHandle) -> Result<WindowMemoryView, CommandError> {
    let host = app.state::<Host>();
    let state = host.ready_state();
    Ok(host
        .memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .view(state.as_ref()))
}

/// Keeps the lifetime picker's choice for when the window is built again.
pub fn remember_ttl(app: &AppHandle, choice: TtlChoice) {
    app.state::<Host>()
        .memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remember_ttl(choice);
}
