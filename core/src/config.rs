//! Typed configuration: defaults, then the TOML file, then `PAWKEY_*` environment
//! variables, then command-line flags. An invalid file is reported with its path, line and
//! field, and is never overwritten.

use std::fmt;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

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
    /// Extra `Host` header values accepted besides localhost, 127.0.0.1 and [::1].
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

impl Config {
    /// Parses a config file's text. `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let field = line_text
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_owned())
                .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.starts_with('['));
            ConfigError::Parse {
                path: path.to_owned(),
                line,
                field,
                message: e.message().trim().to_owned(),
            }
        })?;
        config.validate(&Origin::File(path.to_owned()))?;
        Ok(config)
    }

    /// Reads `path`; a missing file means all defaults.
    pub fn load_file(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Applies `PAWKEY_*` overrides read through `var` (so tests need not touch the process
    /// environment). Lists are comma-separated.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(
            name: &'static str,
            field: &'static str,
            raw: &str,
        ) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            raw.trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid {
                    origin: Origin::Env(name),
                    field,
                    message: format!("{raw:?} is not valid: {e}"),
                })
        }
        fn list(raw: &str) -> Vec<String> {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }
        let mut touched = None;
        if let Some(v) = var("PAWKEY_PORT") {
            self.port = parsed("PAWKEY_PORT", "port", &v)?;
            touched = Some("PAWKEY_PORT");
        }
        if let Some(v) = var("PAWKEY_BIND") {
            self.bind = parsed("PAWKEY_BIND", "bind", &v)?;
            touched = Some("PAWKEY_BIND");
        }
        if let Some(v) = var("PAWKEY_TTL_HOURS") {
            self.ttl_hours = parsed("PAWKEY_TTL_HOURS", "ttl_hours", &v)?;
            touched = Some("PAWKEY_TTL_HOURS");
        }
        if let Some(v) = var("PAWKEY_TOKEN_FORMAT") {
            self.token_format = parsed("PAWKEY_TOKEN_FORMAT", "token_format", &v)?;
            touched = Some("PAWKEY_TOKEN_FORMAT");
        }
        if let Some(v) = var("PAWKEY_ALLOWED_ORIGINS") {
            self.allowed_origins = list(&v);
            touched = Some("PAWKEY_ALLOWED_ORIGINS");
        }
        if let Some(v) = var("PAWKEY_EXTRA_HOSTS") {
            self.extra_hosts = list(&v);
            touched = Some("PAWKEY_EXTRA_HOSTS");
        }
        if let Some(v) = var("PAWKEY_CLIPBOARD_CLEAR_SECONDS") {
            self.clipboard_clear_seconds = parsed(
                "PAWKEY_CLIPBOARD_CLEAR_SECONDS",
                "clipboard_clear_seconds",
                &v,
            )?;
            touched = Some("PAWKEY_CLIPBOARD_CLEAR_SECONDS");
        }
        if let Some(v) = var("PAWKEY_DASHBOARD_URL") {
            self.dashboard_url = v.trim().to_owned();
            touched = Some("PAWKEY_DASHBOARD_URL");
        }
        if let Some(v) = var("PAWKEY_COPY_SHORTCUT") {
            self.copy_shortcut = v.trim().to_owned();
            touched = Some("PAWKEY_COPY_SHORTCUT");
        }
        match touched {
            Some(name) => self.validate(&Origin::Env(name)),
            None => Ok(()),
        }
    }

    /// Checks ranges and the shape of origins and hosts.
    pub fn validate(&self, origin: &Origin) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            None => Ok(()),
            Some((field, message)) => Err(ConfigError::Invalid {
                origin: origin.clone(),
                field,
                message,
            }),
        }
    }

    /// Every field that is out of range or badly shaped, with what is wrong and what is
    /// allowed, in field order (a settings form shows them all at once).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !(MIN_TTL_HOURS..=MAX_TTL_HOURS).contains(&self.ttl_hours) {
            problems.push((
                "ttl_hours",
                format!(
                    "{} is out of range; use {MIN_TTL_HOURS} to {MAX_TTL_HOURS} hours",
                    self.ttl_hours
                ),
            ));
        }
        if self.clipboard_clear_seconds > MAX_CLIPBOARD_CLEAR_SECONDS {
            problems.push((
                "clipboard_clear_seconds",
                format!(
                    "{} is out of range; use 0 (never) to {MAX_CLIPBOARD_CLEAR_SECONDS}",
                    self.clipboard_clear_seconds
                ),
            ));
        }
        if self.window_keep_seconds > MAX_WINDOW_KEEP_SECONDS {
            problems.push((
                "window_keep_seconds",
                format!(
                    "{} is out of range; use 0 (drop at once) to {MAX_WINDOW_KEEP_SECONDS}",
                    self.window_keep_seconds
                ),
            ));
        }
        if let Some(m) = self
            .allowed_origins
            .iter()
            .find_map(|o| check_origin(o).err().map(|m| format!("{o:?}: {m}")))
        {
            problems.push(("allowed_origins", m));
        }
        if let Err(m) = check_dashboard_url(&self.dashboard_url) {
            problems.push(("dashboard_url", format!("{:?}: {m}", self.dashboard_url)));
        }
        if let Some(m) = self
            .extra_hosts
            .iter()
            .find_map(|h| check_host(h).err().map(|m| format!("{h:?}: {m}")))
        {
            problems.push(("extra_hosts", m));
        }
        if let Err(m) = crate::shortcut::parse_shortcut(&self.copy_shortcut) {
            problems.push(("copy_shortcut", m));
        }
        problems
    }

    /// Saves what the person changed, and only that: the file as it is, plus every field
    /// where `wanted` differs from `running` (the config in use, which includes `PAWKEY_*`
    /// overrides and flags). A one-off `PAWKEY_BIND=0.0.0.0` therefore never becomes
    /// permanent because some other setting was saved. Returns what the file now holds.
    pub fn save_changes(
        path: &Path,
        running: &Config,
        wanted: &Config,
    ) -> Result<Config, ConfigError> {
        wanted.validate(&Origin::Setting)?;
        let io = |e: String| ConfigError::Io {
            action: "write",
            path: path.to_owned(),
            source: std::io::Error::other(e),
        };
        let table = |c: &Config| toml::Table::try_from(c).map_err(|e| io(e.to_string()));
        let mut on_file = table(&Self::load_file(path)?)?;
        let running = table(running)?;
        for (field, value) in table(wanted)? {
            if running.get(&field) != Some(&value) {
                on_file.insert(field, value);
            }
        }
        let merged: Config = on_file.try_into().map_err(|e| io(e.to_string()))?;
        merged.save(path)?;
        Ok(merged)
    }

    /// Writes the config atomically (temporary file, then rename), mode 0600 on Unix.
    /// Refuses to replace an existing file that does not parse, so nothing is lost.
    /// The temporary file has a random name and is created new, never through a symbolic
    /// link ([`create_temp_file`]).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        self.validate(&Origin::Setting)?;
        if path.exists() {
            Self::load_file(path)?;
        }
        let io = |source| ConfigError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let text = toml::to_string_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| io(std::io::Error::other(e.to_string())))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("config.toml"),
            hex::encode(random)
        ));
        // Only a file this call created is ever removed again.
        let mut f = create_temp_file(&tmp).map_err(io)?;
        let mut write = || -> std::io::Result<()> {
            f.write_all(b"# PawKey settings. See the README's configuration table.\n")?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

/// Creates `path` for writing: it must not exist yet (`O_CREAT|O_EXCL`, which also refuses
/// a symbolic link there, dangling or not) and, on Unix, is never opened through a symbolic
/// link (`O_NOFOLLOW`) and is created mode 0600.
fn create_temp_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
        opts.custom_flags(OFlags::NOFOLLOW.bits() as i32);
    }
    opts.open(path)
}

