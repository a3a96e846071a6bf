//! Access requests: how a browser gets a session token without ever holding the master,
//! after the device authorization grant (RFC 8628). A page asks (`POST
//! /api/auth/request`) and gets a secret request id and a short user code; the person
//! types that code where the master lives (window, CLI) to approve it — the side that
//! decides is never told the code, so a request another program forged cannot be approved
//! by a person who only looks at their own browser; anyone may deny. The page then
//! collects the token once (`POST /api/auth/request/{request_id}`).
//!
//! Bounds: what is *waiting* is bounded, not what was created. One address may have
//! [`MAX_PENDING_PER_ADDRESS`] requests waiting and [`MAX_PENDING`] wait in all; each waits
//! [`REQUEST_SECONDS`] at most, and a denial, approval or expiry gives its place back at
//! once. Every address counts on its own (`127.0.0.1` and `127.0.0.2` are two), so a
//! program flooding from one loopback address does not stop a browser on another from
//! asking. Request ids are 256 random bits compared in constant time. A token is minted
//! only by an explicit approval with the right code, and handed out once.
//!
//! The book and the requester's side (open, poll) are here; the deciding side (list,
//! approve, deny) in `decide`.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

mod code;
mod decide;
mod label;
mod types;

pub use code::normalize_code;
use code::user_code;
pub use label::check_label;
pub use types::{ApprovalError, ApprovalEvent, Opened, Pending, Poll};

/// How long a request waits for a decision.
pub const REQUEST_SECONDS: u64 = 120;
/// How often the requester should poll, in seconds.
pub const POLL_INTERVAL_SECONDS: u64 = 1;
/// Most requests waiting at once, from all addresses together.
pub const MAX_PENDING: usize = 64;
/// Most requests waiting at once from one address.
pub const MAX_PENDING_PER_ADDRESS: usize = 4;
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
    /// The number the deciding side knows it by (not secret).
    number: u64,
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
    book: Mutex<Book>,
    lifetime: Duration,
    per_address: usize,
    events: broadcast::Sender<ApprovalEvent>,
}

struct Book {
    requests: Vec<Request>,
    last_number: u64,
}

impl Default for Approvals {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(REQUEST_SECONDS),
            MAX_PENDING_PER_ADDRESS,
        )
    }
}

fn seconds_until(t: Instant, now: Instant) -> u64 {
    t.saturating_duration_since(now).as_secs_f64().ceil() as u64
}

