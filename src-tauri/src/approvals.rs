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
use crate::notice::Notice;

/// The waiting requests, as the window shows them.
#[derive(Debug, Clone, Serialize)]
pub struct RequestsView {
    /// Oldest first.
    pub requests: Vec<Pending>,
}

/// A decision taken in the window. It never carries the token: that goes to the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionView {
    /// The request's number.
    pub number: u64,
    /// The requester's label, if any (as it claimed).
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

/// Approves request `number` with the code the person typed (it must be that request's),
/// with the requested lifetime or a shorter `ttl_hours`.
pub fn approve(
    state: &AppState,
    number: u64,
    code: &str,
    ttl_hours: Option<i64>,
) -> Result<DecisionView, CommandError> {
    if code.trim().is_empty() {
        return Err(CommandError::field(
            "code",
            "Type the code the browser that asked shows (e.g. BCDF-2345); no browser of yours shows one? Deny the request.",
        ));
    }
    let (pending, minted) = state
        .approve(code, Some(number), ttl_hours, MintSource::Window)
        .map_err(|e| match e {
            ApproveError::Approval(e) => decision_error(e),
            ApproveError::Mint(e) => CommandError::NotApproved(e),
        })?;
    tracing::info!(
        request = pending.number,
        "access request approved in the window"
    );
    Ok(DecisionView {
        number: pending.number,
        client: pending.client,
        ttl_hours: Some(minted.ttl_hours),
    })
}

/// Denies request `number`.
pub fn deny(state: &AppState, number: u64) -> Result<DecisionView, CommandError> {
    let pending = state
        .deny(&number.to_string(), MintSource::Window)
        .map_err(decision_error)?;
    tracing::info!(
        request = pending.number,
        "access request denied in the window"
    );
    Ok(DecisionView {
        number: pending.number,
        client: pending.client,
        ttl_hours: None,
    })
}

/// Denies every waiting request; returns how many.
pub fn deny_all(state: &AppState) -> usize {
    let denied = state.deny_all(MintSource::Window).len();
    tracing::info!(count = denied, "every access request denied in the window");
    denied
}

/// Core's reason, with what the person can do about it.
fn decision_error(e: ApprovalError) -> CommandError {
    match e {
        ApprovalError::UnknownNumber(n) => CommandError::RequestGone(n),
        e @ ApprovalError::CodeMismatch(_) => CommandError::field("code", e.to_string()),
        other => CommandError::Approval(other),
    }
}

/// Who asks, in a few words: the origin, else the address (the label is only claimed).
pub fn requester(p: &Pending) -> String {
    p.origin.clone().unwrap_or_else(|| p.peer.clone())
}

/// The notification shown when a request arrives while the window is hidden: the origin
/// first, the label marked as claimed and escaped, and no code (the person reads the code
/// off the browser that asked).
pub fn arrival_notice(p: &Pending) -> Notice {
    let label = p
        .client
        .as_deref()
        .map(|c| {
            format!(
                " It calls itself “{}” (claimed, not verified).",
                pawkey_core::html::escape(c)
            )
        })
        .unwrap_or_default();
    Notice {
        title: format!("Access request #{} from {}", p.number, requester(p)),
        body: format!(
            "A {} h session token is asked for.{label} To allow it, choose “Pending requests” in the tray and type the code the browser shows; it expires in {} s.",
            p.ttl_hours, p.expires_in
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

        let decision = approve(&state, opened.number, &opened.user_code, Some(2)).unwrap();
        assert_eq!(
            decision,
            DecisionView {
                number: opened.number,
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
    fn allow_without_the_right_code_approves_nothing() {
        let state = state();
        let forged = open(&state, Some("Browser"), 8);
        let mine = open(&state, Some("Browser"), 8);
        let empty = approve(&state, forged.number, " ", None).unwrap_err();
        assert!(empty.to_string().contains("Type the code"), "{empty}");
        let wrong = approve(&state, forged.number, &mine.user_code, None).unwrap_err();
        assert!(wrong.to_string().contains("not the code"), "{wrong}");
        assert_eq!(pending(&state).requests.len(), 2, "both still wait");
        approve(&state, mine.number, &mine.user_code, None).unwrap();
        assert_eq!(
            state.approvals().poll(&forged.request_id, Instant::now()),
            pawkey_core::approval::Poll::Pending
        );
    }

    #[test]
    fn deny_then_the_poller_is_refused_and_a_second_decision_explains() {
        let state = state();
        let opened = open(&state, None, 24);
        let decision = deny(&state, opened.number).unwrap();
        assert_eq!(decision.ttl_hours, None);
        assert_eq!(
            state.approvals().poll(&opened.request_id, Instant::now()),
            pawkey_core::approval::Poll::Denied
        );
        let again = deny(&state, opened.number).unwrap_err();
        let message = again.to_string();
        assert!(message.contains("no longer waiting"), "{message}");
        assert!(message.contains("request access again"), "{message}");
        open(&state, None, 1);
        open(&state, None, 1);
        assert_eq!(deny_all(&state), 2);
        assert!(pending(&state).requests.is_empty());
    }

    #[test]
    fn a_longer_lifetime_than_requested_is_refused() {
        let state = state();
        let opened = open(&state, None, 1);
        let e = approve(&state, opened.number, &opened.user_code, Some(24)).unwrap_err();
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
    fn the_notice_leads_with_the_origin_escapes_the_label_and_hides_the_code() {
        let state = state();
        let opened = open(&state, Some("<b>Bank</b> & <a href=\"x\">you</a>"), 8);
        let p = &pending(&state).requests[0];
        let notice = arrival_notice(p);
        assert_eq!(
            notice.title,
            format!(
                "Access request #{} from http://127.0.0.1:8000",
                opened.number
            )
        );
        assert!(
            notice.body.contains(
                "“&lt;b&gt;Bank&lt;/b&gt; &amp; &lt;a href=&quot;x&quot;&gt;you&lt;/a&gt;” (claimed, not verified)"
            ),
            "{}",
            notice.body
        );
        assert!(!notice.body.contains('<'), "{}", notice.body);
        assert!(!notice.title.contains(&opened.user_code));
        assert!(!notice.body.contains(&opened.user_code));
        assert!(notice.body.contains("Pending requests"), "{}", notice.body);

        let anonymous = Pending {
            client: None,
            origin: None,
            ..p.clone()
        };
        assert_eq!(requester(&anonymous), "127.0.0.1");
        assert!(!arrival_notice(&anonymous).body.contains("calls itself"));
    }
}
