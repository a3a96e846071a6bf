//! `load`: mixed requests (valid mints, verified requests, bad tokens, bad hosts) at many
//! connections; every answer checked, nothing dropped, memory bounded.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pawkey_core::secret::MasterToken;
use pawkey_core::token::SessionKey;
use tokio::sync::Mutex;

use crate::http::*;
use crate::{Result, rss_kib};

pub(crate) struct LoadOpts {
    pub(crate) addr: SocketAddr,
    pub(crate) master: String,
    pub(crate) requests: u64,
    pub(crate) conns: usize,
    pub(crate) pid: Option<u32>,
    pub(crate) warmup: u64,
    pub(crate) max_rss_growth_kib: u64,
    pub(crate) deadline: Instant,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) next: AtomicU64,
    pub(crate) done: AtomicU64,
    pub(crate) mints: AtomicU64,
    pub(crate) verified: AtomicU64,
    bad_tokens_401: AtomicU64,
    bad_tokens_429: AtomicU64,
    pub(crate) bad_hosts: AtomicU64,
    pub(crate) server_errors: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) wrong: AtomicU64,
    pub(crate) stop: AtomicBool,
    pub(crate) failures: Mutex<Vec<String>>,
}

impl Counters {
    pub(crate) async fn fail(&self, what: String) {
        let mut f = self.failures.lock().await;
        if f.len() < 20 {
            f.push(what);
        }
    }
}

