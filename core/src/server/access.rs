//! The access-request routes: a browser asks for a session token without the master
//! (`POST /auth/request`), collects the answer (`POST /auth/request/{request_id}`: a token
//! is handed out once, so no safe method may touch it — `GET` and `HEAD` get 405), and the
//! holder of the master lists, approves with the code the browser shows, and denies
//! (`/auth/requests...`). The logic is [`crate::approval`]'s; this module maps it to HTTP.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{ClientIp, MasterAuth};
use super::error::{ApiError, ErrorBody, MasterRefusals, MasterUnavailable};
use super::extract::{OptionalJson, session_cookie, source, whole_count, whole_number};
use crate::approval::{ApprovalError, Opened, Pending, Poll};
use crate::state::{AppState, ApproveError};

impl From<ApprovalError> for ApiError {
    fn from(e: ApprovalError) -> Self {
        match e {
            ApprovalError::TooMany { retry_after }
            | ApprovalError::TooManyFromAddress { retry_after } => ApiError::Busy {
                detail: e.to_string(),
                retry_after,
            },
            ApprovalError::BadLabel => ApiError::Unprocessable(e.to_string()),
            ApprovalError::Lengthened { .. } | ApprovalError::CodeMismatch(_) => {
                ApiError::Conflict(e.to_string())
            }
            ApprovalError::UnknownCode(_) | ApprovalError::UnknownNumber(_) => {
                ApiError::RequestUnknown(e.to_string())
            }
            ApprovalError::Random(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<ApproveError> for ApiError {
    fn from(e: ApproveError) -> Self {
        match e {
            ApproveError::Approval(e) => e.into(),
            ApproveError::Mint(e) => e.into(),
        }
    }
}

/// Optional body of `POST /api/auth/request`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// A label the person approving sees, e.g. "PocketPaw dashboard" (at most 64
    /// printable characters; no control or invisible formatting characters such as bidi
    /// overrides). Shown as claimed by the requester, not verified.
    #[schema(
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]*$"
    )]
    pub client: Option<String>,
    /// Lifetime in hours, 1 to the configured `ttl_hours` (default: the configured value).
    #[schema(minimum = 1, maximum = 720)]
    #[serde(default, deserialize_with = "whole_number")]
    pub ttl_hours: Option<i64>,
}

/// Ask for a session token; a person approves it in PawKey (window, tray or CLI).
#[utoipa::path(
    post,
    path = "/api/auth/request",
    tag = "approval",
    request_body(content = Option<AccessRequest>, description = "Optional"),
    responses(
        (status = 202, description = "Waiting for a person to approve: show user_code (the person types it into PawKey) and collect with request_id", body = Opened),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 422, description = "client or ttl_hours not acceptable", body = ErrorBody),
        (status = 429, description = "4 requests from this address, or 64 in all, already wait; the detail says what to do", body = ErrorBody),
    )
)]
pub async fn open(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<AccessRequest>,
) -> Result<Response, ApiError> {
    let body = body.unwrap_or_default();
    let ttl = state.ttl_hours(body.ttl_hours)?;
    // The guard let only allowed origins through.
    let origin = headers
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let opened = state.request_access(body.client, origin, ip, ttl)?;
    tracing::info!(
        request = opened.number,
        %ip,
        "access request waiting for approval"
    );
    Ok((StatusCode::ACCEPTED, Json(opened)).into_response())
}

/// A poll's answer while waiting.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PollPending {
    /// "pending".
    pub status: String,
}

/// A poll's answer once approved (given once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PollApproved {
    /// "approved".
    pub status: String,
    /// The session token.
    pub session_token: String,
    /// Its lifetime in hours.
    pub expires_in_hours: u32,
}

/// Collect the answer to an access request with its secret id (poll every `interval`
/// seconds). `POST`, as RFC 8628's token request: the token is handed out once, so a safe
/// method (`GET`, `HEAD`) must not deliver or use it up; those get 405.
#[utoipa::path(
    post,
    path = "/api/auth/request/{request_id}",
    tag = "approval",
    params(("request_id" = String, Path, description = "The request_id POST /api/auth/request returned")),
    responses(
        (status = 200, description = "Approved: the token, this once; the pocketpaw_session cookie is set too", body = PollApproved),
        (status = 202, description = "Still waiting", body = PollPending),
        (status = 403, description = "Denied", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 410, description = "Expired, or the token was already collected", body = ErrorBody),
        (status = 429, description = "Too many unknown request ids from this client", body = ErrorBody),
    )
)]
pub async fn poll(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(request_id): Path<String>,
) -> Result<Response, ApiError> {
    match state.approvals().poll(&request_id, Instant::now()) {
        Poll::Pending => Ok((
            StatusCode::ACCEPTED,
            Json(PollPending {
                status: "pending".into(),
            }),
        )
            .into_response()),
        Poll::Approved {
            token,
            ttl_hours,
            expires_at,
        } => {
            let max_age = expires_at.saturating_sub(crate::clock::now_unix());
            let cookie = session_cookie(&token, max_age)?;
            Ok((
                cookie,
                Json(PollApproved {
                    status: "approved".into(),
                    session_token: token,
                    expires_in_hours: ttl_hours,
                }),
            )
                .into_response())
        }
        Poll::Denied => Err(ApiError::RequestDenied),
        Poll::Gone => Err(ApiError::RequestGone),
        Poll::Unknown => Err(super::auth::failed(
            &state,
            ip,
            ApiError::RequestUnknown("No such access request".into()),
        )),
    }
}

