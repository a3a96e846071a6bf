//! The master token: copy, rotate, import a pasted one, read the keychain again. None of
//! these hands the master to the window process: the copy goes from here to the clipboard,
//! and there is no "show" (`pawkey master show` in a terminal is the one way to see it).

use pawkey_core::audit::MintSource;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::MasterStatus;
use tauri::{AppHandle, Manager};
use zeroize::Zeroizing;

use super::blocking;
use crate::clipboard::{SecretKind, clear_after_seconds};
use crate::error::CommandError;
use crate::host::Host;
use crate::views::CopyView;

/// Copies the master token; it always clears, even with `clipboard_clear_seconds = 0`.
pub async fn copy(app: &AppHandle) -> Result<CopyView, CommandError> {
    let state = app.state::<Host>().state().await?;
    let master = state.master()?;
    let clear = clear_after_seconds(SecretKind::Master, state.config().clipboard_clear_seconds);
    Ok(crate::copy::copy_secret(app, Zeroizing::new(master.expose().to_owned()), clear).await)
}

/// Replaces the master token with a new random one; every session token stops working.
pub async fn rotate(app: &AppHandle) -> Result<MasterStatus, CommandError> {
    let host = app.state::<Host>();
    let state = host.state().await?;
    state.rotate_by(MintSource::Window).await?;
    host.publish_status();
    Ok(state.master_status())
}

/// Stores a pasted master token (e.g. PocketPaw's); what was pasted is dropped (zeroed)
/// once parsed.
pub async fn import(app: &AppHandle, token: String) -> Result<MasterStatus, CommandError> {
    let token = MasterToken::parse(token).map_err(CommandError::NotAMasterToken)?;
    let host = app.state::<Host>();
    let state = host.state().await?;
    let status = blocking("the import", move || {
        state.import_master(token, MintSource::Window, None)
    })
    .await??;
    host.publish_status();
    Ok(status)
}

/// Reads the keychain again (after it was unlocked or started).
pub async fn retry_keychain(app: &AppHandle) -> Result<MasterStatus, CommandError> {
    let host = app.state::<Host>();
    let state = host.state().await?;
    let status = blocking("the keychain call", move || state.reload_master()).await?;
    host.publish_status();
    Ok(status)
}
