//! Typed configuration: defaults, then the TOML file, then `PAWKEY_*` environment
//! variables, then command-line flags. An invalid file is reported with its path, line and
//! field, and is never overwritten. Here the settings themselves, their errors and the
//! standard paths; reading in `load`, the allowed values in `validate`, writing in `save`.

mod load;
mod save;
mod validate;

pub use validate::{
    DashboardUrl, check_dashboard_url, check_host, check_origin, local_dashboard_origin,
    parse_dashboard_url,
};

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::token::TokenFormat;

/// Smallest allowed `ttl_hours`.
pub const MIN_TTL_HOURS: u32 = 1;
/// Largest allowed `ttl_hours` (30 days).
pub const MAX_TTL_HOURS: u32 = 720;
/// Largest allowed `clipboard_clear_seconds` (one day).
pub const MAX_CLIPBOARD_CLEAR_SECONDS: u32 = 86_400;
/// Largest allowed `window_keep_seconds` (one hour).
pub const MAX_WINDOW_KEEP_SECONDS: u32 = 3_600;

/// PawKey's settings. Every field has a default, so an empty or missing file is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// TCP port of the embedded server (default 8000, as PocketPaw's API docs use).
    pub port: u16,
    /// Address to listen on (default 127.0.0.1; the IPv6 loopback is served too).
    pub bind: IpAddr,
    /// Lifetime of a new session token in hours, 1–720 (default 24).
    pub ttl_hours: u32,
    /// Form of new session tokens: "session" (`session:<exp>:<sig>`) or "pocketpaw".
    pub token_format: TokenFormat,
    /// Extra browser origins allowed to call the server, e.g. "http://127.0.0.1:8888".
    pub allowed_origins: Vec<String>,
    /// Extra `Host` header values accepted besides localhost, 127.0.0.1 and `[::1]`.
    pub extra_hosts: Vec<String>,
    /// Seconds after which a copied token is cleared from the clipboard (0 = never).
    pub clipboard_clear_seconds: u32,
    /// Where PocketPaw's dashboard runs (PocketPaw's default is http://127.0.0.1:8888).
    pub dashboard_url: String,
    /// Keep PocketPaw in step: rotating PawKey's master also writes it to PocketPaw's
    /// `~/.pocketpaw/access_token`, so both revoke their tokens together. Set when the
    /// master is imported from PocketPaw.
    pub sync_pocketpaw: bool,
    /// Desktop app: seconds a closed window keeps its web page before it is dropped to
    /// free its memory (0 = at once). Reopening within this time is instant; after it, the
    /// window is built again in the state it was left in.
    pub window_keep_seconds: u32,
    /// Desktop app: when started at login, stay in the tray without a window.
    pub start_hidden_at_login: bool,
    /// Desktop app: a system-wide shortcut that mints a token with the default lifetime
    /// and copies it, as the tray's "Copy new session token" does, e.g. "Ctrl+Alt+K"
    /// ([`crate::shortcut::parse_shortcut`]); "" (the default) for none.
    pub copy_shortcut: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 8000,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ttl_hours: 24,
            token_format: TokenFormat::Session,
            allowed_origins: Vec::new(),
            extra_hosts: Vec::new(),
            clipboard_clear_seconds: 30,
            dashboard_url: "http://127.0.0.1:8888".to_owned(),
            sync_pocketpaw: false,
            window_keep_seconds: 60,
            start_hidden_at_login: true,
            // Off until asked for: a global shortcut takes its keys from every other
            // application, and any free combination today may be another app's tomorrow.
            copy_shortcut: String::new(),
        }
    }
}

/// Where a bad value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The config file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag or a settings form.
    Setting,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "config file {}", p.display()),
            Origin::Env(v) => write!(f, "environment variable {v}"),
            Origin::Setting => write!(f, "value (command line or settings)"),
        }
    }
}

/// A configuration problem, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML or has a field of the wrong type or name.
    #[error(
        "invalid config file {path}, line {line}{}: {message} (fix the file; PawKey has not changed it)",
        field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default()
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// The key on that line, when there is one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A value is well-typed but out of range.
    #[error("invalid {origin}, field `{field}`: {message}")]
    Invalid {
        /// Where the value came from.
        origin: Origin,
        /// The field name.
        field: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The file exists but could not be read or written.
    #[error("cannot {action} config file {path}: {source}")]
    Io {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The standard locations of PawKey's files.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The config file (`~/.config/pawkey/config.toml` on Linux).
    pub config_file: PathBuf,
    /// The data directory holding the audit log (`~/.local/share/pawkey` on Linux).
    pub data_dir: PathBuf,
}

impl Paths {
    /// The OS defaults, with `PAWKEY_CONFIG` and `PAWKEY_DATA_DIR` overriding them.
    pub fn from_env() -> Self {
        let dirs = directories::ProjectDirs::from("", "", "pawkey");
        let config_file = std::env::var_os("PAWKEY_CONFIG")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().join("config.toml")))
            .unwrap_or_else(|| PathBuf::from("pawkey.toml"));
        let data_dir = std::env::var_os("PAWKEY_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("."));
        Self {
            config_file,
            data_dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Config, ConfigError};

    /// `text` read as the config file `/cfg/config.toml`.
    pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/cfg/config.toml"))
    }
}
