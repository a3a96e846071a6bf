//! What the window can ask for, one file per area. [`dispatch`] is the one entry: it takes
//! a [`Call`] from the channel ([`crate::link`]) and runs the handler for it on the host.
//!
//! - [`session`]: mint and copy, the recent list, what a rebuilt page restores.
//! - [`master`]: copy, rotate, import, read the keychain again (never show: the window
//!   process holds no master).
//! - [`pocketpaw`]: import PocketPaw's token, compare with it, its dashboard and QR code.
//! - [`requests`]: the access requests a person approves or denies.
//! - [`settings`]: save the settings form, suggest a free port.
//! - [`app`]: the status line, logs, API docs, quit.
//!
//! A handler takes the [`AppHandle`] (the host is its managed state) and its arguments,
//! and returns its own view type; [`dispatch`] turns that into the channel's JSON.

mod app;
mod master;
mod pocketpaw;
mod requests;
mod session;
mod settings;

use serde::Serialize;
use tauri::AppHandle;

use crate::error::CommandError;
use crate::link::{Answer, Call};

/// Runs `call` and answers with its result as JSON.
pub async fn dispatch(app: &AppHandle, call: Call) -> Answer {
    match call {
        Call::Status => json(app::status(app)),
        Call::OpenLogs => json(app::open_logs()),
        Call::OpenDocs => json(app::open_docs(app).await),
        Call::Quit => {
            app::quit(app);
            json(Ok(()))
        }
        Call::NewSession { ttl_hours } => json(session::new_session(app, ttl_hours).await),
        Call::CopySession { token } => json(session::copy_session(app, token).await),
        Call::RecentSessions => json(session::recent_sessions(app).await),
        Call::WindowMemory => json(session::window_memory(app)),
        Call::RememberTtl { choice } => {
            session::remember_ttl(app, choice);
            json(Ok(()))
        }
        Call::CopyMaster => json(master::copy(app).await),
        Call::RotateMaster => json(master::rotate(app).await),
        Call::ImportMaster { token } => json(master::import(app, token).await),
        Call::RetryKeychain => json(master::retry_keychain(app).await),
        Call::ImportMasterFromPocketpaw => json(pocketpaw::import(app).await),
        Call::PocketpawMaster => json(pocketpaw::compare(app).await),
        Call::OpenDashboard => json(pocketpaw::open_dashboard(app).await),
        Call::PairPhone => json(pocketpaw::pair_phone(app).await),
        Call::PendingRequests => json(requests::pending(app).await),
        Call::ApproveRequest {
            number,
            code,
            ttl_hours,
        } => json(requests::approve(app, number, &code, ttl_hours).await),
        Call::DenyRequest { number } => json(requests::deny(app, number).await),
        Call::DenyAllRequests => json(requests::deny_all(app).await),
        Call::SaveSettings { settings } => json(settings::save(app, settings).await),
        Call::SuggestPort => json(settings::suggest_port(app).await),
    }
}

/// A handler's result as the channel's JSON.
fn json<T: Serialize>(result: Result<T, CommandError>) -> Answer {
    let value = result?;
    serde_json::to_value(value).map_err(|e| CommandError::Unfinished {
        what: "writing the answer",
        reason: e.to_string(),
    })
}

/// Runs blocking work (keychain, files, browser) off the async threads; `what` names it
/// in the error when it ends without an answer.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::Unfinished {
            what,
            reason: e.to_string(),
        })
}
