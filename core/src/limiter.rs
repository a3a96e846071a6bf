//! Per-client limit on failed authentication: a token bucket per IP address that only
//! failures drain. While a client's bucket is empty every authentication attempt from it is
//! refused with 429, so guessing is slow; successful requests never drain it. The table is
//! bounded: when full, refilled buckets are dropped first, then the least recently used.

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

/// The failed-authentication limiter.
pub struct FailureLimiter {
    table: Mutex<HashMap<IpAddr, Bucket>>,
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
        Self {
            table: Mutex::new(HashMap::new()),
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

    /// `Err(retry_after)` when `ip` has used up its failures.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.tracked.load(Ordering::Relaxed) == 0 {
            return Ok(());
        }
        let table = self.lock();
        match table.get(&normalize(ip)) {
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

    /// Records a failed attempt from `ip`.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) {
        let ip = normalize(ip);
        let mut table = self.lock();
        if !table.contains_key(&ip) && table.len() >= self.capacity {
            table.retain(|_, b| self.refilled(*b, now) < self.burst);
            if table.len() >= self.capacity {
                if let Some(oldest) = table.iter().min_by_key(|(_, b)| b.updated).map(|(k, _)| *k) {
                    table.remove(&oldest);
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

    /// Addresses currently tracked (for tests and status).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x7f00_0000 + n))
    }

    #[test]
    fn burst_then_blocked_then_recovers() {
        let l = FailureLimiter::new(3, 1.0, 16);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(ip(1), t0).is_ok());
            l.record_failure(ip(1), t0);
        }
        let retry = l.check(ip(1), t0).unwrap_err();
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
    fn table_stays_bounded() {
        let l = FailureLimiter::new(3, 1.0, 100);
        let t0 = Instant::now();
        for n in 0..10_000 {
            l.record_failure(ip(n), t0 + Duration::from_micros(u64::from(n)));
        }
        assert!(l.tracked() <= 100);
        // The most recent offender is still tracked.
        l.record_failure(ip(9_999), t0 + Duration::from_millis(20));
        l.record_failure(ip(9_999), t0 + Duration::from_millis(20));
        assert!(l.check(ip(9_999), t0 + Duration::from_millis(20)).is_err());
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_same_client() {
        let l = FailureLimiter::new(1, 1.0, 16);
        let t0 = Instant::now();
        l.record_failure("::ffff:127.0.0.1".parse().unwrap(), t0);
        assert!(l.check("127.0.0.1".parse().unwrap(), t0).is_err());
    }
}
