//! Plain HTTP/1.1 over the tool's own sockets (bound across 127.0.0.0/8), the requests
//! the proofs send, and the checks every answer must pass.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use pawkey_core::clock::now_unix;
use pawkey_core::token::SessionKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::Result;

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Result<serde_json::Value> {
        if !self
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json"))
        {
            return Err(format!(
                "status {} without a JSON content type",
                self.status
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("status {}: bad JSON: {e}", self.status))
    }

    pub(crate) fn summary(&self) -> String {
        format!(
            "{} {}",
            self.status,
            String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
        )
    }
}

/// Why a request did not get an answer.
#[derive(Debug)]
pub(crate) enum Dropped {
    /// The connection closed before any byte of the answer arrived.
    ClosedBeforeAnswer,
    /// Anything else: reset, timeout, a partial or unparsable answer.
    Broken(String),
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::ClosedBeforeAnswer => write!(f, "connection closed before an answer"),
            Dropped::Broken(e) => write!(f, "{e}"),
        }
    }
}

pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) buf: Vec<u8>,
}

pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(20);

impl Conn {
    pub(crate) async fn open(addr: SocketAddr, from: Option<Ipv4Addr>) -> std::io::Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = from {
            socket.bind(SocketAddr::new(IpAddr::V4(ip), 0))?;
        }
        let stream = tokio::time::timeout(IO_TIMEOUT, socket.connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
            })??;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    pub(crate) async fn send(&mut self, request: &[u8]) -> Result<Answer, Dropped> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| Dropped::Broken(format!("write: {e}")))?;
        self.read_answer().await
    }

    pub(crate) async fn read_answer(&mut self) -> Result<Answer, Dropped> {
        tokio::time::timeout(IO_TIMEOUT, self.read_answer_inner())
            .await
            .map_err(|_| Dropped::Broken("no answer within 20 s".into()))?
    }

    pub(crate) async fn read_answer_inner(&mut self) -> Result<Answer, Dropped> {
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            let n = self.fill().await?;
            if n == 0 {
                return Err(if self.buf.is_empty() {
                    Dropped::ClosedBeforeAnswer
                } else {
                    Dropped::Broken("connection closed in the middle of the answer head".into())
                });
            }
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| Dropped::Broken("answer head is not UTF-8".into()))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Dropped::Broken(format!("bad status line {status_line:?}")))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| Dropped::Broken(format!("answer {status} has no Content-Length")))?;
        let body_start = head_end + 4;
        while self.buf.len() < body_start + length {
            if self.fill().await? == 0 {
                return Err(Dropped::Broken(
                    "connection closed in the middle of the body".into(),
                ));
            }
        }
        let body = self.buf[body_start..body_start + length].to_vec();
        if self.buf.len() != body_start + length {
            return Err(Dropped::Broken("extra bytes after the answer".into()));
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub(crate) async fn fill(&mut self) -> Result<usize, Dropped> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.map_err(|e| {
            // A reset before any byte of the answer: the request was never taken up.
            if self.buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset {
                Dropped::ClosedBeforeAnswer
            } else {
                Dropped::Broken(format!("read: {e}"))
            }
        })?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn host(addr: SocketAddr) -> String {
    format!("127.0.0.1:{}", addr.port())
}

pub(crate) fn mint_request(addr: SocketAddr, master: &str) -> Vec<u8> {
    format!(
        "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {master}\r\nContent-Length: 0\r\n\r\n",
        host(addr)
    )
    .into_bytes()
}

pub(crate) fn verify_request(addr: SocketAddr, token: &str) -> Vec<u8> {
    format!(
        "GET /api/auth/verify HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n",
        host(addr)
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------
// Answer checks.
// ---------------------------------------------------------------------------------------

/// A 200 from `POST /api/auth/session` carrying a token that verifies against `key`.
pub(crate) fn check_mint(a: &Answer, key: &SessionKey, ttl_hours: u64) -> Result<String> {
    if a.status != 200 {
        return Err(format!("mint: expected 200, got {}", a.summary()));
    }
    if a.header("cache-control") != Some("no-store") {
        return Err("mint: no Cache-Control: no-store".into());
    }
    let v = a.json()?;
    let token = v["session_token"]
        .as_str()
        .ok_or_else(|| format!("mint: no session_token in {v}"))?;
    if v["expires_in_hours"].as_u64() != Some(ttl_hours)
        || v.as_object().map(|o| o.len()) != Some(2)
    {
        return Err(format!("mint: unexpected body {v}"));
    }
    if !token.starts_with("session:") {
        return Err(format!("mint: token without the session: prefix: {token}"));
    }
    let now = now_unix();
    let exp = key
        .verify(token, now)
        .map_err(|e| format!("mint: the minted token does not verify: {e}"))?;
    let want = now + ttl_hours * 3600;
    if exp + 5 < want || exp > want + 5 {
        return Err(format!(
            "mint: expiry {exp} is not now + {ttl_hours} h ({want})"
        ));
    }
    Ok(token.to_owned())
}

/// A 200 from `GET /api/auth/verify` for a token expiring at `exp`.
pub(crate) fn check_verified(a: &Answer, exp: u64) -> Result<()> {
    if a.status != 200 {
        return Err(format!("verify: expected 200, got {}", a.summary()));
    }
    let v = a.json()?;
    let left = exp.saturating_sub(now_unix());
    let got = v["expires_in_seconds"].as_u64().unwrap_or(u64::MAX);
    if v["valid"] != serde_json::Value::Bool(true)
        || got.abs_diff(left) > 5
        || !v["expires_at"].as_str().is_some_and(|s| s.ends_with('Z'))
    {
        return Err(format!("verify: unexpected body {v}"));
    }
    Ok(())
}

/// A refusal of a bad credential: 401 with `WWW-Authenticate: Bearer`, or 429 with
/// `Retry-After` once the client's failures are used up.
pub(crate) fn check_refused(a: &Answer, detail_401: &str) -> Result<()> {
    let v = a.json()?;
    match a.status {
        401 if a.header("www-authenticate") == Some("Bearer") && v["detail"] == detail_401 => {
            Ok(())
        }
        429 if a
            .header("retry-after")
            .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1))
            && v["detail"] == "Too many requests" =>
        {
            Ok(())
        }
        _ => Err(format!(
            "bad credential: expected 401/429, got {}",
            a.summary()
        )),
    }
}

pub(crate) fn check_bad_host(a: &Answer) -> Result<()> {
    let v = a.json()?;
    if a.status == 403
        && v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Host not allowed"))
    {
        Ok(())
    } else {
        Err(format!("bad host: expected 403, got {}", a.summary()))
    }
}

// ---------------------------------------------------------------------------------------
// load
// ---------------------------------------------------------------------------------------
