//! Mint, copy, clear later, tell: the one path every copy takes — the window's "New
//! session" and "Copy" buttons, the tray's copy items and the global shortcut.
//!
//! [`mint_and_copy`] mints under its source and copies the token as a password;
//! [`copy_secret`] copies what is already there (a shown token, the master); both start the
//! clear timer, which clears only if the clipboard still holds what PawKey put there and
//! tells the window. The tray and the shortcut say the outcome in a notification
//! ([`quick_copy`]); the window shows it in place.

use std::time::Duration;

use pawkey_core::audit::MintSource;
use pawkey_core::state::{AppState, MintError, Minted};
use tauri::{AppHandle, Manager};
use zeroize::Zeroizing;

use crate::clipboard::{ClearOutcome, ClipboardGuard, ClipboardText, CopyTicket};
use crate::error::CommandError;
use crate::host::Host;
use crate::link::Push;
use crate::notice::{Notice, local_time, notify};
use crate::views::{ClipboardEvent, CopyView, MintView};

/// Mints a session token (`ttl_hours` `None`: the configured lifetime) under `source` and
/// copies it, marked as a password, through `clipboard`. The mint stands even when the
/// copy fails (the copy's error is returned beside it).
pub fn mint_then_copy<C: ClipboardText>(
    state: &AppState,
    clipboard: &ClipboardGuard<C>,
    source: MintSource,
    ttl_hours: Option<i64>,
) -> Result<(Minted, Result<CopyTicket, String>), MintError> {
    let minted = state.mint(ttl_hours, None, source, None)?;
    let copied = clipboard.copy_secret(&minted.token);
    Ok((minted, copied))
}

/// [`mint_then_copy`] on a blocking thread (the clipboard may wait on the display server),
/// then the clear timer.
pub async fn mint_and_copy(
    app: &AppHandle,
    source: MintSource,
    ttl_hours: Option<i64>,
) -> Result<MintView, CommandError> {
    let host = app.state::<Host>();
    let state = host.state().await?;
    let clear = state.config().clipboard_clear_seconds;
    let guard = host.clipboard.clone();
    let (minted, copied) = tauri::async_runtime::spawn_blocking(move || {
        mint_then_copy(&state, &guard, source, ttl_hours)
    })
    .await
    .map_err(|e| CommandError::Unfinished {
        what: "minting and copying",
        reason: e.to_string(),
    })??;
    let copy = copy_view(app, copied, clear);
    Ok(MintView { minted, copy })
}

/// Copies a secret already minted (marked as a password) and starts its clear timer.
pub async fn copy_secret(
    app: &AppHandle,
    secret: Zeroizing<String>,
    clear_after_seconds: u32,
) -> CopyView {
    let guard = app.state::<Host>().clipboard.clone();
    let copied = tauri::async_runtime::spawn_blocking(move || guard.copy_secret(&secret))
        .await
        .map_err(|e| format!("the clipboard call did not finish: {e}"))
        .and_then(|r| r);
    copy_view(app, copied, clear_after_seconds)
}

/// What the window shows about a copy; starts the clear timer when it worked.
fn copy_view(app: &AppHandle, copied: Result<CopyTicket, String>, clear: u32) -> CopyView {
    match copied {
        Ok(ticket) => {
            schedule_clear(app, ticket, clear);
            CopyView {
                copied: true,
                error: None,
                clear_after_seconds: clear,
            }
        }
        Err(e) => CopyView {
            copied: false,
            error: Some(e),
            clear_after_seconds: clear,
        },
    }
}

/// Clears the copy `ticket` after `seconds` (0 = never) if the clipboard still holds it,
/// and tells the window what happened.
fn schedule_clear(app: &AppHandle, ticket: CopyTicket, seconds: u32) {
    if seconds == 0 {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        let host = app.state::<Host>();
        let guard = host.clipboard.clone();
        let outcome =
            tauri::async_runtime::spawn_blocking(move || guard.clear_if_current(ticket)).await;
        let cleared = match outcome {
            Ok(ClearOutcome::Cleared) => true,
            Ok(ClearOutcome::NotOurs) => false,
            Ok(ClearOutcome::Failed(e)) => {
                tracing::warn!("{e}");
                return;
            }
            // Superseded by a newer copy, or nothing to do.
            _ => return,
        };
        host.push(Push::Clipboard(ClipboardEvent { cleared }));
    });
}

