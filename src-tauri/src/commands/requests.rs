//! The access requests a person approves (with the code the asking browser shows) or
//! denies; the decisions themselves are [`crate::approvals`]'.

use tauri::{AppHandle, Manager};

use crate::approvals::{DecisionView, RequestsView};
use crate::error::CommandError;
use crate::host::Host;

/// The access requests waiting for a decision, oldest first.
pub async fn pending(app: &AppHandle) -> Result<RequestsView, CommandError> {
    Ok(crate::approvals::pending(
        &app.state::<Host>().state().await?,
    ))
}

/// Approves waiting request `number` with the code the person typed from the browser that
/// asked (it must be that request's code); the token goes to the requester's next poll.
pub async fn approve(
    app: &AppHandle,
    number: u64,
    code: &str,
    ttl_hours: Option<i64>,
) -> Result<DecisionView, CommandError> {
    let state = app.state::<Host>().state().await?;
    crate::approvals::approve(&state, number, code, ttl_hours)
}

/// Denies waiting request `number`; the requester's next poll gets 403.
pub async fn deny(app: &AppHandle, number: u64) -> Result<DecisionView, CommandError> {
    crate::approvals::deny(&app.state::<Host>().state().await?, number)
}

/// Denies every waiting request (a flood from another program, say); returns how many.
pub async fn deny_all(app: &AppHandle) -> Result<usize, CommandError> {
    Ok(crate::approvals::deny_all(
        &app.state::<Host>().state().await?,
    ))
}
