//! Access requests: how a browser gets a session token without ever holding the master,
//! after the device authorization grant (RFC 8628). A page asks (`POST
//! /api/auth/request`) and gets a secret request id and a short user code; the person
//! sees the same code where the master lives (window, tray, CLI) and approves or denies;
//! the page polls with its request id and collects the token once.
//!
//! Bounds: at most [`MAX_PENDING`] requests wait at once, each for [`REQUEST_SECONDS`]; a
//! client may open [`CREATE_BURST`] requests at once and one more every
//! [`CREATE_REFILL_SECONDS`]; request ids are 256 random bits compared in constant time.
//! A token is minted only by an explicit approval, and handed out once.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

use crate::limiter::FailureLimiter;

mod code;
mod types;

use code::{normalize_code, user_code};
pub use types::{ApprovalError, ApprovalEvent, Opened, Pending, Poll};

/// How long a request waits for a decision.
pub const REQUEST_SECONDS: u64 = 120;
/// How often the requester should poll, in seconds.
pub const POLL_INTERVAL_SECONDS: u64 = 1;
/// Most requests waiting at once.
pub const MAX_PENDING: usize = 16;
/// Requests one client may open at once...
pub const CREATE_BURST: u32 = 6;
/// ...and then one more every this many seconds (a handful a minute never waits).
pub const CREATE_REFILL_SECONDS: u64 = 10;
/// Longest client label.
pub const MAX_CLIENT_LABEL: usize = 64;
/// How long an answered request is remembered (so a second poll gets 410, not 404).
const REMEMBER_SECONDS: u64 = 300;
/// How long an approved token waits to be collected, at least.
const COLLECT_SECONDS: u64 = 30;

enum State {
    Pending,
    Approved {
        token: Zeroizing<String>,
        ttl_hours: u32,
        expires_at: u64,
    },
    Denied,
    Gone,
}

struct Request {
    id: [u8; 32],
    user_code: String,
    client: Option<String>,
    origin: Option<String>,
    peer: IpAddr,
    ttl_hours: u32,
    /// Until when the requester may collect (pending: until it expires).
    deadline: Instant,
    /// When the entry is forgotten.
    forget_at: Instant,
    state: State,
}

/// The open requests. Cheap to share behind [`crate::state::AppState`].
pub struct Approvals {
    requests: Mutex<Vec<Request>>,
    creations: FailureLimiter,
    lifetime: Duration,
    events: broadcast::Sender<ApprovalEvent>,
}

impl Default for Approvals {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(REQUEST_SECONDS),
            CREATE_BURST,
            Duration::from_secs(CREATE_REFILL_SECONDS),
        )
    }
}

fn seconds_until(t: Instant, now: Instant) -> u64 {
    t.saturating_duration_since(now).as_secs_f64().ceil() as u64
}