/// The tray's copy items and the shortcut: [`mint_and_copy`], then a notification saying
/// until when the token works, or why there is none.
pub fn quick_copy(app: &AppHandle, source: MintSource, ttl_hours: Option<i64>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let notice = copy_notice(mint_and_copy(&app, source, ttl_hours).await, &local_time);
        notify(&app, &notice);
    });
}

/// What the notification after a quick copy says.
pub fn copy_notice(
    result: Result<MintView, CommandError>,
    local_time: &dyn Fn(u64) -> String,
) -> Notice {
    let view = match result {
        Ok(view) => view,
        Err(e) => {
            return Notice {
                title: "No session token".into(),
                body: e.to_string(),
            };
        }
    };
    if let Some(error) = view.copy.error {
        return Notice {
            title: "Session token not copied".into(),
            body: error,
        };
    }
    let clear = view.copy.clear_after_seconds;
    let clear_note = if clear == 0 {
        String::new()
    } else {
        format!(" Cleared from the clipboard in {clear} s.")
    };
    Notice {
        title: "Session token copied".into(),
        body: format!(
            "Valid until {} ({} h).{clear_note}",
            local_time(view.minted.expires_at),
            view.minted.ttl_hours
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clipboard::tests::FakeClipboard;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    fn fake_time(unix: u64) -> String {
        format!("T{unix}")
    }

    /// The quick copy without a tray: mint, copy through `guard`, the notice it shows.
    fn copy_token(
        state: &AppState,
        guard: &ClipboardGuard<FakeClipboard>,
        source: MintSource,
        ttl_hours: Option<i64>,
    ) -> Notice {
        let clear = state.config().clipboard_clear_seconds;
        let result = mint_then_copy(state, guard, source, ttl_hours)
            .map_err(CommandError::from)
            .map(|(minted, copied)| MintView {
                minted,
                copy: CopyView {
                    copied: copied.is_ok(),
                    error: copied.err(),
                    clear_after_seconds: clear,
                },
            });
        copy_notice(result, &fake_time)
    }

    #[test]
    fn copy_new_token_copies_a_working_token_and_says_when_it_expires() {
        let state = state();
        let fake = FakeClipboard::default();
        let guard = ClipboardGuard::new(fake.clone());
        let notice = copy_token(&state, &guard, MintSource::Tray, None);

        let token = fake.text().expect("a token on the clipboard");
        assert!(fake.marked_secret());
        let expires = state.verify(&token).expect("the copied token verifies");
        assert_eq!(notice.title, "Session token copied");
        assert_eq!(
            notice.body,
            format!("Valid until T{expires} (24 h). Cleared from the clipboard in 30 s.")
        );
        let recent = state.audit().recent();
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].source, MintSource::Tray);
        assert_eq!(recent[0].expires_at, expires);
    }

    #[test]
    fn copy_one_hour_token_lasts_one_hour() {
        let state = state();
        let fake = FakeClipboard::default();
        let guard = ClipboardGuard::new(fake.clone());
        let notice = copy_token(&state, &guard, MintSource::Tray, Some(1));
        let expires = state.verify(&fake.text().unwrap()).unwrap();
        let minted_at = state.audit().recent()[0].minted_at;
        assert_eq!(expires - minted_at, 3600);
        assert!(notice.body.contains("(1 h)"), "{}", notice.body);
    }

    #[test]
    fn copy_without_a_master_explains_and_leaves_the_clipboard() {
        let store = Arc::new(MemoryStore::default());
        store.fail_writes(true);
        let state = AppState::builder(Config::default(), store).open();
        let fake = FakeClipboard::default();
        fake.user_copies("mine");
        let guard = ClipboardGuard::new(fake.clone());
        let notice = copy_token(&state, &guard, MintSource::Tray, None);
        assert_eq!(notice.title, "No session token");
        assert!(notice.body.contains("no master token"), "{}", notice.body);
        assert_eq!(fake.text().as_deref(), Some("mine"));
    }

    #[test]
    fn the_shortcut_copies_the_same_way_under_its_own_source() {
        let state = state();
        let fake = FakeClipboard::default();
        let guard = ClipboardGuard::new(fake.clone());
        let notice = copy_token(&state, &guard, MintSource::Shortcut, None);
        let expires = state.verify(&fake.text().unwrap()).unwrap();
        assert!(fake.marked_secret());
        assert_eq!(notice.title, "Session token copied");
        let recent = state.audit().recent();
        assert_eq!(recent[0].source, MintSource::Shortcut);
        assert_eq!(recent[0].expires_at - recent[0].minted_at, 24 * 3600);
        assert_eq!(recent[0].expires_at, expires);
    }
}