/// The waiting requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PendingList {
    /// Oldest first.
    pub requests: Vec<Pending>,
}

/// List the access requests waiting for a decision (master token).
#[utoipa::path(
    get,
    path = "/api/auth/requests",
    tag = "approval",
    responses(
        (status = 200, description = "The waiting requests", body = PendingList),
        MasterRefusals,
    ),
    security(("master_token" = []))
)]
pub async fn list(State(state): State<AppState>, _: MasterAuth) -> Json<PendingList> {
    Json(PendingList {
        requests: state.approvals().pending(Instant::now()),
    })
}

/// Optional body of an approval.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// A shorter lifetime than the request asked for (never longer).
    #[schema(minimum = 1, maximum = 720)]
    #[serde(default, deserialize_with = "whole_number")]
    pub ttl_hours: Option<i64>,
    /// The number of the request being approved, as listed: the code must then be that
    /// request's (409 otherwise).
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "whole_count")]
    pub number: Option<u64>,
}

/// A decision taken.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    /// The request's number.
    pub number: u64,
    /// "approved" or "denied".
    pub decision: String,
    /// The requester's label, if any.
    pub client: Option<String>,
    /// Lifetime of the token the requester collects (approvals only).
    pub expires_in_hours: Option<u32>,
}

/// Approve the waiting request with this user code (master token) — the code the
/// requester shows, typed by the person; listings never contain it. The token goes to the
/// requester's next collect, not to the approver.
#[utoipa::path(
    post,
    path = "/api/auth/requests/{user_code}/approve",
    tag = "approval",
    params(("user_code" = String, Path, description = "The code the requester shows, e.g. BCDF-2345")),
    request_body(content = Option<ApproveRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Approved", body = Decision),
        (status = 404, description = "No waiting request has this code", body = ErrorBody),
        (status = 409, description = "ttl_hours longer than the request asked for, or the code is not the numbered request's", body = ErrorBody),
        (status = 422, description = "ttl_hours not a whole number", body = ErrorBody),
        MasterRefusals,
        MasterUnavailable,
    ),
    security(("master_token" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    _: MasterAuth,
    headers: HeaderMap,
    Path(user_code): Path<String>,
    OptionalJson(body): OptionalJson<ApproveRequest>,
) -> Result<Json<Decision>, ApiError> {
    let body = body.unwrap_or_default();
    let (pending, minted) =
        state.approve(&user_code, body.number, body.ttl_hours, source(&headers))?;
    tracing::info!(request = pending.number, "access request approved");
    Ok(Json(Decision {
        number: pending.number,
        decision: "approved".into(),
        client: pending.client,
        expires_in_hours: Some(minted.ttl_hours),
    }))
}

/// Deny the waiting request with this number or code (master token).
#[utoipa::path(
    post,
    path = "/api/auth/requests/{request}/deny",
    tag = "approval",
    params(("request" = String, Path, description = "The request's number as listed (e.g. 3), or its code")),
    responses(
        (status = 200, description = "Denied", body = Decision),
        (status = 404, description = "No waiting request has this number or code", body = ErrorBody),
        MasterRefusals,
    ),
    security(("master_token" = []))
)]
pub async fn deny(
    State(state): State<AppState>,
    _: MasterAuth,
    headers: HeaderMap,
    Path(request): Path<String>,
) -> Result<Json<Decision>, ApiError> {
    let pending = state.deny(&request, source(&headers))?;
    tracing::info!(request = pending.number, "access request denied");
    Ok(Json(denied(pending)))
}

fn denied(pending: Pending) -> Decision {
    Decision {
        number: pending.number,
        decision: "denied".into(),
        client: pending.client,
        expires_in_hours: None,
    }
}

/// The requests denied at once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Denied {
    /// One decision per request that was waiting.
    pub denied: Vec<Decision>,
}

/// Deny every waiting request (master token): clears a flood in one step.
#[utoipa::path(
    post,
    path = "/api/auth/requests/deny-all",
    tag = "approval",
    responses(
        (status = 200, description = "Every waiting request denied (possibly none)", body = Denied),
        MasterRefusals,
    ),
    security(("master_token" = []))
)]
pub async fn deny_all(
    State(state): State<AppState>,
    _: MasterAuth,
    headers: HeaderMap,
) -> Json<Denied> {
    let list = state.deny_all(source(&headers));
    tracing::info!(count = list.len(), "every waiting access request denied");
    Json(Denied {
        denied: list.into_iter().map(denied).collect(),
    })
}
