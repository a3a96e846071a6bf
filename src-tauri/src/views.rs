//! What the window is sent: the event names it listens to and the views (status, recent
//! list, copy results) that commands return and events carry.

use pawkey_core::audit::AuditEntry;
use pawkey_core::state::MasterStatus;
use serde::Serialize;

use crate::server::ServerStatus;
use crate::settings::SettingsView;

/// Event: the status changed (payload [`StatusView`]).
pub const EVENT_STATUS: &str = "status-changed";
/// Event: a session token was minted anywhere (payload [`SessionRow`]).
pub const EVENT_MINTED: &str = "session-minted";
/// Event: the recent list must be replaced (payload [`SessionsView`]).
pub const EVENT_SESSIONS: &str = "sessions-reset";
/// Event: the clipboard timer ran (payload [`ClipboardEvent`]).
pub const EVENT_CLIPBOARD: &str = "clipboard-cleared";
/// Event: the waiting access requests changed (payload [`RequestsView`]).
pub const EVENT_REQUESTS: &str = "requests-changed";
/// Event: show the access-request cards (the tray's "Pending requests"; no payload).
pub const EVENT_SHOW_REQUESTS: &str = "show-requests";

/// One mint in the recent list: core's audit entry, numbered in the order this run saw it
/// (two mints in the same second give the same token, so the entry alone is no key).
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    /// Position in this run's order, from 1.
    pub seq: u64,
    /// What core recorded.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// The recent list and the number of the last mint in it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionsView {
    /// The `seq` of the newest row; events numbered up to this are already in `sessions`.
    pub seq: u64,
    /// Newest first.
    pub sessions: Vec<SessionRow>,
    /// How many rows the list keeps (core's [`pawkey_core::audit::RING_CAPACITY`]), so
    /// the window trims rows that arrive as events to the same length.
    pub capacity: usize,
}

/// The start-up state as the window sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BootView {
    /// Opening the keychain.
    Loading,
    /// Running.
    Ready,
    /// PawKey could not start (bad config file, for example); the message says what to do.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// Everything the status line and the settings form show.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// Increases with every view, so the window can drop one that arrives late.
    pub seq: u64,
    /// PawKey's version.
    pub version: &'static str,
    /// Start-up state.
    pub boot: BootView,
    /// The embedded server.
    pub server: ServerStatus,
    /// Where the master token lives and whether it is usable.
    pub master: Option<MasterStatus>,
    /// The settings.
    pub settings: Option<SettingsView>,
    /// `~/.pocketpaw/access_token`, for the import button.
    pub pocketpaw_token_file: Option<String>,
    /// Whether the desktop shows PawKey's tray icon; without it, closing the window quits.
    pub tray_shown: bool,
}

/// The result of copying a token or the master.
#[derive(Debug, Clone, Serialize)]
pub struct CopyView {
    /// Whether the text is on the clipboard.
    pub copied: bool,
    /// Why not, when it is not.
    pub error: Option<String>,
    /// Seconds until it is cleared (0 = never).
    pub clear_after_seconds: u32,
}

/// Sent when the clipboard timer ran.
#[derive(Debug, Clone, Serialize)]
pub struct ClipboardEvent {
    /// True when our token was removed; false when the clipboard held something else.
    pub cleared: bool,
}

/// A token minted from the window, and whether it reached the clipboard.
#[derive(Clone, Serialize)]
pub struct MintView {
    /// The token and its expiry.
    #[serde(flatten)]
    pub minted: pawkey_core::state::Minted,
    /// The copy to the clipboard that follows every mint.
    pub copy: CopyView,
}
