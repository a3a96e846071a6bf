//! The route handlers. Each is documented for the OpenAPI document with `utoipa::path`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{ClientIp, MasterAuth, Session, check_master};
use super::error::{
    ApiError, ErrorBody, MasterNotReplaced, MasterRefusals, MasterUnavailable, TooManyFailures,
};
use super::extract::{OptionalJson, RequiredJson, session_cookie, source, whole_number};
use crate::audit::MintSource;
use crate::clock::{now_unix, rfc3339};
use crate::secret::MasterToken;
use crate::state::{AppState, ImportError};

/// Optional body of `POST /api/auth/session`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// Lifetime in hours, 1 to the configured `ttl_hours` (default: the configured value).
    #[schema(minimum = 1, maximum = 720)]
    #[serde(default, deserialize_with = "whole_number")]
    pub ttl_hours: Option<i64>,
}

/// A new session token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// `session:<exp>:<sig>` (or `<exp>:<sig>` with `token_format = "pocketpaw"`).
    pub session_token: String,
    /// Token validity period in hours.
    pub expires_in_hours: u32,
}

/// Exchange the master token for a time-limited session token.
#[utoipa::path(
    post,
    path = "/api/auth/session",
    tag = "auth",
    request_body(content = Option<SessionRequest>, description = "Optional; an empty body mints a token with the configured lifetime"),
    responses(
        (status = 200, description = "A new session token", body = SessionResponse,
            example = json!({"session_token": "session:1705312200:a1b2c3d4e5f6...", "expires_in_hours": 24})),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 422, description = "ttl_hours out of range or body not the expected JSON", body = ErrorBody),
        MasterRefusals,
        MasterUnavailable,
    ),
    security(("master_token" = []))
)]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    _: MasterAuth,
    OptionalJson(body): OptionalJson<SessionRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let ttl = body.and_then(|b| b.ttl_hours);
    let minted = state.mint(ttl, None, MintSource::Http, Some(ip))?;
    Ok(Json(SessionResponse {
        session_token: minted.token,
        expires_in_hours: minted.ttl_hours,
    }))
}

/// A valid session, as `GET /api/auth/verify` reports it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// Always true (invalid tokens get 401).
    pub valid: bool,
    /// Expiry as RFC 3339 (UTC).
    pub expires_at: String,
    /// Seconds until expiry.
    pub expires_in_seconds: u64,
}

/// Check a session token (Bearer header, `?token=` or the `pocketpaw_session` cookie).
#[utoipa::path(
    get,
    path = "/api/auth/verify",
    tag = "auth",
    responses(
        (status = 200, description = "The session token is valid", body = VerifyResponse),
        (status = 401, description = "Missing, malformed, wrongly signed or expired token", body = ErrorBody),
        TooManyFailures,
    ),
    security(("session_token" = []), ("session_query" = []), ("session_cookie" = []))
)]
pub async fn verify(session: Session) -> Json<VerifyResponse> {
    Json(VerifyResponse {
        valid: true,
        expires_at: rfc3339(session.expires_at),
        expires_in_seconds: session.expires_at.saturating_sub(now_unix()),
    })
}

/// Body of `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The master token.
    pub token: String,
}

/// Result of a login; the session token itself is only in the HttpOnly cookie.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Always true (failures get 401).
    pub authenticated: bool,
    /// When the cookie's session expires (RFC 3339).
    pub expires_at: String,
    /// Session lifetime in hours.
    pub expires_in_hours: u32,
}

/// Log in a browser: sets the `pocketpaw_session` cookie (HttpOnly, SameSite=Strict).
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body(content = LoginRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the session is in the Set-Cookie header", body = LoginResponse),
        (status = 401, description = "Wrong master token", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "Body is not {\"token\": \"...\"}", body = ErrorBody),
        TooManyFailures,
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    RequiredJson(body): RequiredJson<LoginRequest>,
) -> Result<Response, ApiError> {
    check_master(&state, ip, body.token.trim())?;
    let minted = state.mint(None, None, MintSource::Http, Some(ip))?;
    let headers = session_cookie(&minted.token, u64::from(minted.ttl_hours) * 3600)?;
    let body = LoginResponse {
        authenticated: true,
        expires_at: rfc3339(minted.expires_at),
        expires_in_hours: minted.ttl_hours,
    };
    Ok((headers, Json(body)).into_response())
}

/// Result of a logout.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogoutResponse {
    /// Always true.
    pub logged_out: bool,
}

/// Log out a browser: clears the `pocketpaw_session` cookie.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    responses((status = 200, description = "The cookie is cleared", body = LogoutResponse))
)]
pub async fn logout() -> Result<impl IntoResponse, ApiError> {
    Ok((
        session_cookie("", 0)?,
        Json(LogoutResponse { logged_out: true }),
    ))
}

