//! Background followers: tasks that forward core's events (mints, master changes,
//! PocketPaw's token file, access requests) to the window and the tray.

use std::time::Duration;

use pawkey_core::state::AppState;
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::host::Host;
use crate::link::Push;
use crate::notice::notify;

/// Forwards every mint recorded by core to the window as it happens, numbering them.
/// Each event is emitted while the list is locked, so a snapshot taken for the window
/// (with its `seq`) and the events after it never overlap or leave a gap.
pub fn forward_mints(app: AppHandle, state: &AppState) {
    let mut events = state.audit().subscribe();
    let audit = state.audit().clone();
    // Called before the server starts and before the window can mint, so the ring read
    // here and the events to come do not overlap.
    app.state::<Host>()
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .reset(audit.recent());
    tauri::async_runtime::spawn(async move {
        loop {
            let received = events.recv().await;
            let host = app.state::<Host>();
            let mut sessions = host.sessions.lock().unwrap_or_else(|p| p.into_inner());
            match received {
                Ok(entry) => {
                    let row = sessions.push(entry);
                    host.push(Push::Minted(row));
                }
                Err(RecvError::Lagged(_)) => {
                    // Skip what is still queued (the ring has it), then start over from it.
                    while events.try_recv().is_ok() {}
                    sessions.reset(audit.recent());
                    host.push(Push::SessionsReset(sessions.view()));
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Re-reads the master from the keychain every few seconds and, when another tool (or the
/// CLI with no server to talk to) changed it, switches and refreshes the window's status
/// line, which says so.
pub fn follow_master_changes(app: AppHandle, state: &AppState) {
    let mut changes = state.subscribe_master();
    tauri::async_runtime::spawn(state.clone().watch_master(MASTER_CHECK_INTERVAL));
    tauri::async_runtime::spawn(async move {
        while let Ok(_) | Err(RecvError::Lagged(_)) = changes.recv().await {
            app.state::<Host>().publish_status();
        }
    });
}

/// A new request asks for attention when the window is shown (the taskbar entry flashes;
/// focus is never taken, so a key the person is pressing elsewhere cannot land on a
/// button), or notifies when it is hidden in the tray (raising a hidden window unasked
/// would pull it over whatever the person does).
fn on_request_opened(app: &AppHandle, pending: &pawkey_core::approval::Pending) {
    if !app.state::<Host>().ask_attention() {
        notify(app, &crate::approvals::arrival_notice(pending));
    }
}

/// Forwards core's access-request events to the window and the tray. The list is read
/// again after every event and when the oldest request expires (core announces an expiry
/// only when it next looks), so the count never outlives a request by more than a second.
pub fn forward_approvals(app: AppHandle, state: AppState) {
    let mut events = state.approvals().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let view = crate::approvals::pending(&state);
            let next_expiry = view.requests.iter().map(|p| p.expires_in).min();
            app.state::<Host>().publish_requests(view);
            let wait = async {
                match next_expiry {
                    Some(s) => tokio::time::sleep(Duration::from_secs(s + 1)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = events.recv() => match received {
                    Ok(pawkey_core::approval::ApprovalEvent::Opened(p)) => on_request_opened(&app, &p),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                () = wait => {}
            }
        }
    });
}

/// Compares PocketPaw's token file with the master every few seconds and refreshes the
/// window when that changes (PocketPaw regenerated its token, say), so the window offers
/// the import without being asked.
pub fn follow_pocketpaw(app: AppHandle, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        loop {
            tokio::time::sleep(MASTER_CHECK_INTERVAL).await;
            let s = state.clone();
            // The relation, and when the file last changed: a regeneration between two
            // checks that leaves the relation as it was is still news to the window.
            let Ok(now) = tauri::async_runtime::spawn_blocking(move || {
                let modified = pawkey_core::pocketpaw::pocketpaw_token_path()
                    .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                (crate::dashboard::pocketpaw_master(&s), modified)
            })
            .await
            else {
                continue;
            };
            if last.as_ref().is_some_and(|l| *l != now) {
                app.state::<Host>().publish_status();
            }
            last = Some(now);
        }
    });
}

/// How often the running app re-reads the master token from the keychain.
const MASTER_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
