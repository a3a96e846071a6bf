//! The one channel between the window and the part of PawKey that holds the master, the
//! server, the tray and the clipboard (the host, [`crate::host`]).
//!
//! Everything crosses it as data: the window asks with a [`Call`] (one `call` command for
//! all of them) and is told with a [`Push`]; the host drives the window through the
//! [`WindowPort`] it was given at start-up. Nothing else connects the two sides.
//!
//! The window is a process of its own ([`crate::window`]), started by the host with its
//! standard input and output as this channel: one JSON line per message, [`Up`] from the
//! window, [`Down`] to it. The pipes are the window's only authority: nothing is handed
//! over on its command line or in its environment, no one else can write to them, and
//! they die with the process.

use serde::{Deserialize, Serialize};

use crate::approvals::RequestsView;
use crate::memory::TtlChoice;
use crate::settings::SettingsForm;
use crate::views::{
    ClipboardEvent, EVENT_CLIPBOARD, EVENT_MINTED, EVENT_REQUESTS, EVENT_SESSIONS,
    EVENT_SHOW_REQUESTS, EVENT_STATUS, SessionRow, SessionsView, StatusView,
};

/// Everything the window can ask for, with its arguments as the page sends them
/// (`{"command": "new_session", "args": {"ttlHours": 8}}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    tag = "command",
    content = "args",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Call {
    /// The status line, the settings and where things live.
    Status,
    /// Mint a session token (`None`: the configured lifetime) and copy it.
    NewSession {
        /// Lifetime in hours.
        #[serde(default)]
        ttl_hours: Option<i64>,
    },
    /// Copy a token shown in the window again (only while it verifies).
    CopySession {
        /// The token.
        token: String,
    },
    /// The recent mints.
    RecentSessions,
    /// What the window showed before its page was dropped.
    WindowMemory,
    /// Keep the lifetime picker's choice.
    RememberTtl {
        /// The picker as left.
        choice: TtlChoice,
    },
    /// Copy the master token (always cleared).
    CopyMaster,
    /// Replace the master with a new random one.
    RotateMaster,
    /// Store a pasted master token.
    ImportMaster {
        /// What was pasted.
        token: String,
    },
    /// Import PocketPaw's own token file and keep it in step.
    ImportMasterFromPocketpaw,
    /// Read the keychain again.
    RetryKeychain,
    /// Validate and save the settings form.
    SaveSettings {
        /// The form, as typed.
        settings: SettingsForm,
    },
    /// A free port to offer instead of a taken one.
    SuggestPort,
    /// Open PocketPaw's dashboard with a fresh token.
    OpenDashboard,
    /// The phone-pairing QR code.
    PairPhone,
    /// Whether PocketPaw's token file holds the same master.
    PocketpawMaster,
    /// The access requests waiting for a decision.
    PendingRequests,
    /// Approve request `number` with the code the browser shows.
    ApproveRequest {
        /// The request's number.
        number: u64,
        /// The code, as typed.
        code: String,
        /// Lifetime in hours (`None`: what was asked).
        #[serde(default)]
        ttl_hours: Option<i64>,
    },
    /// Deny request `number`.
    DenyRequest {
        /// The request's number.
        number: u64,
    },
    /// Deny every waiting request.
    DenyAllRequests,
    /// Open the log folder.
    OpenLogs,
    /// Open the API docs page.
    OpenDocs,
    /// Quit PawKey.
    Quit,
}

impl Call {
    /// Every command name the page may send, for the checks that keep the page in step.
    pub const NAMES: &'static [&'static str] = &[
        "status",
        "new_session",
        "copy_session",
        "recent_sessions",
        "window_memory",
        "remember_ttl",
        "copy_master",
        "rotate_master",
        "import_master",
        "import_master_from_pocketpaw",
        "retry_keychain",
        "save_settings",
        "suggest_port",
        "open_dashboard",
        "pair_phone",
        "pocketpaw_master",
        "pending_requests",
        "approve_request",
        "deny_request",
        "deny_all_requests",
        "open_logs",
        "open_docs",
        "quit",
    ];
}

/// Everything the host tells the window without being asked; each is one page event.
#[derive(Debug, Clone)]
pub enum Push {
    /// The status line changed (`status-changed`).
    Status(Box<StatusView>),
    /// A token was minted anywhere (`session-minted`).
    Minted(SessionRow),
    /// The recent list starts over (`sessions-reset`).
    SessionsReset(SessionsView),
    /// The clipboard clear ran (`clipboard-cleared`).
    Clipboard(ClipboardEvent),
    /// The waiting requests changed (`requests-changed`).
    Requests(RequestsView),
    /// Scroll to the request cards (`show-requests`).
    ShowRequests,
}

