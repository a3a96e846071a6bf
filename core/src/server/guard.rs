//! The two middleware layers every request passes:
//! - [`guard`]: `Host` allowlist (DNS rebinding; one `Host`, and the authority of an
//!   absolute-form request line checked too), header and body size limits, `Origin`
//!   allowlist and CORS (preflight, Private Network Access included, answered for allowed
//!   origins only). Allowed origins are PawKey's own, Tauri's webview, the configured
//!   dashboard's and those named in `allowed_origins`; no other local page.
//! - [`finish`]: security headers on every response, `{"detail"}` JSON for any error the
//!   framework produced itself, and a request log line that never contains a query string,
//!   a cookie or an `Authorization` header.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::{BODY_LIMIT, HEADER_LIMIT};
use crate::config::Config;
use crate::state::AppState;

/// Loopback host names accepted in `Host`.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every response carries, including those the HTTP parser answers by itself
/// (see `conn::JsonRejections`).
pub(crate) const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::CACHE_CONTROL, "no-store"),
];

/// Is `host` (a `Host` header value) one we serve on `port`?
pub fn host_allowed(host: &str, port: u16, extra_hosts: &[String]) -> bool {
    let host = host.trim();
    if host.is_empty() {
        return false;
    }
    let (name, host_port) = split_host_port(host);
    let Some(name) = name else { return false };
    let port_ok = |p: Option<u16>| p.is_none() || p == Some(port);
    if LOOPBACK_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return host_port.is_ok_and(port_ok);
    }
    extra_hosts.iter().any(|extra| {
        let (extra_name, extra_port) = split_host_port(extra);
        extra_name.is_some_and(|n| n.eq_ignore_ascii_case(name))
            && match (extra_port, host_port) {
                (Ok(Some(want)), Ok(got)) => got.unwrap_or(80) == want,
                (Ok(None), Ok(got)) => port_ok(got),
                _ => false,
            }
    })
}

/// Splits `name[:port]` (with `[v6]` brackets). `Err` for a port that is not a number or
/// anything but `:port` after a closing bracket.
fn split_host_port(s: &str) -> (Option<&str>, Result<Option<u16>, ()>) {
    let (name, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(end) => {
                let rest = &s[end + 1..];
                if rest.is_empty() {
                    (&s[..=end], None)
                } else if let Some(p) = rest.strip_prefix(':') {
                    (&s[..=end], Some(p))
                } else {
                    return (None, Err(()));
                }
            }
            None => return (None, Err(())),
        }
    } else {
        match s.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => Ok(None),
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().map(Some).map_err(|_| ())
        }
        Some(_) => Err(()),
    };
    (Some(name).filter(|n| !n.is_empty()), port)
}

/// Is `origin` (an `Origin` header value) allowed to call us on `port`? Allowed: PawKey's
/// own pages (`http://` and a host [`host_allowed`] accepts, with our port), the configured
/// dashboard's origin when the dashboard runs on this machine, and every origin in
/// `allowed_origins`. Not Tauri's webview origins (`tauri://localhost`,
/// `http(s)://tauri.localhost`): every Tauri app on the machine has them, and PawKey's own
/// window talks to it over IPC, never HTTP.
pub fn origin_allowed(origin: &str, port: u16, config: &Config) -> bool {
    if config.allowed_origins.iter().any(|a| a == origin)
        || crate::config::local_dashboard_origin(&config.dashboard_url)
            .is_some_and(|d| d.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    // An origin states its port unless it is the scheme's default.
    let (_, origin_port) = split_host_port(rest);
    let effective = match origin_port {
        Ok(p) => p.unwrap_or(80),
        Err(()) => return false,
    };
    effective == port && host_allowed(rest, port, &config.extra_hosts)
}

/// The one `Host` of a request: `Err` for several. An absolute-form request line
/// (`GET http://host/ HTTP/1.1`) names the host the request is for, so its authority is
/// what counts, and a `Host` beside it must agree.
fn request_host(req: &Request) -> Result<Option<&str>, ()> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(());
    }
    let host = match host {
        Some(h) => Some(h.to_str().map_err(|_| ())?),
        None => None,
    };
    match req.uri().authority().map(|a| a.as_str()) {
        Some(authority) => match host {
            Some(h) if !h.trim().eq_ignore_ascii_case(authority) => Err(()),
            _ => Ok(Some(authority)),
        },
        None => Ok(host),
    }
}

/// First layer: rejects what must never reach a handler.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let config = state.config();

    let port = state.listening_port();
    match request_host(&req) {
        Ok(Some(host)) if host_allowed(host, port, &config.extra_hosts) => {}
        Ok(_) => return ApiError::HostNotAllowed.into_response(),
        Err(()) => {
            return ApiError::BadRequest(
                "Conflicting Host: send exactly one Host header naming this server".into(),
            )
            .into_response();
        }
    }

    let header_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > HEADER_LIMIT {
        return ApiError::HeadersTooLarge.into_response();
    }

    let too_long = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > BODY_LIMIT as u64);
    if too_long {
        return ApiError::PayloadTooLarge.into_response();
    }

    let origin = match headers.get(header::ORIGIN) {
        None => None,
        Some(o) => match o.to_str() {
            Ok(o) if origin_allowed(o, port, &config) => Some(o.to_owned()),
            _ => return ApiError::OriginNotAllowed.into_response(),
        },
    };
    drop(config);

    let Some(origin) = origin else {
        return next.run(req).await;
    };
    if req.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let private_network = headers
            .get(REQUEST_PRIVATE_NETWORK)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        return preflight(&origin, private_network);
    }
    let mut response = next.run(req).await;
    cors_headers(response.headers_mut(), &origin);
    response
}

