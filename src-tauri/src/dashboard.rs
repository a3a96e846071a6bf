//! Working with PocketPaw's dashboard: open it in the default browser with a fresh token,
//! and the phone-pairing QR code. The token logic is core's ([`pawkey_core::pairing`]);
//! this module only launches the browser and shapes what the window and the tray show.

use pawkey_core::audit::MintSource;
use pawkey_core::browser;
use pawkey_core::pairing::{self, DASHBOARD_LINK_SECONDS, PocketPawMaster, QR_LINK_SECONDS};
use pawkey_core::state::{AppState, MintError};
use serde::Serialize;

/// Opens `url` (a dashboard link with a token) in the default browser (`$BROWSER` or the
/// platform's opener) through a 0600 redirect file, so the token is on no process's command
/// line: the opener only gets the file's `file://` URL ([`pawkey_core::browser`]).
pub fn open_in_browser(url: &str) -> Result<(), String> {
    let browser = std::env::var("BROWSER").ok();
    browser::open_secret_url(url, &browser::default_redirect_dir(), browser.as_deref()).map(|_| ())
}

/// Why the dashboard was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No token could be minted.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The browser could not be started.
    #[error("{0}")]
    Browser(String),
}

/// What "Open dashboard" did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// The dashboard address, without the token.
    pub dashboard_url: String,
    /// When the token in the link expires (Unix seconds).
    pub expires_at: u64,
}

/// Mints a 1-hour bare (PocketPaw-form) token and opens the dashboard with it through
/// `open` (the browser, or a fake in tests).
pub fn open_dashboard(
    state: &AppState,
    source: MintSource,
    open: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Opened, OpenError> {
    let link = pairing::dashboard_link(state, DASHBOARD_LINK_SECONDS, source, None)?;
    open(&link.url).map_err(OpenError::Browser)?;
    Ok(Opened {
        dashboard_url: state.config().dashboard_url.clone(),
        expires_at: link.expires_at,
    })
}

/// The phone-pairing QR code.
#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    /// The QR code as an SVG document (ASCII).
    pub svg: String,
    /// When the token in it expires (Unix seconds).
    pub expires_at: u64,
    /// The dashboard address the code leads to, without the token.
    pub dashboard_url: String,
}

/// Mints a 10-minute bare token and renders its dashboard link as a QR code.
pub fn pair_phone(state: &AppState) -> Result<PairView, String> {
    let link = pairing::dashboard_link(state, QR_LINK_SECONDS, MintSource::Window, None)
        .map_err(|e| e.to_string())?;
    let svg = pairing::qr_svg(&link.url)?;
    Ok(PairView {
        svg,
        expires_at: link.expires_at,
        dashboard_url: state.config().dashboard_url.clone(),
    })
}

/// Whether PocketPaw will accept our tokens, from its token file (`None`: no home dir).
pub fn pocketpaw_master(state: &AppState) -> PocketPawMaster {
    match pawkey_core::pocketpaw::pocketpaw_token_path() {
        Some(path) => pairing::compare_with_pocketpaw(state, &path),
        None => PocketPawMaster::Unknown("cannot find the home directory".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::{Arc, Mutex};

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    #[test]
    fn open_dashboard_opens_a_bare_one_hour_token_that_verifies() {
        let state = state();
        let seen = Mutex::new(Vec::new());
        let opened = open_dashboard(&state, MintSource::Window, &|url| {
            seen.lock().unwrap().push(url.to_owned());
            Ok(())
        })
        .unwrap();
        let urls = seen.into_inner().unwrap();
        assert_eq!(urls.len(), 1);
        let token = urls[0]
            .strip_prefix("http://127.0.0.1:8888/?token=")
            .expect("the configured dashboard with a token");
        assert!(!token.starts_with("session:"), "{token}");
        assert_eq!(state.verify(token).unwrap(), opened.expires_at);
        let entry = &state.audit().recent()[0];
        assert_eq!(entry.expires_at - entry.minted_at, DASHBOARD_LINK_SECONDS);
        assert_eq!(entry.source, MintSource::Window);
        assert_eq!(opened.dashboard_url, "http://127.0.0.1:8888");
    }

    #[test]
    fn a_browser_that_does_not_start_is_reported() {
        let e = open_dashboard(&state(), MintSource::Window, &|_| Err("no xdg-open".into()))
            .unwrap_err();
        assert!(
            matches!(e, OpenError::Browser(ref m) if m == "no xdg-open"),
            "{e}"
        );
    }

    #[test]
    fn pairing_gives_a_ten_minute_qr_code() {
        let state = state();
        let pair = pair_phone(&state).unwrap();
        assert!(pair.svg.contains("<svg"), "{}", &pair.svg[..80]);
        assert!(pair.svg.is_ascii());
        let entry = &state.audit().recent()[0];
        assert_eq!(entry.expires_at, pair.expires_at);
        assert_eq!(entry.expires_at - entry.minted_at, QR_LINK_SECONDS);
    }
}
