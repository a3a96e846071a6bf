//! Working with the PocketPaw a user already runs: a dashboard link that logs the browser
//! in with a short session token, a QR code of such a link for a phone, and a check of
//! whether PawKey's master token is PocketPaw's (otherwise PocketPaw rejects our tokens).

use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;

use crate::audit::MintSource;
use crate::state::{AppState, MintError};
use crate::token::TokenFormat;

/// Lifetime of the token in an "Open dashboard" link.
pub const DASHBOARD_LINK_SECONDS: u64 = 3600;
/// Lifetime of the token in a phone-pairing QR code.
pub const QR_LINK_SECONDS: u64 = 10 * 60;

/// How PawKey's master token relates to PocketPaw's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum PocketPawMaster {
    /// Same token: PocketPaw accepts PawKey's session tokens.
    Same,
    /// PocketPaw has a different token: its dashboard will reject PawKey's tokens until the
    /// user imports PocketPaw's token (`pawkey master import --from-pocketpaw`).
    Different,
    /// PocketPaw's token file could not be read (not installed for this user, say).
    Unknown(String),
}

/// Compares the master token in use with PocketPaw's token file (constant time).
pub fn compare_with_pocketpaw(state: &AppState, pocketpaw_token_file: &Path) -> PocketPawMaster {
    let theirs = match std::fs::read_to_string(pocketpaw_token_file) {
        Ok(t) => t,
        Err(e) => {
            return PocketPawMaster::Unknown(format!(
                "cannot read {}: {e}",
                pocketpaw_token_file.display()
            ));
        }
    };
    let theirs = zeroize::Zeroizing::new(theirs);
    match state.is_master(theirs.trim()) {
        Ok(true) => PocketPawMaster::Same,
        Ok(false) => PocketPawMaster::Different,
        Err(e) => PocketPawMaster::Unknown(e.to_string()),
    }
}

/// A link into PocketPaw's dashboard that carries a fresh session token.
#[derive(Clone, Serialize)]
pub struct DashboardLink {
    /// `<dashboard_url>/?token=<token>`.
    pub url: String,
    /// Expiry of the token in the link (Unix seconds).
    pub expires_at: u64,
}

/// Mints a token in PocketPaw's bare form (its verifier rejects the `session:` prefix)
/// living `seconds`, and builds the dashboard link for it.
pub fn dashboard_link(
    state: &AppState,
    seconds: u64,
    source: MintSource,
    client: Option<IpAddr>,
) -> Result<DashboardLink, MintError> {
    dashboard_link_until(
        state,
        crate::clock::now_unix().saturating_add(seconds),
        source,
        client,
    )
}

/// [`dashboard_link`] with a token expiring at `expires_at` (Unix seconds).
pub fn dashboard_link_until(
    state: &AppState,
    expires_at: u64,
    source: MintSource,
    client: Option<IpAddr>,
) -> Result<DashboardLink, MintError> {
    let minted = state.mint_until(expires_at, Some(TokenFormat::Pocketpaw), source, client)?;
    let base = state
        .config()
        .dashboard_url
        .trim_end_matches('/')
        .to_owned();
    Ok(DashboardLink {
        url: format!("{base}/?token={}", minted.token),
        expires_at: minted.expires_at,
    })
}

/// Renders `text` as an SVG QR code.
pub fn qr_svg(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::secret::MasterToken;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    const POCKETPAW: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

    fn state() -> AppState {
        let master = MasterToken::parse(POCKETPAW.into()).unwrap();
        AppState::builder(Config::default(), Arc::new(MemoryStore::with(master))).open()
    }

    #[test]
    fn dashboard_link_uses_the_bare_pocketpaw_form() {
        let s = state();
        let link = dashboard_link(&s, DASHBOARD_LINK_SECONDS, MintSource::Window, None).unwrap();
        let token = link
            .url
            .strip_prefix("http://127.0.0.1:8888/?token=")
            .unwrap();
        assert!(!token.starts_with("session:"), "{token}");
        assert_eq!(s.verify(token).unwrap(), link.expires_at);
        assert_eq!(s.audit().recent()[0].source, MintSource::Window);
    }

    #[test]
    fn compares_with_pocketpaws_file() {
        let s = state();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access_token");
        std::fs::write(&path, format!("{POCKETPAW}\n")).unwrap();
        assert_eq!(compare_with_pocketpaw(&s, &path), PocketPawMaster::Same);
        std::fs::write(&path, "11111111-2222-3333-4444-555555555555").unwrap();
        assert_eq!(
            compare_with_pocketpaw(&s, &path),
            PocketPawMaster::Different
        );
        assert!(matches!(
            compare_with_pocketpaw(&s, &dir.path().join("missing")),
            PocketPawMaster::Unknown(_)
        ));
    }

    #[test]
    fn qr_is_an_svg() {
        let svg = qr_svg("http://127.0.0.1:8888/?token=1:abc").unwrap();
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg"),
            "{}",
            &svg[..80]
        );
    }
}
