//! PawKey core: everything PawKey does that needs no window.
//!
//! - [`clock`]: Unix seconds and RFC 3339.
//! - [`token`]: the session token scheme (mint, parse, verify).
//! - [`secret`]: the master token type, zeroized and never printed.
//! - [`store`]: where the master token lives (OS keychain, opt-in file, memory for tests).
//! - [`config`]: typed settings from file, environment and flags.
//! - [`shortcut`]: the syntax of the desktop's copy shortcut (`Ctrl+Alt+K`).
//! - [`state`]: [`state::AppState`], the operations every front end shares (mint, verify,
//!   rotate, import, access requests).
//! - [`approval`]: access requests a person approves (browsers get tokens without the master).
//! - [`audit`]: the record of every mint.
//! - [`pocketpaw`]: PocketPaw's token file (where, reading its master, writing it whole).
//! - [`limiter`]: the failed-authentication limiter.
//! - [`server`]: the embedded HTTP server (`router()` and `serve()`).
//! - [`startup`]: configuration, paths and master-token store at start, and the shutdown
//!   signal.
//! - [`cli`]: the command line shared by `pawkeyd` and `pawkey`.
//! - [`client`]: the CLI's side of a running server (master changes, approvals).
//! - [`html`]: text made safe for HTML (pages, notifications).
//! - [`pairing`]: PocketPaw's dashboard links, the phone QR code, comparing masters.
//! - [`browser`]: opening a link with a token in the browser through a private redirect
//!   file, so the token is on no command line.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod approval;
pub mod audit;
pub mod browser;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod html;
pub mod limiter;
pub mod pairing;
pub mod pocketpaw;
pub mod secret;
pub mod server;
pub mod shortcut;
pub mod startup;
pub mod state;
pub mod store;
pub mod token;

/// PawKey's version, as shown by `--version`, `/api/health` and the window.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
