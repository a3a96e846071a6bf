//! Reading the configuration: the TOML file (a missing one is all defaults), then the
//! `PAWKEY_*` environment variables.

use std::fmt;
use std::path::Path;

use super::{Config, ConfigError, Origin};

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
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;
    use super::*;
    use crate::token::TokenFormat;

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
}
