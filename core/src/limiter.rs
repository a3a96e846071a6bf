//! The limit on failed authentication: a token bucket per client that only failures drain,
//! and one global bucket every failure drains. Callers verify a credential first and ask
//! the limiter only when it failed, so a correct credential is never throttled; a failing
//! client whose bucket (or the global one) is empty gets 429 instead of 401.
//!
//! A client is its address, except that every loopback address (`127.0.0.0/8`, `::1`) is
//! one client (any local process can pick its source address) and an IPv6 address counts
//! as its /64 (what one host is usually given). The table is bounded: when full, the
//! bucket with the most failures left is dropped, never a client that is being throttled
//! ahead of one that is not.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Failures allowed in a burst.
pub const DEFAULT_BURST: u32 = 10;
/// Failures regained per second.
pub const DEFAULT_REFILL_PER_SEC: f64 = 1.0;
/// Most client addresses tracked at once.
pub const DEFAULT_CAPACITY: usize = 4096;
/// Failures allowed in a burst across all clients together.
pub const GLOBAL_BURST: u32 = 100;
/// Failures regained per second across all clients together.
pub const GLOBAL_REFILL_PER_SEC: f64 = 5.0;

/// The failed-authentication limiter.
pub struct FailureLimiter {
    table: Mutex<HashMap<IpAddr, Bucket>>,
    global: Mutex<Bucket>,
    global_burst: f64,
    global_refill_per_sec: f64,
    /// Entries in the table, read without the lock on the success path.
    tracked: AtomicUsize,
    burst: f64,
    refill_per_sec: f64,
    capacity: usize,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Default for FailureLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_BURST, DEFAULT_REFILL_PER_SEC, DEFAULT_CAPACITY)
    }
}

impl FailureLimiter {
    /// A limiter allowing `burst` failures, regaining `refill_per_sec` per second, and
    /// tracking at most `capacity` addresses.
    pub fn new(burst: u32, refill_per_sec: f64, capacity: usize) -> Self {
        Self::with_global(
            burst,
            refill_per_sec,
            capacity,
            GLOBAL_BURST.max(burst),
            GLOBAL_REFILL_PER_SEC.max(refill_per_sec),
        )
    }