fn cors_headers(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Private Network Access: a page asks before it may call a server on the loopback.
const REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
const ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

fn preflight(origin: &str, private_network: bool) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    cors_headers(h, origin);
    if private_network {
        h.insert(ALLOW_PRIVATE_NETWORK, HeaderValue::from_static("true"));
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// Outer layer: headers every response carries, JSON for framework errors, the access log.
pub async fn finish(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // Logged as the path only: a query string may hold `?token=`. (Cloning a Uri shares
    // its bytes; nothing is copied on this hot path.)
    let uri = req.uri().clone();
    let mut response = next.run(req).await;

    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        response = json_error(response);
    }

    let h = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }

    let status = response.status();
    let path = loggable_path(uri.path());
    if status.is_server_error() {
        tracing::warn!(%method, %path, status = status.as_u16(), "request failed");
    } else {
        tracing::debug!(
            %method,
            %path,
            status = status.as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
    }
    response
}

/// A path as the access log shows it: secrets in a path (the request id of
/// `/auth/request/{request_id}`) are replaced by their name.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SECRET_AFTER: &str = "/auth/request/";
    match path.find(SECRET_AFTER) {
        Some(i) => format!("{}{{request_id}}", &path[..i + SECRET_AFTER.len()]).into(),
        None => path.into(),
    }
}

/// Rewrites an error response the framework produced (405, a rejected extractor...) into
/// our `{"detail"}` shape, keeping its status and headers such as `Allow`.
fn json_error(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    let reason = parts.status.canonical_reason().unwrap_or("Error");
    let body = serde_json::to_vec(&super::error::ErrorBody {
        detail: reason.to_owned(),
    })
    .unwrap_or_else(|_| b"{\"detail\":\"Error\"}".to_vec());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_our_port_only() {
        for ok in [
            "localhost:8000",
            "127.0.0.1:8000",
            "[::1]:8000",
            "LOCALHOST:8000",
            "localhost",
        ] {
            assert!(host_allowed(ok, 8000, &[]), "{ok}");
        }
        for bad in [
            "",
            " ",
            "evil.com",
            "evil.com:8000",
            "localhost:8001",
            "localhost.evil.com:8000",
            "127.0.0.1.nip.io:8000",
            "localhost:",
            "localhost:abc",
            "[::1",
            "0.0.0.0:8000",
            "127.0.0.2:8000",
            "[::1]x:8000",
            "[::1]x",
            "[::1]:8000x",
            "[::1]evil.com",
        ] {
            assert!(!host_allowed(bad, 8000, &[]), "{bad:?}");
        }
    }

    #[test]
    fn request_ids_never_reach_the_access_log() {
        let id = "ab".repeat(32);
        assert_eq!(
            loggable_path(&format!("/api/auth/request/{id}")),
            "/api/auth/request/{request_id}"
        );
        assert_eq!(
            loggable_path(&format!("/api/v1/auth/request/{id}/x")),
            "/api/v1/auth/request/{request_id}"
        );
        assert_eq!(loggable_path("/api/auth/requests"), "/api/auth/requests");
        assert_eq!(loggable_path("/api/auth/verify"), "/api/auth/verify");
    }

    #[test]
    fn extra_hosts_are_honoured() {
        let extra = vec!["pawkey.local".to_owned(), "box:9000".to_owned()];
        assert!(host_allowed("pawkey.local:8000", 8000, &extra));
        assert!(host_allowed("box:9000", 8000, &extra));
        assert!(!host_allowed("box:8000", 8000, &extra));
        assert!(!host_allowed("other.local:8000", 8000, &extra));
    }

    #[test]
    fn origins() {
        let config = Config::default();
        for ok in [
            "http://localhost:8000",
            "http://127.0.0.1:8000",
            "http://[::1]:8000",
            // The default dashboard_url's origin.
            "http://127.0.0.1:8888",
        ] {
            assert!(origin_allowed(ok, 8000, &config), "{ok}");
        }
        for bad in [
            // Every Tauri app's webview has these; PawKey's window uses IPC.
            "tauri://localhost",
            "http://tauri.localhost",
            "https://tauri.localhost",
            "null",
            "http://evil.com",
            "https://localhost:8000",
            "http://localhost.evil.com",
            "http://127.0.0.1.evil.com:80",
            "http://localhost:5555",
            "http://localhost",
            "http://[::1]evil.com",
            "http://[::1]evil.com:8000",
            "http://localhost:8000/",
            "",
        ] {
            assert!(!origin_allowed(bad, 8000, &config), "{bad}");
        }
        let config = Config {
            allowed_origins: vec!["https://app.example".to_owned()],
            dashboard_url: "http://[::1]:9999/app".to_owned(),
            ..Config::default()
        };
        assert!(origin_allowed("https://app.example", 8000, &config));
        assert!(origin_allowed("http://[::1]:9999", 8000, &config));
        assert!(!origin_allowed("http://127.0.0.1:8888", 8000, &config));
        // A dashboard on another machine does not join the list by itself: name it in
        // allowed_origins if its pages should call PawKey.
        let remote = Config {
            dashboard_url: "https://paw.example:8443/app".to_owned(),
            ..Config::default()
        };
        assert!(!origin_allowed("https://paw.example:8443", 8000, &remote));
    }
}
