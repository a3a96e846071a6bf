//! Where a person approves access requests (core's [`pawkey_core::approval`]): what the
//! window's cards, the tray's "Pending requests (N)" line and the arrival notification
//! say, and the approve/deny calls into core. Plain functions over core, unit-tested below
//! without a window; `app.rs` forwards core's events to them.

use std::time::Instant;

use pawkey_core::approval::{ApprovalError, Pending};
use pawkey_core::audit::MintSource;
use pawkey_core::state::{AppState, ApproveError};
use serde::Serialize;

use crate::error::CommandError;
use crate::tray::Notice;

/// The waiting requests, as the window shows them.
#[derive(Debug, Clone, Serialize)]
pub struct RequestsView {
    /// Oldest first.
    pub requests: Vec<Pending>,
}

/// A decision taken in the window. It never carries the token: that goes to the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionView {
    /// The request's code.
    pub user_code: String,
    /// The requester's label, if any.
    pub client: Option<String>,
    /// Lifetime of the token the requester collects (approvals only).
    pub ttl_hours: Option<u32>,
}

/// The waiting requests right now.
pub fn pending(state: &AppState) -> RequestsView {
    RequestsView {
        requests: state.approvals().pending(Instant::now()),
    }
}

/// Approves `code` with the requested lifetime or a shorter `ttl_hours`.
pub fn approve(
    state: &AppState,
    code: &str,
    ttl_hours: Option<i64>,
) -> Result<DecisionView, CommandError> {
    let (pending, minted) =
        state
            .approve(code, ttl_hours, MintSource::Window)
            .map_err(|e| match e {
                ApproveError::Approval(e) => decision_error(e),
                ApproveError::Mint(e) => CommandError::Other(format!("not approved: {e}")),
            })?;
    tracing::info!(user_code = %pending.user_code, "access request approved in the window");
    Ok(DecisionView {
        user_code: pending.user_code,
        client: pending.client,
        ttl_hours: Some(minted.ttl_hours),
    })
}

/// Denies `code`.
pub fn deny(state: &AppState, code: &str) -> Result<DecisionView, CommandError> {
    let pending = state
        .deny(code, MintSource::Window)
        .map_err(decision_error)?;
    tracing::info!(user_code = %pending.user_code, "access request denied in the window");
    Ok(DecisionView {
        user_code: pending.user_code,
        client: pending.client,
        ttl_hours: None,
    })
}

/// Core's reason, with what the person can do about it.
fn decision_error(e: ApprovalError) -> CommandError {
    match e {
        ApprovalError::UnknownCode(code) => CommandError::Other(format!(
            "The request {code} is no longer waiting: it expired or was already decided. \
             Ask the page to request access again."
        )),
        other => CommandError::Other(other.to_string()),
    }
}

/// Who asks, in a few words: the label, else the origin, else the address.
pub fn requester(p: &Pending) -> String {
    match (&p.client, &p.origin) {
        (Some(client), _) => client.clone(),
        (None, Some(origin)) => origin.clone(),
        (None, None) => p.peer.clone(),
    }
}

/// The notification shown when a request arrives while the window is hidden.
pub fn arrival_notice(p: &Pending) -> Notice {
    Notice {
        title: format!("Access request {}", p.user_code),
        body: format!(
            "{} asks for a {} h session token. Choose “Pending requests” in the tray to allow or deny it; it expires in {} s.",
            requester(p),
            p.ttl_hours,
            p.expires_in
        ),
    }
}

/// The tray line: its text, and whether it can be chosen (only with something waiting).
pub fn tray_line(waiting: usize) -> (String, bool) {
    if waiting == 0 {
        ("No pending requests".into(), false)
    } else {
        (format!("Pending requests ({waiting})"), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    fn open(state: &AppState, client: Option<&str>, ttl: u32) -> pawkey_core::approval::Opened {
        state
            .approvals()
            .open(
                client.map(str::to_owned),
                Some("http://127.0.0.1:8000".into()),
                "127.0.0.1".parse().unwrap(),
                ttl,
                Instant::now(),
            )
            .unwrap()
    }

    #[test]
    fn approve_hands_the_token_to_the_poller_not_to_the_window() {
        let state = state();
        let opened = open(&state, Some("Browser"), 8);
        assert_eq!(pending(&state).requests.len(), 1);

        let decision = approve(&state, &opened.user_code, Some(2)).unwrap();
        assert_eq!(
            decision,
            DecisionView {
                user_code: opened.user_code.clone(),
                client: Some("Browser".into()),
                ttl_hours: Some(2),
            }
        );
        assert!(pending(&state).requests.is_empty());
        match state.approvals().poll(&opened.request_id, Instant::now()) {
            pawkey_core::approval::Poll::Approved {
                token, ttl_hours, ..
            } => {
                assert_eq!(ttl_hours, 2);
                state.verify(&token).expect("the poller's token verifies");
            }
            other => panic!("expected approved, got {other:?}"),
        }
    }

    #[test]
    fn deny_then_the_poller_is_refused_and_a_second_decision_explains() {
        let state = state();
        let opened = open(&state, None, 24);
        let decision = deny(&state, &opened.user_code).unwrap();
        assert_eq!(decision.ttl_hours, None);
        assert_eq!(
            state.approvals().poll(&opened.request_id, Instant::now()),
            pawkey_core::approval::Poll::Denied
        );
        let again = approve(&state, &opened.user_code, None).unwrap_err();
        let message = again.to_string();
        assert!(message.contains("no longer waiting"), "{message}");
        assert!(message.contains("request access again"), "{message}");
    }

    #[test]
    fn a_longer_lifetime_than_requested_is_refused() {
        let state = state();
        let opened = open(&state, None, 1);
        let e = approve(&state, &opened.user_code, Some(24)).unwrap_err();
        assert!(e.to_string().contains("never lengthen"), "{e}");
        assert_eq!(pending(&state).requests.len(), 1, "still waiting");
    }

    #[test]
    fn the_tray_line_counts_and_is_disabled_when_empty() {
        assert_eq!(tray_line(0), ("No pending requests".into(), false));
        assert_eq!(tray_line(1), ("Pending requests (1)".into(), true));
        assert_eq!(tray_line(3), ("Pending requests (3)".into(), true));
    }

    #[test]
    fn the_notice_names_the_code_and_who_asks() {
        let state = state();
        let opened = open(&state, Some("Browser on http://127.0.0.1:8000"), 8);
        let p = &pending(&state).requests[0];
        let notice = arrival_notice(p);
        assert_eq!(notice.title, format!("Access request {}", opened.user_code));
        assert!(
            notice
                .body
                .starts_with("Browser on http://127.0.0.1:8000 asks for a 8 h session token."),
            "{}",
            notice.body
        );
        assert!(notice.body.contains("Pending requests"), "{}", notice.body);

        let anonymous = Pending {
            client: None,
            origin: None,
            ..p.clone()
        };
        assert_eq!(requester(&anonymous), "127.0.0.1");
    }
}
