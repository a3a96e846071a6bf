//! `GET /`: a small page for a person who opens `http://localhost:8000` in a browser. It
//! holds no secrets and no inline script (the CSP forbids it): the login form is enhanced
//! by `/assets/pawkey.js`, and the session state is rendered on the server from the cookie.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse};

use super::auth::{SESSION_COOKIE, cookie};
use crate::clock::{now_unix, rfc3339};
use crate::state::AppState;

const CSS: &str = include_str!("../../assets/pawkey.css");
const JS: &str = include_str!("../../assets/pawkey.js");
const TEMPLATE: &str = include_str!("../../assets/index.html");

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The landing page.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let session = cookie(&headers, SESSION_COOKIE).and_then(|t| state.verify(t).ok());
    let session_html = match session {
        Some(exp) => {
            let mins = exp.saturating_sub(now_unix()) / 60;
            format!(
                "<p class=\"ok\" id=\"session-state\">This browser holds a valid session until \
                 <time datetime=\"{at}\">{at}</time> ({h} h {m} min left).</p>\
                 <button type=\"button\" id=\"logout\">Log out</button>",
                at = rfc3339(exp),
                h = mins / 60,
                m = mins % 60
            )
        }
        None => "<p id=\"session-state\">This browser is not logged in.</p>".to_owned(),
    };
    let port = state.listening_port();
    let html = TEMPLATE
        .replace("{{VERSION}}", &escape(crate::VERSION))
        .replace("{{PORT}}", &port.to_string())
        .replace("{{SESSION}}", &session_html)
        .replace(
            "{{LOGIN_HIDDEN}}",
            if session.is_some() { "hidden" } else { "" },
        );
    Html(html)
}

fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
}

/// The page's stylesheet.
pub async fn css() -> impl IntoResponse {
    asset(CSS, "text/css; charset=utf-8")
}

/// The page's script (login form and log out).
pub async fn js() -> impl IntoResponse {
    asset(JS, "text/javascript; charset=utf-8")
}
