//! PocketPaw: import its token file, compare with it, open its dashboard, pair a phone.

use pawkey_core::audit::MintSource;
use pawkey_core::pairing::PocketPawMaster;
use pawkey_core::state::MasterStatus;
use tauri::{AppHandle, Manager};

use super::blocking;
use crate::dashboard::{OpenError, Opened, PairView};
use crate::error::CommandError;
use crate::host::Host;

/// Imports PocketPaw's own token file (`~/.pocketpaw/access_token`) and keeps PawKey in
/// step with it from now on (core's one import, as the CLI and the HTTP route do).
pub async fn import(app: &AppHandle) -> Result<MasterStatus, CommandError> {
    let host = app.state::<Host>();
    let state = host.state().await?;
    let status = blocking("the import", move || {
        state.import_from_pocketpaw(MintSource::Window)
    })
    .await??;
    host.publish_status();
    Ok(status)
}

/// Whether PocketPaw's own token file holds the same master token as PawKey.
pub async fn compare(app: &AppHandle) -> Result<PocketPawMaster, CommandError> {
    let state = app.state::<Host>().state().await?;
    blocking("the check", move || {
        crate::dashboard::pocketpaw_master(&state)
    })
    .await
}

/// Mints a 1-hour token in PocketPaw's form and opens `<dashboard_url>/?token=...` in the
/// default browser, through a private redirect file (the token is on no command line).
pub async fn open_dashboard(app: &AppHandle) -> Result<Opened, CommandError> {
    let state = app.state::<Host>().state().await?;
    blocking("opening the dashboard", move || {
        crate::dashboard::open_dashboard(
            &state,
            MintSource::Window,
            &crate::dashboard::open_in_browser,
        )
    })
    .await?
    .map_err(|e| match e {
        OpenError::Mint(e) => CommandError::Mint(e),
        OpenError::Browser(m) => CommandError::Dashboard(m),
    })
}

/// The phone-pairing QR code: a short-lived dashboard link.
pub async fn pair_phone(app: &AppHandle) -> Result<PairView, CommandError> {
    let state = app.state::<Host>().state().await?;
    blocking("the QR code", move || crate::dashboard::pair_phone(&state))
        .await?
        .map_err(|e| CommandError::Dashboard(format!("no QR code: {e}")))
}
