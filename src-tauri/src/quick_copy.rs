//! The quick copy: mint a session token, copy it marked as a password, clear it after
//! `clipboard_clear_seconds` if the clipboard still holds it, and say so in a notification.
//! One code path for the tray's copy items and the global shortcut ([`mint_and_copy`]); the
//! part that needs no app ([`copy_token`]) is unit-tested below.

use pawkey_core::audit::MintSource;
use pawkey_core::state::AppState;
use tauri::{AppHandle, Manager};

use crate::clipboard::{ClipboardGuard, ClipboardText, CopyTicket};
use crate::notice::{Notice, local_time, notify};
use crate::shell::Shell;

/// Mints a token for `source` with `ttl_hours` (`None`: the configured lifetime), copies
/// it, schedules its clear and notifies — in the background; returns at once.
pub fn mint_and_copy(app: &AppHandle, source: MintSource, ttl_hours: Option<i64>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let state = match shell.state().await {
            Ok(s) => s,
            Err(e) => {
                let notice = Notice {
                    title: "No session token".into(),
                    body: e.to_string(),
                };
                notify(&app, &notice);
                return;
            }
        };
        let guard = shell.clipboard.clone();
        let clear = state.config().clipboard_clear_seconds;
        let result = tauri::async_runtime::spawn_blocking(move || {
            copy_token(&state, &guard, source, ttl_hours, &local_time)
        })
        .await;
        match result {
            Ok(Ok((ticket, notice))) => {
                shell.schedule_clear(&app, ticket, clear);
                notify(&app, &notice);
            }
            Ok(Err(notice)) => notify(&app, &notice),
            Err(e) => tracing::warn!("quick copy did not finish: {e}"),
        }
    });
}

/// Mints a token for `source` (`ttl_hours`: `None` for the configured lifetime), copies it
/// marked as a password, and says when it expires; `local_time` formats Unix seconds for
/// the notification. On failure the notice says why and the clipboard is left alone.
pub fn copy_token<C: ClipboardText>(
    state: &AppState,
    clipboard: &ClipboardGuard<C>,
    source: MintSource,
    ttl_hours: Option<i64>,
    local_time: &dyn Fn(u64) -> String,
) -> Result<(CopyTicket, Notice), Notice> {
    let minted = state
        .mint(ttl_hours, None, source, None)
        .map_err(|e| Notice {
            title: "No session token".into(),
            body: e.to_string(),
        })?;
    let ticket = clipboard.copy_secret(&minted.token).map_err(|e| Notice {
        title: "Session token not copied".into(),
        body: e,
    })?;
    let clear = state.config().clipboard_clear_seconds;
    let clear_note = if clear == 0 {
        String::new()
    } else {
        format!(" Cleared from the clipboard in {clear} s.")
    };
    Ok((
        ticket,
        Notice {
            title: "Session token copied".into(),
            body: format!(
                "Valid until {} ({} h).{clear_note}",
                local_time(minted.expires_at),
                minted.ttl_hours
            ),
        },
    ))
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

    #[test]
    fn copy_new_token_copies_a_working_token_and_says_when_it_expires() {
        let state = state();
        let fake = FakeClipboard::default();
        let guard = ClipboardGuard::new(fake.clone());
        let (_, notice) = copy_token(&state, &guard, MintSource::Tray, None, &fake_time).unwrap();

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
        let (_, notice) =
            copy_token(&state, &guard, MintSource::Tray, Some(1), &fake_time).unwrap();
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
        let notice = copy_token(&state, &guard, MintSource::Tray, None, &fake_time).unwrap_err();
        assert_eq!(notice.title, "No session token");
        assert!(notice.body.contains("no master token"), "{}", notice.body);
        assert_eq!(fake.text().as_deref(), Some("mine"));
    }

    #[test]
    fn the_shortcut_copies_the_same_way_under_its_own_source() {
        let state = state();
        let fake = FakeClipboard::default();
        let guard = ClipboardGuard::new(fake.clone());
        let (_, notice) =
            copy_token(&state, &guard, MintSource::Shortcut, None, &fake_time).unwrap();
        let expires = state.verify(&fake.text().unwrap()).unwrap();
        assert!(fake.marked_secret());
        assert_eq!(notice.title, "Session token copied");
        let recent = state.audit().recent();
        assert_eq!(recent[0].source, MintSource::Shortcut);
        assert_eq!(recent[0].expires_at - recent[0].minted_at, 24 * 3600);
        assert_eq!(recent[0].expires_at, expires);
    }
}
