//! `ApiError`: every error the server returns, mapped to its status and written as
//! `{"detail": "..."}` in one place. Causes of 5xx are logged, never echoed.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::RefOr;

/// The JSON body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub detail: String,
}

/// 401 of a route behind the master token, for its OpenAPI `responses(...)`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "Missing or wrong master token",
    example = json!({"detail": "Invalid master token"})
)]
pub struct WrongMaster(pub ErrorBody);

/// 429 of a route that takes a credential, for its OpenAPI `responses(...)`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "Too many failed attempts from this client"
)]
pub struct TooManyFailures(pub ErrorBody);

/// 503 of a route that needs the master token, for its OpenAPI `responses(...)`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "The master token is unavailable (keychain)"
)]
pub struct MasterUnavailable(pub ErrorBody);

/// 503 of a route that replaces the master token, for its OpenAPI `responses(...)`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "The keychain refused the new token; the old one is still valid"
)]
pub struct MasterNotReplaced(pub ErrorBody);

/// What every route behind the master token ([`MasterAuth`](super::auth::MasterAuth))
/// may answer besides its own responses: [`WrongMaster`] and [`TooManyFailures`].
pub struct MasterRefusals;

impl utoipa::IntoResponses for MasterRefusals {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let mut rows = WrongMaster::responses();
        rows.append(&mut TooManyFailures::responses());
        rows
    }
}

/// An HTTP error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: the master token is missing or wrong.
    #[error("Invalid master token")]
    InvalidMaster,
    /// 401: no valid session token (missing, malformed, bad MAC or expired).
    #[error("Invalid or expired session token")]
    InvalidSession,
    /// 403: the `Host` header is not one we serve (DNS-rebinding protection).
    #[error(
        "Host not allowed: use localhost, 127.0.0.1 or [::1] with the server's port, or add the host to extra_hosts"
    )]
    HostNotAllowed,
    /// 403: the `Origin` is not in the allowlist.
    #[error("Origin not allowed: add it to allowed_origins in the PawKey settings")]
    OriginNotAllowed,
    /// 403: the access request was denied.
    #[error("The access request was denied in PawKey")]
    RequestDenied,
    /// 404: no such access request.
    #[error("{0}")]
    RequestUnknown(String),
    /// 410: the access request expired, or its token was already collected.
    #[error("The access request expired or its token was already collected; ask again")]
    RequestGone,
    /// 404: no such route.
    #[error("Not Found")]
    NotFound,
    /// 405: the route exists but not with this method.
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    /// 408: the request body did not arrive in time.
    #[error(
        "Request body not received within {} s; send the whole request at once",
        crate::server::BODY_READ_TIMEOUT.as_secs()
    )]
    RequestTimeout,
    /// 409: the request conflicts with the state of what it names (an approval longer
    /// than the access request asked for).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the limit.
    #[error("Request body too large (limit {} KiB)", crate::server::BODY_LIMIT / 1024)]
    PayloadTooLarge,
    /// 415: the route needs `Content-Type: application/json`.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// 422: the body is JSON but not what the route takes.
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many failed attempts from this client.
    #[error("Too many requests")]
    TooManyRequests {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
    },
    /// 429: too many access requests are waiting; the detail says why and what to do.
    #[error("{detail}")]
    Busy {
        /// What is going on and what to do, for the person at the browser.
        detail: String,
        /// Seconds until a place frees up by itself.
        retry_after: u64,
    },
    /// 431: the request headers are over the limit.
    #[error("Request headers too large (limit {} KiB)", crate::server::HEADER_LIMIT / 1024)]
    HeadersTooLarge,
    /// 503: the master token is not available (keychain missing, locked or failing).
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, not shown.
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    /// The status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidMaster | ApiError::InvalidSession => StatusCode::UNAUTHORIZED,
            ApiError::HostNotAllowed | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::RequestDenied => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::RequestUnknown(_) => StatusCode::NOT_FOUND,
            ApiError::RequestGone => StatusCode::GONE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } | ApiError::Busy { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The one mapping of a refused mint: a lifetime out of range is the client's (422), a
/// missing master the keychain's (503).
impl From<crate::state::MintError> for ApiError {
    fn from(e: crate::state::MintError) -> Self {
        use crate::state::MintError;
        match e {
            MintError::TtlOutOfRange { .. } => ApiError::Unprocessable(e.to_string()),
            MintError::MasterUnavailable(_) => ApiError::Unavailable(e.to_string()),
        }
    }
}

/// The one mapping of a refused import: a token that is no master token is the client's
/// (422); a setting or store that refused, the server's (503). The detail is the message
/// the CLI and the window show, as a sentence.
impl From<crate::state::ImportError> for ApiError {
    fn from(e: crate::state::ImportError) -> Self {
        use crate::state::ImportError;
        let detail = sentence(e.to_string());
        match e {
            ImportError::Invalid(_) => ApiError::Unprocessable(detail),
            ImportError::PocketPaw(_) | ImportError::Setting(_) | ImportError::Store(_) => {
                ApiError::Unavailable(detail)
            }
        }
    }
}

/// `message` with its first letter in upper case, as the `detail` of a response reads.
fn sentence(mut message: String) -> String {
    if let Some(first) = message.get(..1) {
        let upper = first.to_ascii_uppercase();
        message.replace_range(..1, &upper);
    }
    message
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            tracing::error!("internal error: {cause}");
        }
        let mut response = (
            status,
            Json(ErrorBody {
                detail: self.to_string(),
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::InvalidMaster | ApiError::InvalidSession => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after } | ApiError::Busy { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ImportError;

    #[test]
    fn a_refused_import_reads_as_a_sentence_with_its_status() {
        let Err(invalid) = crate::secret::MasterToken::parse("short".into()) else {
            panic!("a five-character master token");
        };
        let e = ApiError::from(ImportError::from(invalid));
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e.to_string()
                .starts_with("Not imported: the master token is too short"),
            "{e}"
        );
        let refused = ImportError::Store(crate::store::StoreError::Locked("no".into()));
        let e = ApiError::from(refused);
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            e.to_string()
                .starts_with("Could not store the new master token ("),
            "{e}"
        );
    }
}