pub(crate) async fn load(o: LoadOpts) -> Result<()> {
    let key = Arc::new(SessionKey::new(
        &MasterToken::parse(o.master.clone()).map_err(|e| e.to_string())?,
    ));
    let o = Arc::new(o);
    let c = Arc::new(Counters::default());
    println!(
        "load: {} mixed requests at {} connections against {}",
        o.requests, o.conns, o.addr
    );
    let rss_start = o.pid.and_then(rss_kib);
    let started = Instant::now();

    let monitor = {
        let (o, c) = (o.clone(), c.clone());
        tokio::spawn(async move {
            let mut warm = None;
            while !c.stop.load(Ordering::Relaxed) {
                if warm.is_none() && c.done.load(Ordering::Relaxed) >= o.warmup {
                    warm = o.pid.and_then(rss_kib);
                }
                if Instant::now() > o.deadline {
                    c.stop.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            warm
        })
    };

    let workers: Vec<_> = (0..o.conns)
        .map(|i| {
            let (o, c, key) = (o.clone(), c.clone(), key.clone());
            tokio::spawn(async move {
                // One connection in four comes from its own loopback address and presents
                // bad credentials. Every loopback address is one client to the limiter,
                // but it checks credentials first, so the good clients, which present
                // correct ones, must never be refused.
                if i % 4 == 3 {
                    let from = Ipv4Addr::new(127, 2, (i / 250) as u8, (i % 250) as u8 + 1);
                    hostile_worker(&o, &c, from).await
                } else {
                    good_worker(&o, &c, &key).await
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    c.stop.store(true, Ordering::Relaxed);
    let rss_warm = monitor.await.ok().flatten();
    let rss_end = o.pid.and_then(rss_kib);
    let secs = started.elapsed().as_secs_f64();
    let done = c.done.load(Ordering::Relaxed);
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "load: {done} answers in {secs:.1} s ({:.0} req/s): {} mints, {} verified, {} bad tokens (401: {}, 429: {}), {} bad hosts",
        done as f64 / secs,
        get(&c.mints),
        get(&c.verified),
        get(&c.bad_tokens_401) + get(&c.bad_tokens_429),
        get(&c.bad_tokens_401),
        get(&c.bad_tokens_429),
        get(&c.bad_hosts),
    );
    println!(
        "load: 5xx: {}, dropped connections: {}, wrong answers: {}",
        get(&c.server_errors),
        get(&c.dropped),
        get(&c.wrong)
    );
    let kib = |v: Option<u64>| v.map_or("?".into(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    if o.pid.is_some() {
        println!(
            "load: server RSS at start {}, after warm-up ({} requests) {}, after load {}",
            kib(rss_start),
            o.warmup,
            kib(rss_warm),
            kib(rss_end)
        );
    }
    let mut problems = c.failures.lock().await.clone();
    if done < o.requests {
        problems.push(format!(
            "only {done} of {} requests answered in time",
            o.requests
        ));
    }
    if get(&c.server_errors) + get(&c.dropped) + get(&c.wrong) > 0 {
        problems.push("5xx, dropped connections or wrong answers (see above)".into());
    }
    if let (Some(w), Some(e)) = (rss_warm, rss_end) {
        if e > w + o.max_rss_growth_kib {
            problems.push(format!(
                "resident memory grew by {} KiB after warm-up (allowed {} KiB)",
                e - w,
                o.max_rss_growth_kib
            ));
        }
    } else if o.pid.is_some() {
        problems.push("could not read the server's resident memory".into());
    }
    if problems.is_empty() {
        println!("load: OK");
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

pub(crate) async fn connect_or_count(
    o: &LoadOpts,
    c: &Counters,
    from: Option<Ipv4Addr>,
) -> Option<Conn> {
    match Conn::open(o.addr, from).await {
        Ok(conn) => Some(conn),
        Err(e) => {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            c.fail(format!("connect from {from:?}: {e}")).await;
            c.stop.store(true, Ordering::Relaxed);
            None
        }
    }
}

pub(crate) fn take(o: &LoadOpts, c: &Counters) -> Option<u64> {
    if c.stop.load(Ordering::Relaxed) {
        return None;
    }
    let n = c.next.fetch_add(1, Ordering::Relaxed);
    (n < o.requests).then_some(n)
}

pub(crate) async fn record(
    c: &Counters,
    answer: &Result<Answer, Dropped>,
    checked: Result<()>,
) -> bool {
    match answer {
        Err(d) => {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            c.fail(format!("dropped: {d}")).await;
            false
        }
        Ok(a) => {
            c.done.fetch_add(1, Ordering::Relaxed);
            if a.status >= 500 {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(e) = checked {
                c.wrong.fetch_add(1, Ordering::Relaxed);
                c.fail(e).await;
            }
            true
        }
    }
}

pub(crate) async fn good_worker(o: &LoadOpts, c: &Counters, key: &SessionKey) {
    let Some(mut conn) = connect_or_count(o, c, None).await else {
        return;
    };
    let mint = mint_request(o.addr, &o.master);
    let bad_host = format!(
        "GET /api/auth/verify HTTP/1.1\r\nHost: rebind.example:{}\r\n\r\n",
        o.addr.port()
    )
    .into_bytes();
    let mut session: Option<(Vec<u8>, Vec<u8>, u64)> = None; // header form, query form, exp
    while let Some(n) = take(o, c) {
        let slot = n % 10;
        let (answer, checked) = match &session {
            Some(_) if slot == 9 => {
                let a = conn.send(&bad_host).await;
                let checked = a.as_ref().map_or(Ok(()), check_bad_host);
                if checked.is_ok() {
                    c.bad_hosts.fetch_add(1, Ordering::Relaxed);
                }
                (a, checked)
            }
            Some((header_form, query_form, exp)) if slot >= 2 => {
                let request = if slot == 8 { query_form } else { header_form };
                let a = conn.send(request).await;
                let checked = a.as_ref().map_or(Ok(()), |a| check_verified(a, *exp));
                if checked.is_ok() {
                    c.verified.fetch_add(1, Ordering::Relaxed);
                }
                (a, checked)
            }
            _ => {
                let a = conn.send(&mint).await;
                let checked = match &a {
                    Ok(a) => check_mint(a, key, 24).map(|token| {
                        let exp = key.verify(&token, 0).unwrap_or(0);
                        let query = format!(
                            "GET /api/v1/auth/verify?token={token} HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
                            o.addr.port()
                        );
                        session = Some((verify_request(o.addr, &token), query.into_bytes(), exp));
                        c.mints.fetch_add(1, Ordering::Relaxed);
                    }),
                    Err(_) => Ok(()),
                };
                (a, checked)
            }
        };
        if !record(c, &answer, checked).await {
            let Some(fresh) = connect_or_count(o, c, None).await else {
                return;
            };
            conn = fresh;
        }
    }
}

pub(crate) async fn hostile_worker(o: &LoadOpts, c: &Counters, from: Ipv4Addr) {
    let Some(mut conn) = connect_or_count(o, c, Some(from)).await else {
        return;
    };
    let sig = "5".repeat(64);
    let requests = [
        // A well-formed token whose MAC is wrong.
        (
            verify_request(o.addr, &format!("session:4000000000:{sig}")),
            "Invalid or expired session token",
        ),
        // Malformed: leading zero, uppercase hex, garbage.
        (
            verify_request(o.addr, &format!("04000000000:{}", "A".repeat(64))),
            "Invalid or expired session token",
        ),
        (
            verify_request(o.addr, "not-a-token"),
            "Invalid or expired session token",
        ),
        // A wrong master token on the mint endpoint.
        (
            mint_request(o.addr, "wrong-master-token-0000000000000000"),
            "Invalid master token",
        ),
    ];
    while let Some(n) = take(o, c) {
        let (request, detail) = &requests[(n % requests.len() as u64) as usize];
        let answer = conn.send(request).await;
        let checked = answer.as_ref().map_or(Ok(()), |a| check_refused(a, detail));
        if let Ok(a) = &answer {
            if checked.is_ok() {
                let counter = if a.status == 401 {
                    &c.bad_tokens_401
                } else {
                    &c.bad_tokens_429
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !record(c, &answer, checked).await {
            let Some(fresh) = connect_or_count(o, c, Some(from)).await else {
                return;
            };
            conn = fresh;
        }
    }
}

// ---------------------------------------------------------------------------------------
// limiter
// ---------------------------------------------------------------------------------------