impl Push {
    /// The page event this is sent as.
    pub fn event(&self) -> &'static str {
        match self {
            Push::Status(_) => EVENT_STATUS,
            Push::Minted(_) => EVENT_MINTED,
            Push::SessionsReset(_) => EVENT_SESSIONS,
            Push::Clipboard(_) => EVENT_CLIPBOARD,
            Push::Requests(_) => EVENT_REQUESTS,
            Push::ShowRequests => EVENT_SHOW_REQUESTS,
        }
    }

    /// The event's payload.
    pub fn payload(&self) -> serde_json::Value {
        let value = match self {
            Push::Status(v) => serde_json::to_value(v),
            Push::Minted(v) => serde_json::to_value(v),
            Push::SessionsReset(v) => serde_json::to_value(v),
            Push::Clipboard(v) => serde_json::to_value(v),
            Push::Requests(v) => serde_json::to_value(v),
            Push::ShowRequests => Ok(serde_json::Value::Null),
        };
        // These views are plain structs of strings and numbers.
        value.unwrap_or_else(|e| {
            tracing::warn!("a window event could not be written: {e}");
            serde_json::Value::Null
        })
    }
}

/// The window as the host drives it: show it, tell it things, hide it, let it go.
/// Sending to a window that is not there drops the message (the page asks for the current
/// state when it loads).
pub trait WindowPort: Send + Sync {
    /// Shows and focuses the window, building it when there is none. True when the page is
    /// new (still loading, so a [`Push`] sent now would not reach it).
    fn show(&self) -> bool;
    /// Sends an event to the page, if there is one.
    fn push(&self, push: Push);
    /// Asks for attention (the taskbar entry flashes; focus is never taken). False when
    /// the window is not shown.
    fn ask_attention(&self) -> bool;
    /// Hides the window; its page stays.
    fn hide(&self);
    /// Drops the page (and with it every byte the webview holds) unless it is shown again.
    fn drop_if_hidden(&self);
}

/// The answer to a [`Call`]: the command's result as JSON, or why it failed.
pub type Answer = Result<serde_json::Value, crate::error::CommandError>;

/// The argument that starts `pawkey` as the window process (given by the host only).
pub const WINDOW_PROCESS_ARG: &str = "--window-process";

/// A line from the window process to the host.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "up", rename_all = "snake_case")]
pub enum Up {
    /// The page asks for something; the host answers with [`Down::Answer`] and this `id`.
    Call {
        /// Numbers the answer.
        id: u64,
        /// The [`Call`], as the page sent it (the host reads and checks it).
        call: serde_json::Value,
    },
    /// The person closed the window; the host decides what that means.
    Closed,
}

/// A line from the host to the window process. The end of the stream ends the process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "down", rename_all = "snake_case")]
pub enum Down {
    /// The answer to [`Up::Call`] `id`: its JSON, or the error as the page shows it.
    Answer {
        /// The call's number.
        id: u64,
        /// The result, or the error's `{message, fields}`.
        result: Result<serde_json::Value, serde_json::Value>,
    },
    /// An event for the page.
    Event {
        /// Its name (one of the `EVENT_*`).
        event: String,
        /// Its payload.
        payload: serde_json::Value,
    },
    /// Show, unminimize and focus the window.
    Show,
    /// Hide the window (its page stays until the stream ends).
    Hide,
    /// Ask for attention without taking focus.
    Attention,
}

impl Down {
    /// One line of the wire format (no newline inside: JSON escapes them).
    pub fn line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|e| {
            tracing::warn!("a message to the window could not be written: {e}");
            String::from("{}")
        });
        line.push('\n');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Call, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn calls_read_as_the_page_sends_them() {
        assert!(matches!(parse(r#"{"command":"status"}"#), Ok(Call::Status)));
        assert!(matches!(
            parse(r#"{"command":"new_session","args":{"ttlHours":8}}"#),
            Ok(Call::NewSession { ttl_hours: Some(8) })
        ));
        assert!(matches!(
            parse(r#"{"command":"new_session","args":{}}"#),
            Ok(Call::NewSession { ttl_hours: None })
        ));
        assert!(matches!(
            parse(
                r#"{"command":"approve_request","args":{"number":3,"code":"AB12","ttlHours":null}}"#
            ),
            Ok(Call::ApproveRequest {
                number: 3,
                ttl_hours: None,
                ..
            })
        ));
    }

    #[test]
    fn unknown_commands_and_arguments_are_refused() {
        assert!(parse(r#"{"command":"export_master"}"#).is_err());
        assert!(parse(r#"{"command":"deny_request","args":{"number":1,"all":true}}"#).is_err());
        assert!(parse(r#"{"command":"deny_request","args":{"number":"x"}}"#).is_err());
    }

    #[test]
    fn every_listed_name_is_a_call_and_every_call_is_listed() {
        for name in Call::NAMES {
            let json = format!(r#"{{"command":"{name}"}}"#);
            let refused_for_args = match serde_json::from_str::<Call>(&json) {
                Ok(_) => false,
                // A call with required arguments names what is missing, not the command.
                Err(e) => {
                    e.to_string().contains("missing field")
                        || e.to_string().contains("invalid type: null")
                }
            };
            let known = serde_json::from_str::<Call>(&json).is_ok() || refused_for_args;
            assert!(known, "{name} is not a Call");
        }
        let unknown = serde_json::from_str::<Call>(r#"{"command":"nope"}"#).unwrap_err();
        // serde lists the variants it expected: exactly the names above.
        let listed = unknown.to_string();
        for name in Call::NAMES {
            assert!(
                listed.contains(&format!("`{name}`")),
                "{name} missing in {listed}"
            );
        }
        assert_eq!(
            listed.matches('`').count() / 2,
            Call::NAMES.len() + 1,
            "{listed}"
        );
    }
}