    /// A limiter with an explicit global budget: `global_burst` failures from all clients
    /// together, regaining `global_refill_per_sec` per second.
    pub fn with_global(
        burst: u32,
        refill_per_sec: f64,
        capacity: usize,
        global_burst: u32,
        global_refill_per_sec: f64,
    ) -> Self {
        let global_burst = f64::from(global_burst.max(1));
        Self {
            table: Mutex::new(HashMap::new()),
            global: Mutex::new(Bucket {
                tokens: global_burst,
                updated: Instant::now(),
            }),
            global_burst,
            global_refill_per_sec: global_refill_per_sec.max(0.001),
            tracked: AtomicUsize::new(0),
            burst: f64::from(burst.max(1)),
            refill_per_sec: refill_per_sec.max(0.001),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Bucket>> {
        // The table holds plain numbers; a panic elsewhere cannot leave it inconsistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refilled(&self, b: Bucket, now: Instant) -> f64 {
        let gained = now.saturating_duration_since(b.updated).as_secs_f64() * self.refill_per_sec;
        (b.tokens + gained).min(self.burst)
    }

    fn global_refilled(&self, b: Bucket, now: Instant) -> f64 {
        let gained =
            now.saturating_duration_since(b.updated).as_secs_f64() * self.global_refill_per_sec;
        (b.tokens + gained).min(self.global_burst)
    }

    fn global(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.global.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(retry_after)` when `ip`, or all clients together, have used up their failures.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.tracked.load(Ordering::Relaxed) == 0 {
            return Ok(());
        }
        let global = self.global_refilled(*self.global(), now);
        if global < 1.0 {
            return Err(Duration::from_secs_f64(
                (1.0 - global) / self.global_refill_per_sec,
            ));
        }
        let table = self.lock();
        match table.get(&client_key(ip)) {
            Some(b) => {
                let tokens = self.refilled(*b, now);
                if tokens >= 1.0 {
                    Ok(())
                } else {
                    Err(Duration::from_secs_f64(
                        (1.0 - tokens) / self.refill_per_sec,
                    ))
                }
            }
            None => Ok(()),
        }
    }

    /// A credential from `ip` just failed: `Err(retry_after)` when the client (or everyone
    /// together) is out of failures (answer 429), otherwise the failure is counted (answer
    /// 401).
    pub fn fail(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        self.check(ip, now)?;
        self.record_failure(ip, now);
        Ok(())
    }

    /// Records a failed attempt from `ip`.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) {
        {
            let mut global = self.global();
            global.tokens = (self.global_refilled(*global, now) - 1.0).max(0.0);
            global.updated = now;
        }
        let ip = client_key(ip);
        let mut table = self.lock();
        if !table.contains_key(&ip) && table.len() >= self.capacity {
            table.retain(|_, b| self.refilled(*b, now) < self.burst);
            if table.len() >= self.capacity {
                // Drop the client with the most failures left: never one being throttled
                // ahead of one that is not.
                let freest = table
                    .iter()
                    .max_by(|(_, a), (_, b)| {
                        self.refilled(**a, now)
                            .total_cmp(&self.refilled(**b, now))
                            .then(b.updated.cmp(&a.updated))
                    })
                    .map(|(k, _)| *k);
                if let Some(k) = freest {
                    table.remove(&k);
                }
            }
        }
        let bucket = table.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = (self.refilled(*bucket, now) - 1.0).max(0.0);
        bucket.updated = now;
        self.tracked.store(table.len(), Ordering::Relaxed);
    }

    /// Clients currently tracked (for tests and status).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// The client an address belongs to: every loopback address is one client, an IPv6
/// address counts as its /64, an IPv4-mapped IPv6 address as the IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    if ip.is_loopback() {
        return IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    }
    match ip {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Distinct (non-loopback) clients.
    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn burst_then_blocked_then_recovers() {
        let l = FailureLimiter::new(3, 1.0, 16);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.fail(ip(1), t0).is_ok());
        }
        let retry = l.fail(ip(1), t0).unwrap_err();
        assert!(
            retry > Duration::ZERO && retry <= Duration::from_secs(1),
            "{retry:?}"
        );
        // Another client is unaffected.
        assert!(l.check(ip(2), t0).is_ok());
        // One second later one more attempt is allowed.
        assert!(l.check(ip(1), t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn table_stays_bounded_and_keeps_throttled_clients() {
        let l = FailureLimiter::with_global(3, 1.0, 100, 1_000_000, 1_000_000.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            l.record_failure(ip(424_242), t0);
        }
        assert!(l.check(ip(424_242), t0).is_err());
        for n in 0..10_000 {
            l.record_failure(ip(n), t0 + Duration::from_micros(u64::from(n)));
        }
        assert!(l.tracked() <= 100);
        // Failing from thousands of other addresses did not free the throttled client.
        assert!(
            l.check(ip(424_242), t0 + Duration::from_millis(20))
                .is_err()
        );
    }

    #[test]
    fn every_loopback_address_is_one_client() {
        let l = FailureLimiter::with_global(3, 1.0, 16, 1_000_000, 1_000_000.0);
        let t0 = Instant::now();
        for n in 0..3u8 {
            let from = IpAddr::V4(Ipv4Addr::new(127, n, 2, 3));
            assert!(l.fail(from, t0).is_ok());
        }
        for blocked in ["127.9.9.9", "127.0.0.1", "::1", "::ffff:127.0.0.5"] {
            assert!(l.check(blocked.parse().unwrap(), t0).is_err(), "{blocked}");
        }
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn an_ipv6_slash_64_is_one_client() {
        let l = FailureLimiter::with_global(1, 1.0, 16, 1_000_000, 1_000_000.0);
        let t0 = Instant::now();
        assert!(l.fail("2001:db8:1:2::1".parse().unwrap(), t0).is_ok());
        assert!(
            l.check("2001:db8:1:2:ffff::9".parse().unwrap(), t0)
                .is_err()
        );
        assert!(l.check("2001:db8:1:3::1".parse().unwrap(), t0).is_ok());
    }

    #[test]
    fn the_global_budget_throttles_many_clients_together() {
        let l = FailureLimiter::with_global(10, 1.0, 4096, 20, 1.0);
        let t0 = Instant::now();
        for n in 0..20 {
            assert!(l.fail(ip(n), t0).is_ok(), "failure {n}");
        }
        // A fresh client's failure is throttled now; after a second one more is allowed.
        assert!(l.fail(ip(999), t0).is_err());
        assert!(l.fail(ip(999), t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_same_client() {
        let l = FailureLimiter::new(1, 1.0, 16);
        let t0 = Instant::now();
        l.record_failure("::ffff:10.0.0.1".parse().unwrap(), t0);
        assert!(l.check("10.0.0.1".parse().unwrap(), t0).is_err());
    }
}