/// An allowed origin is `scheme://host[:port]` with no path, query or trailing slash.
pub fn check_origin(o: &str) -> Result<(), &'static str> {
    let (scheme, rest) = o.split_once("://").ok_or("expected scheme://host[:port]")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'+' || b == b'-')
    {
        return Err("the scheme must be lowercase letters, e.g. http");
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err("expected scheme://host[:port] with no path, wildcard or trailing slash");
    }
    Ok(())
}

/// A dashboard URL taken apart: `scheme://host[:port]` and the host alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardUrl<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The host as written: a name, an IPv4 address or `[v6]`.
    pub host: &'a str,
    /// The origin, `scheme://host[:port]`.
    pub origin: &'a str,
}

impl DashboardUrl<'_> {
    /// Whether the host is this machine (`localhost`, `127.x.y.z`, `[::1]`).
    pub fn is_local(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| a.is_loopback())
    }
}

/// Parses a dashboard URL, `http(s)://host[:port][/path]`: no userinfo (in
/// `http://127.0.0.1:8888@evil.example` the host is `evil.example`), no backslash, no
/// query or fragment (PawKey appends `/?token=...`), nothing but ASCII letters, digits,
/// dots and dashes in a host name.
pub fn parse_dashboard_url(u: &str) -> Result<DashboardUrl<'_>, &'static str> {
    let (scheme, rest) = u
        .split_once("://")
        .filter(|(s, _)| *s == "http" || *s == "https")
        .ok_or("expected http://host:port or https://host:port")?;
    if !u.is_ascii() {
        return Err("use plain ASCII: write an international host name in its xn-- form");
    }
    if u.contains('\\') {
        return Err("a backslash is not allowed (browsers read it as a slash)");
    }
    if rest.contains(['?', '#', ' ', '"', '<', '>']) || u.bytes().any(|b| b.is_ascii_control()) {
        return Err("expected http://host:port with no query, fragment or spaces");
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err("no user name or password before the host (the part up to @ is not the host)");
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority
            .find(']')
            .ok_or("an IPv6 address needs its closing ]")?;
        (&authority[..=end], authority[end + 1..].strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !host.starts_with(['.', '-'])
    };
    if !host_ok {
        return Err("the host must be a name, an IPv4 address or [an IPv6 address]");
    }
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err() {
            return Err("the port must be a number from 1 to 65535");
        }
    } else if authority.len() != host.len() {
        return Err("the host must be a name, an IPv4 address or [an IPv6 address]");
    }
    Ok(DashboardUrl {
        scheme,
        host,
        origin: &u[..scheme.len() + 3 + authority.len()],
    })
}