impl Approvals {
    /// Requests that wait `lifetime`; each client may open `burst` at once and one more
    /// every `refill`. [`Approvals::default`] uses [`REQUEST_SECONDS`], [`CREATE_BURST`]
    /// and [`CREATE_REFILL_SECONDS`]; tests shorten them.
    pub fn new(lifetime: Duration, burst: u32, refill: Duration) -> Self {
        let (events, _) = broadcast::channel(64);
        Self {
            requests: Mutex::new(Vec::new()),
            // A token bucket per client; "failures" here are requests opened.
            creations: FailureLimiter::with_global(
                burst,
                1.0 / refill.as_secs_f64().max(0.001),
                1024,
                u32::MAX,
                1_000_000.0,
            ),
            lifetime,
            events,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Request>> {
        // Each update is one assignment or a push/retain; a poisoned lock holds whole values.
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Receives every change, for the window and the tray.
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.events.subscribe()
    }

    /// Expires what is due; returns the codes that stopped waiting.
    fn sweep(&self, requests: &mut Vec<Request>, now: Instant) -> Vec<String> {
        let mut closed = Vec::new();
        for r in requests.iter_mut() {
            if now >= r.deadline && !matches!(r.state, State::Gone | State::Denied) {
                if matches!(r.state, State::Pending) {
                    closed.push(r.user_code.clone());
                }
                r.state = State::Gone;
            }
        }
        requests.retain(|r| now < r.forget_at);
        closed
    }

    fn announce_closed(&self, codes: Vec<String>) {
        for user_code in codes {
            let _ = self.events.send(ApprovalEvent::Closed { user_code });
        }
    }

    /// Opens a request from `peer` (with its `Origin`, if any) for a token of `ttl_hours`
    /// (already checked against the configured maximum).
    pub fn open(
        &self,
        client: Option<String>,
        origin: Option<String>,
        peer: IpAddr,
        ttl_hours: u32,
        now: Instant,
    ) -> Result<Opened, ApprovalError> {
        let client = match client.map(|c| c.trim().to_owned()) {
            Some(c) if c.chars().count() > MAX_CLIENT_LABEL || c.chars().any(char::is_control) => {
                return Err(ApprovalError::BadLabel);
            }
            Some(c) if c.is_empty() => None,
            other => other,
        };
        let mut requests = self.lock();
        let closed = self.sweep(&mut requests, now);
        let waiting: Vec<Instant> = requests
            .iter()
            .filter(|r| matches!(r.state, State::Pending))
            .map(|r| r.deadline)
            .collect();
        if waiting.len() >= MAX_PENDING {
            let first_free = waiting.iter().min().copied().unwrap_or(now);
            drop(requests);
            self.announce_closed(closed);
            return Err(ApprovalError::TooMany {
                retry_after: seconds_until(first_free, now).max(1),
            });
        }
        if let Err(wait) = self.creations.fail(peer, now) {
            drop(requests);
            self.announce_closed(closed);
            return Err(ApprovalError::TooMany {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        let mut id = [0u8; 32];
        getrandom::fill(&mut id).map_err(|e| ApprovalError::Random(e.to_string()))?;
        let code = loop {
            let code = user_code()?;
            if !requests.iter().any(|r| r.user_code == code) {
                break code;
            }
        };
        let deadline = now + self.lifetime;
        let request = Request {
            id,
            user_code: code.clone(),
            client,
            origin,
            peer,
            ttl_hours,
            deadline,
            forget_at: deadline + Duration::from_secs(REMEMBER_SECONDS),
            state: State::Pending,
        };
        let pending = describe(&request, now);
        requests.push(request);
        drop(requests);
        self.announce_closed(closed);
        let _ = self.events.send(ApprovalEvent::Opened(pending));
        Ok(Opened {
            request_id: hex::encode(id),
            user_code: code,
            expires_in: self.lifetime.as_secs(),
            interval: POLL_INTERVAL_SECONDS,
        })
    }

    /// What the requester holding `request_id` finds. An approved token is handed out
    /// once; later polls find [`Poll::Gone`].
    pub fn poll(&self, request_id: &str, now: Instant) -> Poll {
        let mut wanted = [0u8; 32];
        if request_id.len() != 64 || hex::decode_to_slice(request_id, &mut wanted).is_err() {
            return Poll::Unknown;
        }
        let mut requests = self.lock();
        let closed = self.sweep(&mut requests, now);
        // Every id is compared, in constant time, whichever matches.
        let mut found = None;
        for (i, r) in requests.iter().enumerate() {
            if bool::from(r.id.ct_eq(&wanted)) {
                found = Some(i);
            }
        }
        let answer = match found {
            None => Poll::Unknown,
            Some(i) => {
                let r = &mut requests[i];
                match std::mem::replace(&mut r.state, State::Gone) {
                    State::Pending => {
                        r.state = State::Pending;
                        Poll::Pending
                    }
                    State::Approved {
                        token,
                        ttl_hours,
                        expires_at,
                    } => Poll::Approved {
                        token: token.to_string(),
                        ttl_hours,
                        expires_at,
                    },
                    State::Denied => {
                        r.state = State::Denied;
                        Poll::Denied
                    }
                    State::Gone => Poll::Gone,
                }
            }
        };
        drop(requests);
        self.announce_closed(closed);
        answer
    }

    /// The requests waiting for a decision, oldest first.
    pub fn pending(&self, now: Instant) -> Vec<Pending> {
        let mut requests = self.lock();
        let closed = self.sweep(&mut requests, now);
        let list = requests
            .iter()
            .filter(|r| matches!(r.state, State::Pending))
            .map(|r| describe(r, now))
            .collect();
        drop(requests);
        self.announce_closed(closed);
        list
    }

    /// Approves the waiting request with `user_code`: `mint` is called with the request
    /// and the lifetime (the requested one, or `ttl_hours` if shorter) and returns the
    /// token, its expiry and anything else the caller wants back; the token is kept for
    /// the requester's next poll.
    pub fn approve<T, E>(
        &self,
        user_code: &str,
        ttl_hours: Option<i64>,
        now: Instant,
        mint: impl FnOnce(&Pending, u32) -> Result<(String, u64, T), E>,
    ) -> Result<Result<(Pending, T), E>, ApprovalError> {
        let code = normalize_code(user_code);
        let mut requests = self.lock();
        let closed = self.sweep(&mut requests, now);
        let result = (|| {
            let r = requests
                .iter_mut()
                .find(|r| r.user_code == code && matches!(r.state, State::Pending))
                .ok_or_else(|| ApprovalError::UnknownCode(code.clone()))?;
            let ttl = match ttl_hours {
                None => r.ttl_hours,
                Some(h) if h >= 1 && h <= i64::from(r.ttl_hours) => h as u32,
                Some(got) => {
                    return Err(ApprovalError::Lengthened {
                        requested: r.ttl_hours,
                        got,
                    });
                }
            };
            let described = describe(r, now);
            Ok(match mint(&described, ttl) {
                Ok((token, expires_at, extra)) => {
                    r.state = State::Approved {
                        token: Zeroizing::new(token),
                        ttl_hours: ttl,
                        expires_at,
                    };
                    r.deadline = r.deadline.max(now + Duration::from_secs(COLLECT_SECONDS));
                    r.forget_at = r.deadline + Duration::from_secs(REMEMBER_SECONDS);
                    Ok((described, extra))
                }
                Err(e) => Err(e),
            })
        })();
        drop(requests);
        self.announce_closed(closed);
        if let Ok(Ok((p, _))) = &result {
            let _ = self.events.send(ApprovalEvent::Closed {
                user_code: p.user_code.clone(),
            });
        }
        result
    }

    /// Denies the waiting request with `user_code`.
    pub fn deny(&self, user_code: &str, now: Instant) -> Result<Pending, ApprovalError> {
        let code = normalize_code(user_code);
        let mut requests = self.lock();
        let closed = self.sweep(&mut requests, now);
        let result = requests
            .iter_mut()
            .find(|r| r.user_code == code && matches!(r.state, State::Pending))
            .map(|r| {
                r.state = State::Denied;
                describe(r, now)
            })
            .ok_or(ApprovalError::UnknownCode(code));
        drop(requests);
        self.announce_closed(closed);
        if let Ok(p) = &result {
            let _ = self.events.send(ApprovalEvent::Closed {
                user_code: p.user_code.clone(),
            });
        }
        result
    }
}

fn describe(r: &Request, now: Instant) -> Pending {
    Pending {
        user_code: r.user_code.clone(),
        client: r.client.clone(),
        origin: r.origin.clone(),
        peer: r.peer.to_string(),
        ttl_hours: r.ttl_hours,
        expires_in: seconds_until(r.deadline, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> IpAddr {
        "127.0.0.1".parse().unwrap()
    }

    fn mint(_: &Pending, ttl: u32) -> Result<(String, u64, u32), String> {
        Ok((format!("session:{ttl}:abc"), 1_000 + u64::from(ttl), ttl))
    }

    #[test]
    fn user_codes_are_eight_unambiguous_letters() {
        for _ in 0..200 {
            let code = user_code().unwrap();
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-");
            assert!(
                code.bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| code::CODE_ALPHABET.contains(&b)),
                "{code}"
            );
            for ambiguous in ['0', 'O', '1', 'I', 'L'] {
                assert!(!code.contains(ambiguous), "{code}");
            }
        }
        assert_eq!(normalize_code("bcdf 2345"), "BCDF-2345");
        assert_eq!(normalize_code("BCDF-2345"), "BCDF-2345");
    }

    #[test]
    fn approve_then_collect_once() {
        let a = Approvals::default();
        let t0 = Instant::now();
        let opened = a
            .open(Some("my page".into()), None, local(), 8, t0)
            .unwrap();
        assert_eq!(opened.request_id.len(), 64);
        assert_eq!(a.poll(&opened.request_id, t0), Poll::Pending);
        let pending = a.pending(t0);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].client.as_deref(), Some("my page"));
        // Longer than asked is refused; shorter is fine.
        assert!(matches!(
            a.approve(&opened.user_code, Some(9), t0, mint),
            Err(ApprovalError::Lengthened {
                requested: 8,
                got: 9
            })
        ));
        let lower = opened.user_code.to_lowercase();
        let (_, ttl) = a.approve(&lower, Some(2), t0, mint).unwrap().unwrap();
        assert_eq!(ttl, 2);
        assert!(a.pending(t0).is_empty());
        match a.poll(&opened.request_id, t0) {
            Poll::Approved {
                token, ttl_hours, ..
            } => {
                assert_eq!(token, "session:2:abc");
                assert_eq!(ttl_hours, 2);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.poll(&opened.request_id, t0), Poll::Gone);
        // A decided request cannot be decided again.
        assert!(a.deny(&opened.user_code, t0).is_err());
    }

    #[test]
    fn denied_expired_and_unknown() {
        let a = Approvals::default();
        let t0 = Instant::now();
        let denied = a.open(None, None, local(), 24, t0).unwrap();
        a.deny(&denied.user_code, t0).unwrap();
        assert_eq!(a.poll(&denied.request_id, t0), Poll::Denied);
        let late = a.open(None, None, local(), 24, t0).unwrap();
        let after = t0 + Duration::from_secs(REQUEST_SECONDS);
        assert_eq!(a.poll(&late.request_id, after), Poll::Gone);
        assert!(a.approve(&late.user_code, None, after, mint).is_err());
        assert_eq!(a.poll(&"0".repeat(64), t0), Poll::Unknown);
        assert_eq!(a.poll("short", t0), Poll::Unknown);
    }

    #[test]
    fn at_most_sixteen_wait_and_one_client_cannot_flood() {
        let a = Approvals::default();
        let t0 = Instant::now();
        // Distinct clients fill the waiting list.
        for n in 0..MAX_PENDING {
            let peer = IpAddr::from([10, 0, 0, n as u8 + 1]);
            a.open(None, None, peer, 1, t0).unwrap();
        }
        let err = a
            .open(None, None, IpAddr::from([10, 0, 1, 1]), 1, t0)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::TooMany { retry_after } if retry_after >= 1));

        // One client: a burst, then one per refill period.
        let b = Approvals::default();
        for _ in 0..CREATE_BURST {
            b.open(None, None, local(), 1, t0).unwrap();
        }
        assert!(matches!(
            b.open(None, None, "127.0.0.9".parse().unwrap(), 1, t0),
            Err(ApprovalError::TooMany { .. })
        ));
        let later = t0 + Duration::from_secs(CREATE_REFILL_SECONDS);
        assert!(b.open(None, None, local(), 1, later).is_ok());
    }

    #[test]
    fn labels_are_checked() {
        let a = Approvals::default();
        let t0 = Instant::now();
        assert_eq!(
            a.open(Some("x".repeat(65)), None, local(), 1, t0),
            Err(ApprovalError::BadLabel)
        );
        assert_eq!(
            a.open(Some("a\nb".into()), None, local(), 1, t0),
            Err(ApprovalError::BadLabel)
        );
        assert!(a.open(Some("ü".repeat(64)), None, local(), 1, t0).is_ok());
    }

    #[test]
    fn events_announce_new_and_closed_requests() {
        let a = Approvals::default();
        let mut rx = a.subscribe();
        let t0 = Instant::now();
        let opened = a.open(None, None, local(), 1, t0).unwrap();
        assert!(
            matches!(rx.try_recv(), Ok(ApprovalEvent::Opened(p)) if p.user_code == opened.user_code)
        );
        a.deny(&opened.user_code, t0).unwrap();
        assert_eq!(
            rx.try_recv().unwrap(),
            ApprovalEvent::Closed {
                user_code: opened.user_code
            }
        );
    }
}
