//! What the person left on the window, kept by the host while the page is away: the
//! lifetime they chose, the token they minted (while it still verifies) and a pending
//! "show the requests". A rebuilt page asks for it (`window_memory`).

use pawkey_core::state::AppState;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// How the lifetime picker was left: the select's value (`"24"`, `"custom"`) and the
/// custom field's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlChoice {
    /// The select's value.
    pub preset: String,
    /// The custom hours field, as typed.
    pub custom: String,
}

/// The token the window last minted (only its page ever showed it).
struct ShownToken {
    token: Zeroizing<String>,
    expires_at: u64,
}

/// What the person left on screen, kept while the page is away.
#[derive(Default)]
pub struct ViewMemory {
    ttl: Option<TtlChoice>,
    token: Option<ShownToken>,
    /// The tray asked for the request cards while the page was being built.
    pub show_requests: bool,
}

impl ViewMemory {
    pub fn remember_ttl(&mut self, choice: TtlChoice) {
        self.ttl = Some(choice);
    }

    pub fn remember_token(&mut self, token: &str, expires_at: u64) {
        self.token = Some(ShownToken {
            token: Zeroizing::new(token.to_owned()),
            expires_at,
        });
    }

    /// The view to rebuild the page with. The token is given back only while it still
    /// verifies (not expired, master not rotated since); otherwise it is forgotten.
    pub fn view(&mut self, state: Option<&AppState>) -> WindowMemoryView {
        let valid = match (&self.token, state) {
            (Some(shown), Some(state)) => state.verify(&shown.token).is_ok(),
            _ => false,
        };
        if !valid {
            self.token = None;
        }
        WindowMemoryView {
            show_requests: std::mem::take(&mut self.show_requests),
            ttl: self.ttl.clone(),
            current: self.token.as_ref().map(|t| ShownTokenView {
                token: t.token.to_string(),
                expires_at: t.expires_at,
            }),
        }
    }
}

/// The token on screen when the page was dropped.
#[derive(Debug, Clone, Serialize)]
pub struct ShownTokenView {
    /// The token.
    pub token: String,
    /// Its expiry, Unix seconds.
    pub expires_at: u64,
}

/// What a rebuilt page restores.
#[derive(Debug, Clone, Serialize)]
pub struct WindowMemoryView {
    /// The lifetime picker as it was left (absent: never changed).
    pub ttl: Option<TtlChoice>,
    /// The token shown, while it is still valid.
    pub current: Option<ShownTokenView>,
    /// Scroll to the access-request cards (asked for from the tray; said once).
    pub show_requests: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::audit::MintSource;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    #[test]
    fn a_valid_token_and_the_lifetime_choice_come_back() {
        let state = state();
        let minted = state.mint(Some(2), None, MintSource::Window, None).unwrap();
        let mut memory = ViewMemory::default();
        memory.remember_token(&minted.token, minted.expires_at);
        let choice = TtlChoice {
            preset: "custom".into(),
            custom: "5".into(),
        };
        memory.remember_ttl(choice.clone());
        let view = memory.view(Some(&state));
        assert_eq!(view.ttl, Some(choice));
        let current = view.current.expect("the token is still valid");
        assert_eq!(current.token, minted.token);
        assert_eq!(current.expires_at, minted.expires_at);
    }

    #[test]
    fn a_token_the_master_no_longer_signs_is_forgotten() {
        let state = state();
        let minted = state.mint(Some(1), None, MintSource::Window, None).unwrap();
        let mut memory = ViewMemory::default();
        memory.remember_token(&minted.token, minted.expires_at);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(state.rotate())
            .unwrap();
        assert!(memory.view(Some(&state)).current.is_none());
        assert!(memory.token.is_none(), "dropped, not kept for later");
        assert!(memory.view(None).current.is_none());
    }
}
