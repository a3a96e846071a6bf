//! What the access-request book hands out and reports: the requester's answer, a waiting
//! request as the person deciding sees it, a poll's outcome, events and errors.

use serde::Serialize;

use super::MAX_CLIENT_LABEL;

/// Why a request could not be opened or decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// Too many requests are waiting, or this client asked too often.
    #[error(
        "Too many access requests are waiting; try again in {retry_after} s, or approve or deny the waiting ones in PawKey"
    )]
    TooMany {
        /// Seconds until a new request may succeed.
        retry_after: u64,
    },
    /// The client label is not acceptable.
    #[error("client must be at most {MAX_CLIENT_LABEL} printable characters")]
    BadLabel,
    /// No waiting request has this user code.
    #[error("No waiting access request has the code {0}")]
    UnknownCode(String),
    /// The approval asked for a longer lifetime than the request.
    #[error("ttl_hours may shorten the requested {requested} h, never lengthen it; got {got}")]
    Lengthened {
        /// What the request asked for.
        requested: u32,
        /// What the approval asked for.
        got: i64,
    },
    /// The OS random generator failed.
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

/// What the requester gets back when it opens a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Opened {
    /// Secret; poll `GET /api/auth/request/{request_id}` with it. 64 hex characters.
    pub request_id: String,
    /// Shown on both sides, e.g. `BCDF-2345`.
    pub user_code: String,
    /// Seconds until the request expires.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

/// A waiting request, as the person deciding sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Pending {
    /// The code the requester shows.
    pub user_code: String,
    /// The label the requester gave, if any.
    pub client: Option<String>,
    /// The requesting page's `Origin`, if it sent one.
    pub origin: Option<String>,
    /// The requester's address.
    pub peer: String,
    /// The lifetime asked for, in hours.
    pub ttl_hours: u32,
    /// Seconds until the request expires.
    pub expires_in: u64,
}

/// What a poll finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Nobody decided yet.
    Pending,
    /// Approved: the token, handed out this once.
    Approved {
        /// The session token.
        token: String,
        /// Its lifetime in hours.
        ttl_hours: u32,
        /// Its expiry, Unix seconds.
        expires_at: u64,
    },
    /// The person denied it.
    Denied,
    /// Expired, or its token was already collected.
    Gone,
    /// No such request.
    Unknown,
}

/// A change the window and tray show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalEvent {
    /// A new request waits.
    Opened(Pending),
    /// A request was approved, denied or expired; the list changed.
    Closed {
        /// Its code.
        user_code: String,
    },
}
