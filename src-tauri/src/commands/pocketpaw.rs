//! PocketPaw: import its token file, compare with it, open its dashboard, pair a phone.

use pawkey_core::audit::MintSource;
use pawkey_core::pairing::PocketPawMaster;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::MasterStatus;
use tauri::{AppHandle, Manager};

use super::blocking;
use crate::dashboard::{OpenError, Opened, PairView};
use crate::error::CommandError;
use crate::host::Host;

/// Imports PocketPaw's own token file (`~/.pocketpaw/access_token`) and keeps PawKey in
/// step with it from now on.
pub async fn import(app: &AppHandle) -> Result<MasterStatus, CommandError> {
    let path = pawkey_core::pocketpaw::pocketpaw_token_path().ok_or_else(|| {
        CommandError::PocketPaw(
            "cannot find the home directory, so not PocketPaw's token file either".into(),
        )
    })?;
    let read_path = path.clone();
    let text = blocking("reading the file", move || {
        pawkey_core::pocketpaw::read_pocketpaw_token(&read_path)
    })
    .await?
    .map_err(|e| {
        CommandError::PocketPaw(format!(
            "cannot read PocketPaw's token file {}: {e} — is PocketPaw installed for this user? Otherwise paste the token",
            path.display()
        ))
    })?;
    let token = MasterToken::parse(text).map_err(|e| {
        CommandError::PocketPaw(format!("not imported from {}: {e}", path.display()))
    })?;
    let host = app.state::<Host>();
    let state = host.state().await?;
    state.import_by(token, MintSource::Window).await?;
    // Imported from PocketPaw: keep it in step from now on (rotations write its file too).
    if !state.config().sync_pocketpaw {
        let config = pawkey_core::config::Config {
            sync_pocketpaw: true,
            ..(*state.config()).clone()
        };
        let saved = state.clone();
        match blocking("saving sync_pocketpaw", move || saved.save_config(config)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("could not save sync_pocketpaw = true: {e}"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    host.publish_status();
    Ok(state.master_status())
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
