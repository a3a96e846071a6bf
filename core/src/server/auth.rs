//! Authentication as extractors: [`MasterAuth`] for routes that need the master token,
//! [`Session`] for routes a session token opens, [`Credential`] for routes either opens.
//! A credential is checked first and the failure limiter is asked only when it failed, so
//! a correct credential is never throttled. Every failure is logged at debug level (never
//! with the token) and answers the same 401, or 429 once the client (or all clients
//! together) failed too often.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

use super::error::ApiError;
use crate::state::{AppState, VerifyError};

/// Name of the session cookie (PocketPaw's).
pub const SESSION_COOKIE: &str = "pocketpaw_session";

/// Extracts the credentials of an `Authorization: Bearer <token>` header value: the scheme
/// is case-insensitive and surrounding whitespace is ignored. `None` for any other scheme,
/// a missing token, or bytes that are not visible ASCII.
pub fn parse_bearer(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_matches([' ', '\t']);
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())).then_some(token)
}

/// The value of `Authorization: Bearer`, if well formed. `Some(Err(()))` when the header is
/// present but unusable (so it counts as a failed attempt).
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(AUTHORIZATION)?;
    Some(parse_bearer(value.as_bytes()).ok_or(()))
}

/// The value of `name` in the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The `token` query parameter, percent-decoded.
fn query_token(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The client's IP address (the peer of the TCP connection).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

pub(crate) fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// A credential from `ip` failed: `error`, or 429 when it failed too often.
pub(crate) fn failed(state: &AppState, ip: IpAddr, error: ApiError) -> ApiError {
    match state.limiter().fail(ip, Instant::now()) {
        Ok(()) => error,
        Err(wait) => ApiError::TooManyRequests {
            retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
        },
    }
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("The master token is not available: {e}"))
}

/// Checks a presented master token for `ip`, counting a wrong one as a failure.
pub(crate) fn check_master(state: &AppState, ip: IpAddr, presented: &str) -> Result<(), ApiError> {
    match state.is_master(presented) {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::debug!(%ip, "wrong master token");
            Err(failed(state, ip, ApiError::InvalidMaster))
        }
        Err(e) => Err(unavailable(e)),
    }
}

/// Proof that the request carried the master token in `Authorization: Bearer`.
#[derive(Debug, Clone, Copy)]
pub struct MasterAuth;

impl FromRequestParts<AppState> for MasterAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        match bearer(&parts.headers) {
            None => {
                // No guess was made, so nothing to count.
                tracing::debug!(%ip, "no Authorization header");
                Err(ApiError::InvalidMaster)
            }
            Some(Err(())) => {
                tracing::debug!(%ip, "Authorization header is not a bearer token");
                Err(failed(state, ip, ApiError::InvalidMaster))
            }
            Some(Ok(token)) => check_master(state, ip, token).map(|()| MasterAuth),
        }
    }
}

/// A verified session token (from `Authorization: Bearer`, `?token=` or the
/// `pocketpaw_session` cookie, in that order).
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        let from_query;
        let presented = match bearer(&parts.headers) {
            Some(Ok(t)) => Some(t),
            Some(Err(())) => None,
            None => {
                from_query = query_token(parts);
                from_query
                    .as_deref()
                    .or_else(|| cookie(&parts.headers, SESSION_COOKIE))
            }
        };
        let Some(token) = presented else {
            tracing::debug!(%ip, "no session token presented");
            if parts.headers.contains_key(AUTHORIZATION) {
                return Err(failed(state, ip, ApiError::InvalidSession));
            }
            return Err(ApiError::InvalidSession);
        };
        match state.verify(token) {
            Ok(expires_at) => Ok(Session { expires_at }),
            Err(VerifyError::MasterUnavailable(e)) => Err(unavailable(e)),
            Err(VerifyError::Token(e)) => {
                tracing::debug!(%ip, "session token refused: {e}");
                Err(failed(state, ip, ApiError::InvalidSession))
            }
        }
    }
}

/// Either credential: the master token in `Authorization: Bearer`, or a valid session
/// token. Routes that hand out a credential use it to bound what they hand out: nothing
/// outlives the credential that asked for it.
#[derive(Debug, Clone, Copy)]
pub enum Credential {
    /// The master token.
    Master,
    /// A session token, expiring at this Unix second.
    Session {
        /// Expiry, Unix seconds.
        expires_at: u64,
    },
}

impl Credential {
    /// The latest expiry (Unix seconds) of anything handed out on this credential's
    /// behalf: `wanted`, cut to the session's own expiry.
    pub fn bound(self, wanted: u64) -> u64 {
        match self {
            Credential::Master => wanted,
            Credential::Session { expires_at } => wanted.min(expires_at),
        }
    }
}

impl FromRequestParts<AppState> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(Ok(token)) = bearer(&parts.headers) {
            match state.is_master(token) {
                Ok(true) => return Ok(Credential::Master),
                Ok(false) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Session::from_request_parts(parts, state)
            .await
            .map(|s| Credential::Session {
                expires_at: s.expires_at,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_trimmed() {
        assert_eq!(parse_bearer(b"Bearer abc"), Some("abc"));
        assert_eq!(parse_bearer(b"bearer abc"), Some("abc"));
        assert_eq!(parse_bearer(b"BEARER   abc  "), Some("abc"));
        assert_eq!(parse_bearer(b"  Bearer\tabc"), Some("abc"));
    }

    #[test]
    fn bearer_rejects_everything_else() {
        for bad in [
            &b""[..],
            b"Bearer",
            b"Bearer ",
            b"Basic abc",
            b"Bearerabc",
            b"Bearer a b",
            b"Bearer \xff\xfe",
            b"Token abc",
        ] {
            assert_eq!(
                parse_bearer(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; pocketpaw_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