/// The new master token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegenerateResponse {
    /// The new master token; every earlier session token is now invalid.
    pub token: String,
    /// True when PocketPaw's token file was replaced too (`sync_pocketpaw`), so PocketPaw
    /// refuses the old tokens as well.
    #[serde(default)]
    pub pocketpaw_updated: bool,
}

/// Rotate the master token (needs the current master token; a session token is not enough).
#[utoipa::path(
    post,
    path = "/api/token/regenerate",
    tag = "token",
    responses(
        (status = 200, description = "Rotated; every session token is revoked", body = RegenerateResponse),
        MasterRefusals,
        MasterNotReplaced,
    ),
    security(("master_token" = []))
)]
pub async fn regenerate(
    State(state): State<AppState>,
    _: MasterAuth,
    headers: HeaderMap,
) -> Result<Json<RegenerateResponse>, ApiError> {
    match state.rotate_by(source(&headers)).await {
        Ok(new) => Ok(Json(RegenerateResponse {
            token: new.expose().to_owned(),
            pocketpaw_updated: state.pocketpaw_synced(),
        })),
        Err(e) => Err(ApiError::Unavailable(format!(
            "Could not store a new master token ({e}); the current master token is still valid"
        ))),
    }
}

/// Body of `POST /api/token/import`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The master token to use from now on (16–512 printable ASCII characters).
    #[schema(min_length = 16, max_length = 512, pattern = r"^[!-~]+$")]
    pub token: String,
    /// Keep PocketPaw in step from now on (true when the token is PocketPaw's): later
    /// rotations also write PocketPaw's token file. Saved in the settings.
    #[serde(default)]
    pub sync_pocketpaw: Option<bool>,
}

/// Result of an import.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResponse {
    /// First 12 hex characters of the new master token's SHA-256.
    pub fingerprint: String,
}

/// Replace the master token with one you already have (needs the current master token):
/// stored in the keychain first, then used at once; every session token minted before is
/// revoked. `pawkeyd master import` calls this when a server is running.
#[utoipa::path(
    post,
    path = "/api/token/import",
    tag = "token",
    request_body(content = ImportRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Imported; every earlier session token is revoked", body = ImportResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "The new token is not an acceptable master token", body = ErrorBody),
        MasterRefusals,
        MasterNotReplaced,
    ),
    security(("master_token" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    _: MasterAuth,
    headers: HeaderMap,
    RequiredJson(body): RequiredJson<ImportRequest>,
) -> Result<Json<ImportResponse>, ApiError> {
    let token = MasterToken::parse(body.token).map_err(ImportError::from)?;
    let fingerprint = crate::token::fingerprint(token.expose());
    let source = source(&headers);
    tokio::task::spawn_blocking(move || state.import_master(token, source, body.sync_pocketpaw))
        .await
        .map_err(|e| ApiError::Internal(format!("the import did not finish: {e}")))??;
    Ok(Json(ImportResponse { fingerprint }))
}

/// Liveness.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// "ok".
    pub status: String,
    /// PawKey's version.
    pub version: String,
}

/// Is PawKey up? Public; reveals nothing else.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "meta",
    responses((status = 200, description = "PawKey is running", body = HealthResponse))
)]
pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        version: crate::VERSION.into(),
    })
}

/// Unknown path.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::extract::parse_json;

    #[test]
    fn ttl_hours_takes_whole_numbers_in_any_json_spelling() {
        let ttl = |body: &str| parse_json::<SessionRequest>(body.as_bytes()).map(|r| r.ttl_hours);
        assert_eq!(ttl("{}").unwrap(), None);
        assert_eq!(ttl(r#"{"ttl_hours": null}"#).unwrap(), None);
        assert_eq!(ttl(r#"{"ttl_hours": 18}"#).unwrap(), Some(18));
        assert_eq!(ttl(r#"{"ttl_hours": 18.0}"#).unwrap(), Some(18));
        assert_eq!(ttl(r#"{"ttl_hours": 1.8e1}"#).unwrap(), Some(18));
        assert_eq!(ttl(r#"{"ttl_hours": -3}"#).unwrap(), Some(-3));
        for bad in [
            r#"{"ttl_hours": 18.5}"#,
            r#"{"ttl_hours": 1e300}"#,
            r#"{"ttl_hours": "18"}"#,
            r#"{"ttl_hours": true}"#,
            r#"{"ttl_hours": 18446744073709551615}"#,
        ] {
            assert!(ttl(bad).is_err(), "{bad}");
        }
    }
}