impl Approvals {
    /// Requests that wait `lifetime`, at most `per_address` from one address
    /// ([`Approvals::default`]: [`REQUEST_SECONDS`] and [`MAX_PENDING_PER_ADDRESS`]; tests
    /// change them).
    pub fn new(lifetime: Duration, per_address: usize) -> Self {
        let (events, _) = broadcast::channel(MAX_PENDING * 2);
        Self {
            book: Mutex::new(Book {
                requests: Vec::new(),
                last_number: 0,
            }),
            lifetime,
            per_address,
            events,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        // Each update is one assignment or a push/retain; a poisoned lock holds whole values.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Receives every change, for the window and the tray.
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.events.subscribe()
    }

    /// Expires what is due; returns the numbers of those that stopped waiting.
    fn sweep(&self, requests: &mut Vec<Request>, now: Instant) -> Vec<u64> {
        let mut closed = Vec::new();
        for r in requests.iter_mut() {
            if now >= r.deadline && !matches!(r.state, State::Gone | State::Denied) {
                if matches!(r.state, State::Pending) {
                    closed.push(r.number);
                }
                r.state = State::Gone;
            }
        }
        requests.retain(|r| now < r.forget_at);
        closed
    }

    fn announce_closed(&self, numbers: Vec<u64>) {
        for number in numbers {
            let _ = self.events.send(ApprovalEvent::Closed { number });
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
        let client = check_label(client)?;
        let peer = peer.to_canonical();
        let mut book = self.lock();
        let closed = self.sweep(&mut book.requests, now);
        let refused = {
            let waiting = || {
                book.requests
                    .iter()
                    .filter(|r| matches!(r.state, State::Pending))
            };
            let first_free = |mine: bool| {
                waiting()
                    .filter(|r| !mine || r.peer == peer)
                    .map(|r| r.deadline)
                    .min()
                    .map_or(1, |t| seconds_until(t, now).max(1))
            };
            if waiting().filter(|r| r.peer == peer).count() >= self.per_address {
                Some(ApprovalError::TooManyFromAddress {
                    retry_after: first_free(true),
                })
            } else if waiting().count() >= MAX_PENDING {
                Some(ApprovalError::TooMany {
                    retry_after: first_free(false),
                })
            } else {
                None
            }
        };
        if let Some(e) = refused {
            drop(book);
            self.announce_closed(closed);
            return Err(e);
        }
        let mut id = [0u8; 32];
        getrandom::fill(&mut id).map_err(|e| ApprovalError::Random(e.to_string()))?;
        let code = loop {
            let code = user_code()?;
            if !book.requests.iter().any(|r| r.user_code == code) {
                break code;
            }
        };
        book.last_number += 1;
        let deadline = now + self.lifetime;
        let request = Request {
            id,
            number: book.last_number,
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
        book.requests.push(request);
        drop(book);
        self.announce_closed(closed);
        let _ = self.events.send(ApprovalEvent::Opened(pending.clone()));
        Ok(Opened {
            number: pending.number,
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
        let mut book = self.lock();
        let requests = &mut book.requests;
        let closed = self.sweep(requests, now);
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
        drop(book);
        self.announce_closed(closed);
        answer
    }
}

fn describe(r: &Request, now: Instant) -> Pending {
    Pending {
        number: r.number,
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
    fn approve_with_the_code_then_collect_once() {
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
        // What the deciding side is shown never contains the code.
        let shown = serde_json::to_string(&pending).unwrap();
        assert!(!shown.contains(&opened.user_code), "{shown}");
        // Longer than asked is refused; shorter is fine.
        assert!(matches!(
            a.approve(&opened.user_code, None, Some(9), t0, mint),
            Err(ApprovalError::Lengthened {
                requested: 8,
                got: 9
            })
        ));
        let lower = opened.user_code.to_lowercase();
        let number = pending[0].number;
        let (_, ttl) = a
            .approve(&lower, Some(number), Some(2), t0, mint)
            .unwrap()
            .unwrap();
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
    fn approving_needs_the_code_of_that_very_request() {
        let a = Approvals::default();
        let t0 = Instant::now();
        let forged = a
            .open(Some("Browser".into()), None, local(), 8, t0)
            .unwrap();
        let mine = a
            .open(Some("Browser".into()), None, "::1".parse().unwrap(), 8, t0)
            .unwrap();
        let [forged_card, my_card] = <[Pending; 2]>::try_from(a.pending(t0)).unwrap();
        // Without a code, or with a made-up one: nothing is approved.
        for wrong in ["", "BCDF-2345", "#1", "1"] {
            assert!(a.approve(wrong, None, None, t0, mint).is_err(), "{wrong:?}");
        }
        // The person types their browser's code on the forged card: refused, both wait.
        assert_eq!(
            a.approve(&mine.user_code, Some(forged_card.number), None, t0, mint)
                .unwrap_err(),
            ApprovalError::CodeMismatch(forged_card.number)
        );
        assert_eq!(a.pending(t0).len(), 2);
        assert_eq!(a.poll(&forged.request_id, t0), Poll::Pending);
        // On their own card it works, and only theirs gets a token.
        a.approve(&mine.user_code, Some(my_card.number), None, t0, mint)
            .unwrap()
            .unwrap();
        assert!(matches!(
            a.poll(&mine.request_id, t0),
            Poll::Approved { .. }
        ));
        assert_eq!(a.poll(&forged.request_id, t0), Poll::Pending);
    }

    #[test]
    fn denied_expired_and_unknown() {
        let a = Approvals::default();
        let t0 = Instant::now();
        let denied = a.open(None, None, local(), 24, t0).unwrap();
        a.deny(&denied.user_code, t0).unwrap();
        assert_eq!(a.poll(&denied.request_id, t0), Poll::Denied);
        let by_number = a.open(None, None, local(), 24, t0).unwrap();
        let number = a.pending(t0)[0].number;
        assert_eq!(a.deny(&format!("#{number}"), t0).unwrap().number, number);
        assert_eq!(a.poll(&by_number.request_id, t0), Poll::Denied);
        assert_eq!(
            a.deny("999", t0).unwrap_err(),
            ApprovalError::UnknownNumber(999)
        );
        let late = a.open(None, None, local(), 24, t0).unwrap();
        let after = t0 + Duration::from_secs(REQUEST_SECONDS);
        assert_eq!(a.poll(&late.request_id, after), Poll::Gone);
        assert!(a.approve(&late.user_code, None, None, after, mint).is_err());
        assert_eq!(a.poll(&"0".repeat(64), t0), Poll::Unknown);
        assert_eq!(a.poll("short", t0), Poll::Unknown);
    }

    #[test]
    fn what_waits_is_bounded_per_address_and_in_all() {
        let a = Approvals::default();
        let t0 = Instant::now();
        // One address: its share, then a clear refusal that says what to do.
        for _ in 0..MAX_PENDING_PER_ADDRESS {
            a.open(None, None, local(), 1, t0).unwrap();
        }
        let refused = a.open(None, None, local(), 1, t0).unwrap_err();
        assert!(
            matches!(refused, ApprovalError::TooManyFromAddress { retry_after } if retry_after == REQUEST_SECONDS)
        );
        assert!(refused.to_string().contains("typing the code"), "{refused}");
        // IPv4-mapped IPv6 is the same address.
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(a.open(None, None, mapped, 1, t0).is_err());
        // Another loopback address still may ask.
        a.open(None, None, "127.0.0.2".parse().unwrap(), 1, t0)
            .unwrap();
        // A denial gives the place back at once.
        let first = a.pending(t0)[0].number;
        a.deny(&first.to_string(), t0).unwrap();
        a.open(None, None, local(), 1, t0).unwrap();

        // All addresses together.
        let b = Approvals::default();
        for n in 0..MAX_PENDING {
            let peer = IpAddr::from([10, 0, (n / 200) as u8, (n % 200) as u8 + 1]);
            b.open(None, None, peer, 1, t0).unwrap();
        }
        assert!(matches!(
            b.open(None, None, IpAddr::from([10, 9, 9, 9]), 1, t0),
            Err(ApprovalError::TooMany { .. })
        ));
        // Expiry gives every place back.
        let later = t0 + Duration::from_secs(REQUEST_SECONDS);
        assert!(
            b.open(None, None, IpAddr::from([10, 9, 9, 9]), 1, later)
                .is_ok()
        );
        // Deny all clears a flood in one step.
        assert_eq!(b.deny_all(later).len(), 1);
        assert!(b.pending(later).is_empty());
    }

    #[test]
    fn events_announce_new_and_closed_requests() {
        let a = Approvals::default();
        let mut rx = a.subscribe();
        let t0 = Instant::now();
        let opened = a.open(None, None, local(), 1, t0).unwrap();
        let number = match rx.try_recv() {
            Ok(ApprovalEvent::Opened(p)) => p.number,
            other => panic!("{other:?}"),
        };
        a.deny(&opened.user_code, t0).unwrap();
        assert_eq!(rx.try_recv().unwrap(), ApprovalEvent::Closed { number });
    }
}
