//! The CLI's side of a running PawKey server (the desktop app or `pawkeyd serve`): finds
//! it on the configured loopback port, and asks it to rotate or import the master and to
//! list, approve and deny access requests, authenticated with the master from the
//! keychain. Going through the server keeps the keychain and the running server in step:
//! the server writes the keychain first and switches only once that worked.
//!
//! Plain HTTP/1.1 over a loopback socket, one request per connection; secrets travel in
//! the request, never in any process's arguments.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::approval::Pending;
use crate::config::Config;
use crate::secret::MasterToken;

/// How long to wait for a server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long to wait for an answer (a keychain write can take a while).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read.
const MAX_ANSWER: u64 = 1024 * 1024;

/// Why talking to the running server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answers on the port, or not as PawKey.
    #[error(
        "PawKey is not running on {0} — start the app or `pawkeyd serve`, or set its port with --config / PAWKEY_PORT"
    )]
    NotRunning(SocketAddr),
    /// The connection failed midway.
    #[error("lost the connection to PawKey on {addr}: {reason}")]
    Io {
        /// The server's address.
        addr: SocketAddr,
        /// What happened.
        reason: String,
    },
    /// The server answered with an error.
    #[error("PawKey answered {status}: {detail}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's `detail`.
        detail: String,
    },
}

/// A PawKey server that answered on loopback.
#[derive(Debug, Clone)]
pub struct Running {
    addr: SocketAddr,
}

/// An answer: status and JSON body.
struct Answer {
    status: u16,
    body: Zeroizing<Vec<u8>>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self, addr: SocketAddr) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Io {
            addr,
            reason: format!("unexpected answer: {e}"),
        })
    }

    fn ok(self) -> Result<Self, ClientError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        #[derive(Deserialize)]
        struct Detail {
            detail: String,
        }
        let detail = serde_json::from_slice::<Detail>(&self.body)
            .map(|d| d.detail)
            .unwrap_or_else(|_| "no details".into());
        Err(ClientError::Refused {
            status: self.status,
            detail,
        })
    }
}

