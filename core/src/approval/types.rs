//! What the access-request book hands out and reports: the requester's answer, a waiting
//! request as the person deciding sees it, a poll's outcome, events and errors.

use serde::Serialize;

use super::{MAX_CLIENT_LABEL, MAX_PENDING, MAX_PENDING_PER_ADDRESS};

/// Why a request could not be opened or decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// This address already has its share of requests waiting.
    #[error(
        "{MAX_PENDING_PER_ADDRESS} access requests from this address are already waiting in PawKey — if you did not open them, another program on this computer may be asking. Open PawKey: approve yours by typing the code your browser shows, deny the others, then ask again (or wait {retry_after} s)."
    )]
    TooManyFromAddress {
        /// Seconds until one of them expires.
        retry_after: u64,
    },
    /// Too many requests are waiting from all addresses together.
    #[error(
        "{MAX_PENDING} access requests are already waiting in PawKey, far more than a person opens — another program on this computer may be flooding it. Open PawKey and deny them (Deny all), then ask again (or wait {retry_after} s)."
    )]
    TooMany {
        /// Seconds until one of them expires.
        retry_after: u64,
    },
    /// The client label is not acceptable.
    #[error(
        "client must be at most {MAX_CLIENT_LABEL} printable characters, without control or invisible formatting characters (such as bidi overrides)"
    )]
    BadLabel,
    /// No waiting request has this user code.
    #[error(
        "No waiting access request has the code {0} — type the code the browser shows; a request expires after two minutes"
    )]
    UnknownCode(String),
    /// No waiting request has this number.
    #[error("No access request #{0} is waiting (already decided, or expired)")]
    UnknownNumber(u64),
    /// The code typed is not the code of the request being approved.
    #[error(
        "That is not the code of request #{0} — type the code the browser that asked shows; if no browser of yours shows it, deny the request"
    )]
    CodeMismatch(u64),
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
    /// The request's number, shown beside it in PawKey so the person finds it (not secret).
    pub number: u64,
    /// Secret; collect with `POST /api/auth/request/{request_id}`. 64 hex characters.
    pub request_id: String,
    /// Shown on both sides, e.g. `BCDF-2345`.
    pub user_code: String,
    /// Seconds until the request expires.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

/// A waiting request, as the person deciding sees it. Its code is not here: the person
/// reads it off the requester's screen and types it to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Pending {
    /// The request's number, to deny it or to name it (not secret, not the code).
    pub number: u64,
    /// The label the requester gave, if any — claimed by the requester, not verified.
    pub client: Option<String>,
    /// The `Origin` the request came with, if any — claimed by the requester (any local
    /// program can send any `Origin`), not verified.
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
        /// Its number.
        number: u64,
    },
}
