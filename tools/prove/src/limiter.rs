//! `limiter`: failed authentications from thousands of loopback addresses are one client;
//! a correct credential is never throttled.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use pawkey_core::config::Config;
use pawkey_core::limiter::DEFAULT_CAPACITY;
use pawkey_core::secret::MasterToken;
use pawkey_core::state::AppState;
use pawkey_core::store::MemoryStore;
use pawkey_core::token::SessionKey;
use tokio::sync::Mutex;

use crate::http::*;
use crate::{Result, read_master, rss_kib};

pub(crate) async fn limiter(
    addr: Option<SocketAddr>,
    master_file: Option<PathBuf>,
    addresses: u32,
    pid: Option<u32>,
    max_rss_growth_kib: u64,
) -> Result<()> {
    let (addr, master, local) = match addr {
        Some(addr) => {
            let file = master_file.ok_or("--master-file is needed with --addr")?;
            (addr, read_master(&file)?, None)
        }
        None => {
            let master = MasterToken::generate().map_err(|e| e.to_string())?;
            let exposed = master.expose().to_owned();
            let state = AppState::builder(
                Config {
                    port: 0,
                    ..Config::default()
                },
                Arc::new(MemoryStore::with(master)),
            )
            .open();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?;
            let server = pawkey_core::server::serve(state.clone(), vec![listener]);
            let addr = server.addrs()[0];
            (addr, exposed, Some((state, server)))
        }
    };
    let key = SessionKey::new(&MasterToken::parse(master.clone()).map_err(|e| e.to_string())?);
    let rss_before = pid.and_then(rss_kib);
    println!(
        "limiter: {addresses} distinct client addresses (127.3.0.0/16 and up) against {addr}{}",
        if local.is_some() {
            " (in-process server)"
        } else {
            ""
        }
    );

    // A valid session from the good client.
    let mut good = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
    let a = good
        .send(&mint_request(addr, &master))
        .await
        .map_err(|e| e.to_string())?;
    let token = check_mint(&a, &key, 24)?;
    let exp = key.verify(&token, 0).map_err(|e| e.to_string())?;

    // Two halves: a limiter keyed by address would fill its table in the first (12,000
    // addresses is well over its capacity); it must cost no memory in the second.
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    sweep(addr, 0..addresses / 2, &token, exp, &failures).await;
    let rss_mid = pid.and_then(rss_kib);
    sweep(addr, addresses / 2..addresses, &token, exp, &failures).await;
    let spent = Instant::now();
    println!(
        "limiter: {addresses} addresses done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut problems = failures.lock().await.clone();

    // Loopback addresses share one budget, long spent by now: another one is throttled at
    // once, and the good client from 127.0.0.1 is still served.
    let from = Ipv4Addr::new(127, 250, 0, 1);
    let mut hostile = Conn::open(addr, Some(from))
        .await
        .map_err(|e| e.to_string())?;
    let bad = verify_request(addr, "not-a-token");
    let mut statuses = Vec::new();
    for _ in 0..=pawkey_core::limiter::DEFAULT_BURST {
        let a = hostile.send(&bad).await.map_err(|e| e.to_string())?;
        check_refused(&a, "Invalid or expired session token")?;
        statuses.push(a.status);
    }
    // The shared budget refills one failure a second, so a loaded machine may let one
    // through per second since it was spent; an address with a budget of its own would get
    // a whole burst of 401s at once.
    let refilled = spent.elapsed().as_secs() as usize + 1;
    let let_through = statuses.iter().filter(|s| **s != 429).count();
    if let_through > refilled {
        problems.push(format!(
            "a new loopback address got its own budget ({let_through} let through, at most {refilled} refilled): {statuses:?}"
        ));
    }
    let a = good
        .send(&verify_request(addr, &token))
        .await
        .map_err(|e| e.to_string())?;
    check_verified(&a, exp)?;

    if let Some((state, server)) = local {
        let tracked = state.limiter().tracked();
        println!(
            "limiter: addresses tracked by the limiter: {tracked} (capacity {DEFAULT_CAPACITY})"
        );
        if tracked != 1 {
            problems.push(format!(
                "limiter table holds {tracked} clients for loopback addresses only (want 1)"
            ));
        }
        server.shutdown().await;
    }
    if let (Some(b), Some(m), Some(e)) = (rss_before, rss_mid, pid.and_then(rss_kib)) {
        println!(
            "limiter: server RSS before {:.1} MB, after {} addresses {:.1} MB, after {addresses} {:.1} MB",
            b as f64 / 1024.0,
            addresses / 2,
            m as f64 / 1024.0,
            e as f64 / 1024.0
        );
        if e > m + max_rss_growth_kib {
            problems.push(format!(
                "resident memory grew by {} KiB over the second half",
                e - m
            ));
        }
    }
    if problems.is_empty() {
        println!("limiter: OK");
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

/// Runs [`one_address`] for client addresses `range` (numbered from 127.3.0.1 on, skipping
/// .0 and .255 in the last octet), 64 at a time.
pub(crate) async fn sweep(
    addr: SocketAddr,
    range: std::ops::Range<u32>,
    token: &str,
    exp: u64,
    failures: &Arc<Mutex<Vec<String>>>,
) {
    let next = Arc::new(AtomicU64::new(u64::from(range.start)));
    let workers: Vec<_> = (0..64)
        .map(|_| {
            let (next, failures, token) = (next.clone(), failures.clone(), token.to_owned());
            let end = u64::from(range.end);
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        return;
                    }
                    let (hi, lo) = (n / 254, n % 254 + 1);
                    let from = Ipv4Addr::new(127, 3 + (hi >> 8) as u8, (hi & 0xff) as u8, lo as u8);
                    if let Err(e) = one_address(addr, from, &token, exp).await {
                        let mut f = failures.lock().await;
                        if f.len() < 20 {
                            f.push(format!("{from}: {e}"));
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
}

/// From `from`: a bad token is refused (401, or 429 once the loopback client's budget is
/// spent), then a valid one from the same address is still accepted (failures never lock
/// out a correct credential).
pub(crate) async fn one_address(
    addr: SocketAddr,
    from: Ipv4Addr,
    token: &str,
    exp: u64,
) -> Result<()> {
    let mut conn = Conn::open(addr, Some(from))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let a = conn
        .send(&verify_request(
            addr,
            &format!("session:4000000000:{}", "7".repeat(64)),
        ))
        .await
        .map_err(|e| e.to_string())?;
    check_refused(&a, "Invalid or expired session token")?;
    let a = conn
        .send(&verify_request(addr, token))
        .await
        .map_err(|e| e.to_string())?;
    check_verified(&a, exp)
}

// ---------------------------------------------------------------------------------------
// ready
// ---------------------------------------------------------------------------------------
