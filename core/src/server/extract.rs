//! What handlers take from a request, below every handler: JSON bodies (optional or
//! required, size- and time-limited, objects only), whole-number fields, the session
//! cookie's `Set-Cookie`, and who the master holder says it is (`X-PawKey-Source`).
//! Handlers import from here and never from each other.

use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::BODY_LIMIT;
use super::auth::SESSION_COOKIE;
use super::conn::{BodyTimedOut, caused_by};
use super::error::ApiError;
use crate::audit::MintSource;

/// A JSON body that may be absent (empty). Reads at most [`BODY_LIMIT`] bytes.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = read_body(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

/// A JSON body that must be present, sent with `Content-Type: application/json`.
pub struct RequiredJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for RequiredJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_body(req).await?;
        parse_json(&bytes).map(RequiredJson)
    }
}

async fn read_body(req: Request) -> Result<axum::body::Bytes, ApiError> {
    match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::PayloadTooLarge),
        Err(e) if caused_by::<BodyTimedOut>(e.as_ref()) => Err(ApiError::RequestTimeout),
        Err(e) => Err(ApiError::BadRequest(format!(
            "Could not read the request body: {e}"
        ))),
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |e: serde_json::Error| ApiError::Unprocessable(format!("Invalid JSON body: {e}"));
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(invalid)?;
    // serde also reads a struct from an array (`[5]` as `{"ttl_hours": 5}`); our bodies are
    // objects only.
    if !value.is_object() {
        return Err(ApiError::Unprocessable(
            "Invalid JSON body: expected a JSON object".into(),
        ));
    }
    serde_json::from_value(value).map_err(invalid)
}

/// JSON Schema counts `18.0` as an integer (the OpenAPI document says `integer`), so a
/// whole number written with a fraction part is taken like `18`; `18.5` is refused.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!("ttl_hours must be a whole number, not {n}"))
        })
}

/// [`whole_number`] for a field that cannot be negative, such as a request's number.
pub fn whole_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9_007_199_254_740_992.0)
                .map(|f| f as u64)
        })
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!("must be a whole number from 0 up, not {n}"))
        })
}

/// `Set-Cookie` for the session cookie, with the attributes login and logout share;
/// an empty value with `max_age` 0 clears it.
pub fn session_cookie(value: &str, max_age: u64) -> Result<HeaderMap, ApiError> {
    let cookie =
        format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}");
    let mut headers = HeaderMap::new();
    // Tokens are visible ASCII, so this only fails on a bug; the message holds no token.
    let value = HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?;
    headers.insert(SET_COOKIE, value);
    Ok(headers)
}

/// Who the holder of the master says it is, for the audit log: `pawkeyd` sends
/// `X-PawKey-Source: cli`; anything else is HTTP.
pub fn source(headers: &HeaderMap) -> MintSource {
    match headers.get("x-pawkey-source").map(|v| v.as_bytes()) {
        Some(b"cli") => MintSource::Cli,
        _ => MintSource::Http,
    }
}
