//! The settings form: what the window shows ([`SettingsView`]) and how what the user typed
//! ([`SettingsForm`], raw strings) becomes a validated [`Config`] — every invalid field is
//! reported at once, with the reason, so the window can mark each one inline.

use pawkey_core::config::{
    Config, MAX_CLIPBOARD_CLEAR_SECONDS, MAX_TTL_HOURS, MAX_WINDOW_KEEP_SECONDS, Origin,
};
use pawkey_core::token::TokenFormat;
use serde::{Deserialize, Serialize};

use crate::error::{CommandError, FieldError};
use crate::shortcut::ShortcutStatus;

/// The settings as the window shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsView {
    /// Port of the embedded server.
    pub port: u16,
    /// Default and longest lifetime of a session token, in hours.
    pub ttl_hours: u32,
    /// `session` or `pocketpaw`.
    pub token_format: TokenFormat,
    /// Seconds until a copied token is cleared from the clipboard (0 = never).
    pub clipboard_clear_seconds: u32,
    /// Extra browser origins allowed to call the server.
    pub allowed_origins: Vec<String>,
    /// PocketPaw's dashboard, where "Open dashboard" and the pairing QR code lead.
    pub dashboard_url: String,
    /// Whether PawKey starts at login.
    pub launch_at_login: bool,
    /// Whether a start at login stays in the tray.
    pub start_hidden_at_login: bool,
    /// Seconds a closed window keeps its page.
    pub window_keep_seconds: u32,
    /// The global copy shortcut as saved (`""`: none).
    pub copy_shortcut: String,
    /// Whether it works: active, taken by another program, impossible on this desktop.
    pub copy_shortcut_status: ShortcutStatus,
    /// The largest `ttl_hours` the config accepts.
    pub max_ttl_hours: u32,
    /// Where the settings are saved.
    pub config_file: Option<String>,
}

impl SettingsView {
    /// The view of `config`.
    pub fn new(
        config: &Config,
        launch_at_login: bool,
        copy_shortcut_status: ShortcutStatus,
        config_file: Option<String>,
    ) -> Self {
        Self {
            port: config.port,
            ttl_hours: config.ttl_hours,
            token_format: config.token_format,
            clipboard_clear_seconds: config.clipboard_clear_seconds,
            allowed_origins: config.allowed_origins.clone(),
            dashboard_url: config.dashboard_url.clone(),
            launch_at_login,
            start_hidden_at_login: config.start_hidden_at_login,
            window_keep_seconds: config.window_keep_seconds,
            copy_shortcut: config.copy_shortcut.clone(),
            copy_shortcut_status,
            max_ttl_hours: MAX_TTL_HOURS,
            config_file,
        }
    }
}

/// What the user typed, unparsed, so a bad number is reported on its field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct SettingsForm {
    /// Port, 1–65535.
    pub port: String,
    /// Hours, 1–720.
    pub ttl_hours: String,
    /// `session` or `pocketpaw`.
    pub token_format: String,
    /// Seconds, 0–86400.
    pub clipboard_clear_seconds: String,
    /// One origin per line.
    pub allowed_origins: String,
    /// PocketPaw's dashboard URL (absent: unchanged).
    #[serde(default)]
    pub dashboard_url: Option<String>,
    /// Start PawKey at login.
    pub launch_at_login: bool,
    /// Stay in the tray when started at login (absent: unchanged).
    #[serde(default)]
    pub start_hidden_at_login: Option<bool>,
    /// Seconds, 0–3600, a closed window keeps its page (absent: unchanged).
    #[serde(default)]
    pub window_keep_seconds: Option<String>,
    /// The global copy shortcut, e.g. `Ctrl+Alt+K`, empty for none (absent: unchanged).
    #[serde(default)]
    pub copy_shortcut: Option<String>,
}

fn number<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    raw: &str,
    what: &str,
) -> Option<T> {
    let raw = raw.trim();
    match raw.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError {
                field,
                message: if raw.is_empty() {
                    format!("enter {what}")
                } else {
                    format!("{raw:?} is not {what}")
                },
            });
            None
        }
    }
}

