//! `GET /api/qr`: a QR code for pairing a phone with PocketPaw's dashboard. Unlike
//! PocketPaw's own QR endpoint it needs a credential (master or session token), and the
//! token inside lives only minutes — and never longer than the session that asked for it,
//! so a session cannot renew itself through this route.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::auth::{ClientIp, Credential};
use super::error::{ApiError, ErrorBody, MasterUnavailable, TooManyFailures};
use crate::audit::MintSource;
use crate::clock::now_unix;
use crate::pairing::{QR_LINK_SECONDS, dashboard_link_until, qr_svg};
use crate::state::AppState;

/// QR code (SVG) of `<dashboard_url>/?token=<token valid 10 minutes>`; asked for with a
/// session token, the token inside expires no later than that session.
#[utoipa::path(
    get,
    path = "/api/qr",
    tag = "pairing",
    responses(
        (status = 200, description = "SVG QR code of a dashboard link with a token valid 10 minutes, or until the asking session expires if that is sooner", content_type = "image/svg+xml", body = String),
        (status = 401, description = "Neither the master token nor a valid session token", body = ErrorBody),
        TooManyFailures,
        MasterUnavailable,
    ),
    security(("master_token" = []), ("session_token" = []), ("session_cookie" = []))
)]
pub async fn qr(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    credential: Credential,
) -> Result<impl IntoResponse, ApiError> {
    let until = credential.bound(now_unix().saturating_add(QR_LINK_SECONDS));
    let link = dashboard_link_until(&state, until, MintSource::Http, Some(ip))?;
    let svg = qr_svg(&link.url).map_err(ApiError::Internal)?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))],
        svg,
    ))
}
