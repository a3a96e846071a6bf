//! The deciding side of access requests: approving one with the code its requester
//! shows, denying one (by number or code) or all of them.

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::{
    ApprovalError, ApprovalEvent, Approvals, COLLECT_SECONDS, Pending, REMEMBER_SECONDS, Request,
    State, describe, normalize_code,
};

impl Approvals {
    /// The requests waiting for a decision, oldest first.
    pub fn pending(&self, now: Instant) -> Vec<Pending> {
        let mut book = self.lock();
        let closed = self.sweep(&mut book.requests, now);
        let list = book
            .requests
            .iter()
            .filter(|r| matches!(r.state, State::Pending))
            .map(|r| describe(r, now))
            .collect();
        drop(book);
        self.announce_closed(closed);
        list
    }

    /// Approves the waiting request whose code is `user_code` — the code the person read
    /// off the requester's screen and typed. With `number`, the code must also be that
    /// request's (the person approves the request they are looking at). `mint` is called
    /// with the request and the lifetime (the requested one, or `ttl_hours` if shorter)
    /// and returns the token, its expiry and anything else the caller wants back; the
    /// token is kept for the requester's next collect.
    pub fn approve<T, E>(
        &self,
        user_code: &str,
        number: Option<u64>,
        ttl_hours: Option<i64>,
        now: Instant,
        mint: impl FnOnce(&Pending, u32) -> Result<(String, u64, T), E>,
    ) -> Result<Result<(Pending, T), E>, ApprovalError> {
        let code = normalize_code(user_code);
        let mut book = self.lock();
        let closed = self.sweep(&mut book.requests, now);
        let result = (|| {
            let r = book
                .requests
                .iter_mut()
                .find(|r| r.user_code == code && matches!(r.state, State::Pending));
            let r = match (r, number) {
                (Some(r), Some(n)) if r.number != n => {
                    return Err(ApprovalError::CodeMismatch(n));
                }
                (Some(r), _) => r,
                (None, Some(n)) => return Err(ApprovalError::CodeMismatch(n)),
                (None, None) => return Err(ApprovalError::UnknownCode(code.clone())),
            };
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
        drop(book);
        self.announce_closed(closed);
        if let Ok(Ok((p, _))) = &result {
            let _ = self.events.send(ApprovalEvent::Closed { number: p.number });
        }
        result
    }

    /// Denies the waiting request `which`: its number, or its code. Denying needs no code:
    /// it can only take a token away.
    pub fn deny(&self, which: &str, now: Instant) -> Result<Pending, ApprovalError> {
        let which = which.trim();
        let number = which.strip_prefix('#').unwrap_or(which).parse::<u64>().ok();
        let code = normalize_code(which);
        let mut denied = self.decide_all(now, |r| match number {
            Some(n) => r.number == n,
            None => r.user_code == code,
        });
        denied.pop().ok_or(match number {
            Some(n) => ApprovalError::UnknownNumber(n),
            None => ApprovalError::UnknownCode(code),
        })
    }

    /// Denies every waiting request (a flood is cleared in one step); returns them.
    pub fn deny_all(&self, now: Instant) -> Vec<Pending> {
        self.decide_all(now, |_| true)
    }

    fn decide_all(&self, now: Instant, which: impl Fn(&Request) -> bool) -> Vec<Pending> {
        let mut book = self.lock();
        let mut closed = self.sweep(&mut book.requests, now);
        let mut denied = Vec::new();
        for r in book.requests.iter_mut() {
            if matches!(r.state, State::Pending) && which(r) {
                r.state = State::Denied;
                closed.push(r.number);
                denied.push(describe(r, now));
            }
        }
        drop(book);
        self.announce_closed(closed);
        denied
    }
}