impl SettingsForm {
    /// Applies the form to `current` (fields the form does not show are kept) and validates
    /// the result, reporting every invalid field.
    pub fn to_config(&self, current: &Config) -> Result<Config, CommandError> {
        let mut errors = Vec::new();
        let mut config = current.clone();

        match number::<u16>(&mut errors, "port", &self.port, "a port number (1–65535)") {
            Some(0) => errors.push(FieldError {
                field: "port",
                message: "use a port from 1 to 65535".into(),
            }),
            Some(p) => config.port = p,
            None => {}
        }
        if let Some(h) = number::<u32>(
            &mut errors,
            "ttl_hours",
            &self.ttl_hours,
            &format!("a whole number of hours (1–{MAX_TTL_HOURS})"),
        ) {
            config.ttl_hours = h;
        }
        match self.token_format.trim().parse::<TokenFormat>() {
            Ok(f) => config.token_format = f,
            Err(message) => errors.push(FieldError {
                field: "token_format",
                message,
            }),
        }
        if let Some(s) = number::<u32>(
            &mut errors,
            "clipboard_clear_seconds",
            &self.clipboard_clear_seconds,
            &format!("a whole number of seconds (0–{MAX_CLIPBOARD_CLEAR_SECONDS})"),
        ) {
            config.clipboard_clear_seconds = s;
        }
        config.allowed_origins = self
            .allowed_origins
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(url) = &self.dashboard_url {
            config.dashboard_url = url.trim().to_owned();
        }
        if let Some(hidden) = self.start_hidden_at_login {
            config.start_hidden_at_login = hidden;
        }
        if let Some(raw) = &self.window_keep_seconds
            && let Some(s) = number::<u32>(
                &mut errors,
                "window_keep_seconds",
                raw,
                &format!("a whole number of seconds (0–{MAX_WINDOW_KEEP_SECONDS})"),
            )
        {
            config.window_keep_seconds = s;
        }
        if let Some(raw) = &self.copy_shortcut {
            // Saved in its one canonical form; a bad one is reported by `problems()`.
            config.copy_shortcut = pawkey_core::shortcut::canonical_shortcut(raw)
                .unwrap_or_else(|_| raw.trim().to_owned());
        }

        // Core's range and shape checks: every field's problem at once.
        for (field, message) in config.problems() {
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError { field, message });
            }
        }
        if errors.is_empty() {
            config.validate(&Origin::Setting)?;
            Ok(config)
        } else {
            Err(CommandError::Fields(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm {
            port: "8123".into(),
            ttl_hours: "8".into(),
            token_format: "pocketpaw".into(),
            clipboard_clear_seconds: "10".into(),
            allowed_origins: " http://127.0.0.1:8888 \n\nhttps://app.example\n".into(),
            dashboard_url: Some(" https://paw.example:8443/app ".into()),
            launch_at_login: false,
            start_hidden_at_login: Some(false),
            window_keep_seconds: Some(" 5 ".into()),
            copy_shortcut: Some(" alt+ctrl+k ".into()),
        }
    }

    fn fields(e: CommandError) -> Vec<&'static str> {
        match e {
            CommandError::Fields(f) => f.iter().map(|f| f.field).collect(),
            other => panic!("expected field errors, got {other}"),
        }
    }

    #[test]
    fn a_valid_form_becomes_the_config() {
        let current = Config {
            extra_hosts: vec!["pawkey.local".into()],
            ..Config::default()
        };
        let c = form().to_config(&current).unwrap();
        assert_eq!(c.port, 8123);
        assert_eq!(c.ttl_hours, 8);
        assert_eq!(c.token_format, TokenFormat::Pocketpaw);
        assert_eq!(c.clipboard_clear_seconds, 10);
        assert_eq!(
            c.allowed_origins,
            vec!["http://127.0.0.1:8888", "https://app.example"]
        );
        assert_eq!(c.dashboard_url, "https://paw.example:8443/app");
        assert!(!c.start_hidden_at_login);
        assert_eq!(c.window_keep_seconds, 5);
        assert_eq!(c.copy_shortcut, "Ctrl+Alt+K");
        // Settings the form does not show survive.
        assert_eq!(c.extra_hosts, vec!["pawkey.local"]);
    }

    #[test]
    fn every_invalid_field_is_reported_with_its_reason() {
        let bad = SettingsForm {
            port: "eighty".into(),
            ttl_hours: "721".into(),
            token_format: "jwt".into(),
            clipboard_clear_seconds: "-1".into(),
            allowed_origins: "http://ok:1\nhttp://bad:1/path".into(),
            dashboard_url: Some("ftp://paw".into()),
            launch_at_login: true,
            start_hidden_at_login: None,
            window_keep_seconds: Some("3601".into()),
            copy_shortcut: Some("Ctrl+Alt".into()),
        };
        let e = bad.to_config(&Config::default()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("\"eighty\" is not a port number"), "{text}");
        assert!(text.contains("721 is out of range"), "{text}");
        assert!(text.contains("unknown token format"), "{text}");
        assert!(text.contains("http://bad:1/path"), "{text}");
        assert_eq!(
            fields(e),
            vec![
                "port",
                "token_format",
                "clipboard_clear_seconds",
                "ttl_hours",
                "window_keep_seconds",
                "allowed_origins",
                "dashboard_url",
                "copy_shortcut"
            ]
        );
    }

    #[test]
    fn absent_fields_keep_the_current_values() {
        let mut f = form();
        f.dashboard_url = None;
        f.start_hidden_at_login = None;
        f.window_keep_seconds = None;
        f.copy_shortcut = None;
        let current = Config {
            copy_shortcut: "Super+F9".into(),
            dashboard_url: "http://paw.lan:8888".into(),
            window_keep_seconds: 7,
            start_hidden_at_login: false,
            ..Config::default()
        };
        let c = f.to_config(&current).unwrap();
        assert_eq!(c.dashboard_url, "http://paw.lan:8888");
        assert_eq!(c.window_keep_seconds, 7);
        assert_eq!(c.copy_shortcut, "Super+F9");
        assert!(!c.start_hidden_at_login);
    }

    #[test]
    fn port_zero_and_empty_values_are_refused() {
        let mut f = form();
        f.port = "0".into();
        f.ttl_hours = " ".into();
        let e = f.to_config(&Config::default()).unwrap_err();
        assert!(
            e.to_string().contains("enter a whole number of hours"),
            "{e}"
        );
        assert_eq!(fields(e), vec!["port", "ttl_hours"]);
    }
}
