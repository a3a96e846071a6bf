//! `GET /api/qr`: a QR code for pairing a phone with PocketPaw's dashboard. Unlike
//! PocketPaw's own QR endpoint it needs a credential (master or session token), and the
//! token inside lives only minutes.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::auth::{ClientIp, MasterOrSession};
use super::error::{ApiError, ErrorBody};
use crate::audit::MintSource;
use crate::pairing::{QR_LINK_SECONDS, dashboard_link, qr_svg};
use crate::state::{AppState, MintError};

/// QR code (SVG) of `<dashboard_url>/?token=<token valid 10 minutes>`.
#[utoipa::path(
    get,
    path = "/api/qr",
    tag = "pairing",
    responses(
        (status = 200, description = "SVG QR code of a dashboard link with a 10-minute token", content_type = "image/svg+xml", body = String),
        (status = 401, description = "Neither the master token nor a valid session token", body = ErrorBody),
        (status = 429, description = "Too many failed attempts from this client", body = ErrorBody),
        (status = 503, description = "The master token is unavailable (keychain)", body = ErrorBody),
    ),
    security(("master_token" = []), ("session_token" = []), ("session_cookie" = []))
)]
pub async fn qr(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    _: MasterOrSession,
) -> Result<impl IntoResponse, ApiError> {
    let link = dashboard_link(&state, QR_LINK_SECONDS, MintSource::Http, Some(ip)).map_err(
        |e| match e {
            MintError::MasterUnavailable(_) => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        },
    )?;
    let svg = qr_svg(&link.url).map_err(ApiError::Internal)?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))],
        svg,
    ))
}