/// The dashboard URL is `http(s)://host[:port][/path]` (see [`parse_dashboard_url`]).
pub fn check_dashboard_url(u: &str) -> Result<(), &'static str> {
    parse_dashboard_url(u).map(|_| ())
}

/// The dashboard's origin when it runs on this machine: pages from there may call PawKey
/// (ask for access, log in) without being named in `allowed_origins`. A dashboard
/// elsewhere gets no such right by itself.
pub fn local_dashboard_origin(u: &str) -> Option<&str> {
    parse_dashboard_url(u)
        .ok()
        .filter(DashboardUrl::is_local)
        .map(|d| d.origin)
}

/// An extra host is a hostname or address, optionally with `:port`.
pub fn check_host(h: &str) -> Result<(), &'static str> {
    if h.is_empty()
        || !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return Err("expected a hostname such as pawkey.local or pawkey.local:8000");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/cfg/config.toml"))
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
        assert_eq!(Config::default().ttl_hours, 24);
        assert_eq!(Config::default().clipboard_clear_seconds, 30);
    }

    #[test]
    fn the_window_settings_have_defaults_and_a_range() {
        let c = Config::default();
        assert_eq!(c.window_keep_seconds, 60);
        assert!(c.start_hidden_at_login);
        let c = parse("window_keep_seconds = 0\nstart_hidden_at_login = false\n").unwrap();
        assert_eq!(c.window_keep_seconds, 0);
        assert!(!c.start_hidden_at_login);
        let e = parse("window_keep_seconds = 3601\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("window_keep_seconds") && e.contains("3600"),
            "{e}"
        );
    }

    #[test]
    fn full_file_parses() {
        let c = parse(
            "port = 9000\nbind = \"127.0.0.1\"\nttl_hours = 8\ntoken_format = \"pocketpaw\"\n\
             allowed_origins = [\"http://127.0.0.1:8888\"]\nextra_hosts = [\"pawkey.local\"]\n\
             clipboard_clear_seconds = 0\n",
        )
        .unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.token_format, TokenFormat::Pocketpaw);
        assert_eq!(c.clipboard_clear_seconds, 0);
    }

    #[test]
    fn type_error_names_file_line_and_field() {
        let e = parse("ttl_hours = 8\nport = \"eighty\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/cfg/config.toml"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("field `port`"), "{e}");
    }

    #[test]
    fn unknown_field_is_refused() {
        let e = parse("\n\nttl = 3\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("`ttl`"), "{e}");
    }

    #[test]
    fn out_of_range_ttl_is_refused() {
        let e = parse("ttl_hours = 721").unwrap_err().to_string();
        assert!(e.contains("ttl_hours") && e.contains("1 to 720"), "{e}");
        assert!(parse("ttl_hours = 0").is_err());
        assert!(parse("ttl_hours = 720").is_ok());
    }

    #[test]
    fn bad_origin_is_refused() {
        assert!(parse("allowed_origins = [\"http://x:1/\"]").is_err());
        assert!(parse("allowed_origins = [\"*\"]").is_err());
        assert!(parse("allowed_origins = [\"https://app.example:8443\"]").is_ok());
    }

    #[test]
    fn every_fields_problem_is_reported_at_once() {
        let c = Config {
            ttl_hours: 0,
            clipboard_clear_seconds: u32::MAX,
            allowed_origins: vec!["*".into()],
            dashboard_url: "ftp://x".into(),
            extra_hosts: vec!["bad host".into()],
            copy_shortcut: "K".into(),
            ..Config::default()
        };
        let fields: Vec<&str> = c.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "ttl_hours",
                "clipboard_clear_seconds",
                "allowed_origins",
                "dashboard_url",
                "extra_hosts",
                "copy_shortcut"
            ]
        );
        assert!(Config::default().problems().is_empty());
    }

    #[test]
    fn dashboard_url_is_checked() {
        assert_eq!(parse("").unwrap().dashboard_url, "http://127.0.0.1:8888");
        assert!(parse("dashboard_url = \"https://paw.example:8443/app\"").is_ok());
        for bad in ["ftp://x", "http://", "http://x/?a=1", "127.0.0.1:8888"] {
            let e = parse(&format!("dashboard_url = {bad:?}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("dashboard_url"), "{e}");
        }
    }

    #[test]
    fn copy_shortcut_is_off_by_default_and_its_syntax_is_checked() {
        assert_eq!(Config::default().copy_shortcut, "");
        assert_eq!(
            parse("copy_shortcut = \"Ctrl+Alt+K\"")
                .unwrap()
                .copy_shortcut,
            "Ctrl+Alt+K"
        );
        let e = parse("copy_shortcut = \"Ctrl+Alt\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("copy_shortcut") && e.contains("no key"), "{e}");
        let mut c = Config::default();
        c.apply_env(|k| (k == "PAWKEY_COPY_SHORTCUT").then(|| " Ctrl+Shift+F9 ".into()))
            .unwrap();
        assert_eq!(c.copy_shortcut, "Ctrl+Shift+F9");
        let e = c
            .apply_env(|k| (k == "PAWKEY_COPY_SHORTCUT").then(|| "F9".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("PAWKEY_COPY_SHORTCUT") && e.contains("needs Ctrl, Alt or Super"),
            "{e}"
        );
    }

    #[test]
    fn env_overrides_file() {
        let mut c = parse("port = 9000").unwrap();
        c.apply_env(|k| match k {
            "PAWKEY_PORT" => Some("9100".into()),
            "PAWKEY_ALLOWED_ORIGINS" => Some("http://a:1, http://b:2".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.port, 9100);
        assert_eq!(c.allowed_origins, vec!["http://a:1", "http://b:2"]);
        let e = c
            .apply_env(|k| (k == "PAWKEY_TTL_HOURS").then(|| "lots".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PAWKEY_TTL_HOURS"), "{e}");
    }

    #[test]
    fn save_round_trips_and_refuses_to_clobber_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let c = Config {
            port: 9123,
            ..Config::default()
        };
        c.save(&path).unwrap();
        assert_eq!(Config::load_file(&path).unwrap(), c);

        std::fs::write(&path, "port = [").unwrap();
        assert!(c.save(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "port = [");
    }

    #[test]
    fn dashboard_urls_are_parsed_strictly() {
        for (url, host, local) in [
            ("http://127.0.0.1:8888", "127.0.0.1", true),
            ("http://localhost:8888/app/", "localhost", true),
            ("http://[::1]:8888", "[::1]", true),
            ("https://paw.example", "paw.example", false),
            ("http://192.168.1.20:8888", "192.168.1.20", false),
            (
                "http://localhost.evil.example:8888",
                "localhost.evil.example",
                false,
            ),
            (
                "http://127.0.0.1.evil.example",
                "127.0.0.1.evil.example",
                false,
            ),
        ] {
            let d = parse_dashboard_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((d.host, d.is_local()), (host, local), "{url}");
        }
        assert_eq!(
            local_dashboard_origin("http://127.0.0.1:8888/x"),
            Some("http://127.0.0.1:8888")
        );
        assert_eq!(local_dashboard_origin("https://paw.example"), None);
        for bad in [
            "http://127.0.0.1:8888@evil.example",
            "http://user:pw@127.0.0.1:8888",
            "http://evil.example\\@127.0.0.1:8888",
            "http://127.0.0.1:8888\\x",
            "http://lоcalhost:8888",
            "http://xn--80ak6aa92e.com:99999",
            "http://:8888",
            "http://[::1",
            "http://host:port",
            "http://127.0.0.1:8888/?token=x",
            "ftp://paw",
            "http://a b",
        ] {
            assert!(parse_dashboard_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn saving_keeps_environment_overrides_out_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "port = 9000\n").unwrap();
        let mut running = Config::load_file(&path).unwrap();
        running
            .apply_env(|name| match name {
                "PAWKEY_BIND" => Some("0.0.0.0".into()),
                "PAWKEY_EXTRA_HOSTS" => Some("box.local".into()),
                "PAWKEY_ALLOWED_ORIGINS" => Some("http://evil.example".into()),
                _ => None,
            })
            .unwrap();
        // No change at all: the file stays what it was.
        let saved = Config::save_changes(&path, &running, &running.clone()).unwrap();
        assert_eq!(saved, Config::load_file(&path).unwrap());
        assert_eq!(saved.bind, Config::default().bind);
        assert!(saved.extra_hosts.is_empty() && saved.allowed_origins.is_empty());
        assert_eq!(saved.port, 9000);
        // One field changed: that one is saved, the overrides still are not.
        let wanted = Config {
            ttl_hours: 8,
            ..running.clone()
        };
        let saved = Config::save_changes(&path, &running, &wanted).unwrap();
        assert_eq!(saved.ttl_hours, 8);
        assert_eq!(saved.bind, Config::default().bind);
        assert!(saved.allowed_origins.is_empty());
        // Changing an overridden field on purpose saves it.
        let wanted = Config {
            allowed_origins: vec!["https://app.example".into()],
            ..running.clone()
        };
        let saved = Config::save_changes(&path, &running, &wanted).unwrap();
        assert_eq!(saved.allowed_origins, ["https://app.example"]);
        assert_eq!(saved.bind, Config::default().bind);
    }

    /// A symbolic link planted where the temporary file goes is neither followed nor
    /// replaced: what it points at stays as it was, and the save still lands.
    #[cfg(unix)]
    #[test]
    fn save_never_writes_through_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // The old temporary name was predictable (`.config.toml.tmp-<pid>`).
        let planted = dir
            .path()
            .join(format!(".config.toml.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let c = Config {
            port: 9124,
            ..Config::default()
        };
        c.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(Config::load_file(&path).unwrap(), c);
        // The planted link is left alone and is the only temporary name left behind.
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".config.toml.tmp-"))
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");

        // Whatever the name, the temporary file is created new and never through a link:
        // a link there, dangling or pointing at a file, is an error and stays untouched.
        let dangling = dir.path().join("dangling-target");
        for target in [&victim, &dangling] {
            let at = dir.path().join(".config.toml.tmp-fixed");
            let _ = std::fs::remove_file(&at);
            std::os::unix::fs::symlink(target, &at).unwrap();
            let e = create_temp_file(&at).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
            assert!(!dangling.exists());
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}
