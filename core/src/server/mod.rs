//! The embedded HTTP server. [`router`] builds the app from an [`AppState`] (tests call it
//! directly); [`start`] binds the configured address (and the IPv6 loopback beside
//! 127.0.0.1) and serves it until shut down, finishing in-flight requests (in `listen`).

pub mod access;
pub mod auth;
pub mod conn;
pub mod docs;
pub mod error;
pub mod extract;
pub mod guard;
mod listen;
pub mod openapi;
pub mod page;
pub mod qr;
pub mod routes;

use axum::Router;
use axum::routing::{get, post};

pub use listen::{
    BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT, MAX_CONNECTIONS_PER_CLIENT, RunningServer,
    SHUTDOWN_GRACE, ServeError, ServeOptions, bind, serve, serve_with, start,
};

use crate::state::AppState;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Largest total size of request headers accepted with a JSON 431; the HTTP parser cuts
/// off anything far beyond it on its own.
pub const HEADER_LIMIT: usize = 8 * 1024;

/// The API routes, each registered under every prefix PocketPaw serves (`/api` and
/// `/api/v1`). Full paths rather than `nest`, so a request is routed once and its URI is
/// never rewritten.
fn api(mut router: Router<AppState>, prefix: &str) -> Router<AppState> {
    let routes: [(&str, axum::routing::MethodRouter<AppState>); 15] = [
        ("/auth/session", post(routes::create_session)),
        ("/auth/verify", get(routes::verify)),
        ("/auth/login", post(routes::login)),
        ("/auth/logout", post(routes::logout)),
        ("/token/regenerate", post(routes::regenerate)),
        ("/token/import", post(routes::import)),
        ("/health", get(routes::health)),
        ("/qr", get(qr::qr)),
        ("/auth/request", post(access::open)),
        ("/auth/request/{request_id}", post(access::poll)),
        ("/auth/requests", get(access::list)),
        ("/auth/requests/deny-all", post(access::deny_all)),
        ("/auth/requests/{user_code}/approve", post(access::approve)),
        ("/auth/requests/{request}/deny", post(access::deny)),
        ("/openapi.json", get(openapi::openapi_json)),
    ];
    for (path, handler) in routes {
        router = router.route(&format!("{prefix}{path}"), handler);
    }
    router
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(page::index))
        .route("/docs", get(docs::page))
        .route("/assets/docs.css", get(docs::css))
        .route("/assets/pawkey.css", get(page::css))
        .route("/assets/pawkey.js", get(page::js));
    api(api(pages, "/api"), "/api/v1")
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        .layer(axum::middleware::from_fn(guard::finish))
        .with_state(state)
}
