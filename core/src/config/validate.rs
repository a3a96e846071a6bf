//! The allowed values: ranges, and the shape of origins, hosts, the dashboard URL and the
//! copy shortcut.

use super::{
    Config, ConfigError, MAX_CLIPBOARD_CLEAR_SECONDS, MAX_TTL_HOURS, MAX_WINDOW_KEEP_SECONDS,
    MIN_TTL_HOURS, Origin,
};

impl Config {
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
    use super::super::tests::parse;
    use super::*;

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
}