/// The address a server started with `config` listens on, as seen from this machine.
pub fn server_addr(config: &Config) -> SocketAddr {
    let ip = if config.bind.is_loopback() {
        config.bind
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    SocketAddr::new(ip, config.port)
}

/// The PawKey server for `config`, if one is running and answers as PawKey.
pub fn find(config: &Config) -> Option<Running> {
    let running = Running {
        addr: server_addr(config),
    };
    #[derive(Deserialize)]
    struct Health {
        status: String,
        version: String,
    }
    let answer = running.send("GET", "/api/health", None, None).ok()?;
    let health: Health = answer.json(running.addr).ok()?;
    (answer.status == 200 && health.status == "ok" && !health.version.is_empty()).then_some(running)
}

impl Running {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        master: Option<&MasterToken>,
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let addr = self.addr;
        let io = |e: std::io::Error| ClientError::Io {
            addr,
            reason: e.to_string(),
        };
        let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .map_err(|_| ClientError::NotRunning(addr))?;
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
        let host = match addr.ip() {
            IpAddr::V6(_) => format!("[::1]:{}", addr.port()),
            IpAddr::V4(_) => format!("localhost:{}", addr.port()),
        };
        let mut request = Zeroizing::new(Vec::with_capacity(512));
        let _ = write!(
            request,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-PawKey-Source: cli\r\n"
        );
        if let Some(m) = master {
            request.extend_from_slice(b"Authorization: Bearer ");
            request.extend_from_slice(m.expose().as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        match body {
            Some(b) => {
                let _ = write!(
                    request,
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    b.len()
                );
                request.extend_from_slice(b);
            }
            None => request.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        }
        stream.write_all(&request).map_err(io)?;
        let mut raw = Zeroizing::new(Vec::new());
        stream.take(MAX_ANSWER).read_to_end(&mut raw).map_err(io)?;
        parse(&raw).ok_or_else(|| ClientError::Io {
            addr,
            reason: "the answer was not HTTP".into(),
        })
    }

    /// Rotates the master in the server (which stores it in the keychain first, and in
    /// PocketPaw's token file when kept in step); returns the new master and whether
    /// PocketPaw's file was written.
    pub fn rotate(&self, master: &MasterToken) -> Result<(MasterToken, bool), ClientError> {
        #[derive(Deserialize)]
        struct New {
            token: String,
            #[serde(default)]
            pocketpaw_updated: bool,
        }
        let answer = self
            .send("POST", "/api/token/regenerate", Some(master), None)?
            .ok()?;
        let new: New = answer.json(self.addr)?;
        let token = MasterToken::parse(new.token).map_err(|e| ClientError::Io {
            addr: self.addr,
            reason: format!("the server sent an unusable master token: {e}"),
        })?;
        Ok((token, new.pocketpaw_updated))
    }

    /// Imports `new` as the master in the server (which stores it in the keychain first),
    /// setting `sync_pocketpaw` when given; returns its fingerprint.
    pub fn import(
        &self,
        master: &MasterToken,
        new: &MasterToken,
        sync_pocketpaw: Option<bool>,
    ) -> Result<String, ClientError> {
        #[derive(Deserialize)]
        struct Imported {
            fingerprint: String,
        }
        let body = Zeroizing::new(
            serde_json::to_vec(
                &serde_json::json!({ "token": new.expose(), "sync_pocketpaw": sync_pocketpaw }),
            )
            .unwrap_or_default(),
        );
        let answer = self
            .send("POST", "/api/token/import", Some(master), Some(&body))?
            .ok()?;
        Ok(answer.json::<Imported>(self.addr)?.fingerprint)
    }

    /// The access requests waiting for a decision.
    pub fn pending(&self, master: &MasterToken) -> Result<Vec<Pending>, ClientError> {
        #[derive(Deserialize)]
        struct List {
            requests: Vec<Pending>,
        }
        let answer = self
            .send("GET", "/api/auth/requests", Some(master), None)?
            .ok()?;
        Ok(answer.json::<List>(self.addr)?.requests)
    }

    /// Approves the request whose code the person typed (with an optional shorter
    /// lifetime); returns the server's answer.
    pub fn approve(
        &self,
        master: &MasterToken,
        code: &str,
        ttl_hours: Option<i64>,
    ) -> Result<serde_json::Value, ClientError> {
        let body = ttl_hours.map(|h| serde_json::json!({ "ttl_hours": h }).to_string());
        self.post_json(
            master,
            &format!("/api/auth/requests/{}/approve", path_safe(code)),
            body.as_deref(),
        )
    }

    /// Denies the request `which` (its number or code), or every waiting one (`None`);
    /// returns the server's answer.
    pub fn deny(
        &self,
        master: &MasterToken,
        which: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        let path = match which {
            Some(w) => format!("/api/auth/requests/{}/deny", path_safe(w)),
            None => "/api/auth/requests/deny-all".to_owned(),
        };
        self.post_json(master, &path, None)
    }

    fn post_json(
        &self,
        master: &MasterToken,
        path: &str,
        body: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        let answer = self
            .send("POST", path, Some(master), body.map(str::as_bytes))?
            .ok()?;
        answer.json(self.addr)
    }
}

/// What a person typed as a code or number, kept to what a path segment may hold.
fn path_safe(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Status and body of an HTTP/1.1 answer read to the end (`Connection: close`).
fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    let chunked = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Answer {
        status,
        body: Zeroizing::new(body),
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).ok()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let start = eol + 2;
        out.extend_from_slice(rest.get(start..start + size)?);
        rest = rest.get(start + size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_plain_and_chunked() {
        let a = parse(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((a.status, &a.body[..]), (202, &b"{}"[..]));
        let a = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(&a.body[..], br#"{"a":1}"#);
        assert!(parse(b"garbage").is_none());
    }

    #[test]
    fn nothing_listening_is_not_running() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let config = Config {
            port,
            ..Config::default()
        };
        assert!(find(&config).is_none());
    }
}
