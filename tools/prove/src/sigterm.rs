//! `sigterm`: SIGTERM under load; requests in flight complete.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pawkey_core::secret::MasterToken;
use pawkey_core::token::SessionKey;
use tokio::io::AsyncWriteExt;

use crate::Result;
use crate::http::*;

pub(crate) fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

// ---------------------------------------------------------------------------------------
// sigterm
// ---------------------------------------------------------------------------------------

pub(crate) async fn sigterm(addr: SocketAddr, master: &str, pid: u32) -> Result<()> {
    let key = Arc::new(SessionKey::new(
        &MasterToken::parse(master.to_owned()).map_err(|e| e.to_string())?,
    ));
    const SLOW: usize = 16;
    const BODY: &str = "{\"ttl_hours\": 1}";
    // Requests in flight: the head and half of the body are sent; the rest follows after
    // the signal.
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut conn = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
        let head = format!(
            "POST /api/auth/session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {master}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            host(addr),
            BODY.len(),
            &BODY[..8]
        );
        conn.stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        slow.push(conn);
    }
    // Busy connections: mints back to back until the server goes away.
    let signalled = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..32)
        .map(|_| {
            let (key, signalled, master) = (key.clone(), signalled.clone(), master.to_owned());
            tokio::spawn(async move {
                let mut ok = 0u64;
                let mut conn = match Conn::open(addr, None).await {
                    Ok(c) => c,
                    Err(e) => return Err(format!("connect: {e}")),
                };
                let request = mint_request(addr, &master);
                loop {
                    match conn.send(&request).await {
                        Ok(a) => {
                            check_mint(&a, &key, 24)?;
                            ok += 1;
                            if a.header("connection") == Some("close") {
                                return Ok(ok);
                            }
                        }
                        // Closed between answers, after the signal: not in flight.
                        Err(Dropped::ClosedBeforeAnswer) if signalled.load(Ordering::SeqCst) => {
                            return Ok(ok);
                        }
                        Err(Dropped::Broken(e))
                            if signalled.load(Ordering::SeqCst) && e.starts_with("write") =>
                        {
                            return Ok(ok);
                        }
                        Err(e) => return Err(format!("busy connection: {e}")),
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    signalled.store(true, Ordering::SeqCst);
    terminate(pid);
    println!("sigterm: SIGTERM sent with {SLOW} requests in flight and 32 busy connections");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut problems = Vec::new();
    // New connections are no longer accepted.
    if Conn::open(addr, None).await.is_ok() {
        problems.push("a new connection was accepted after SIGTERM".to_owned());
    }
    let mut completed = 0;
    for mut conn in slow {
        let rest = &BODY.as_bytes()[8..];
        let answer = match conn.stream.write_all(rest).await {
            Ok(()) => conn.read_answer().await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("write: {e}")),
        };
        match answer.and_then(|a| check_mint(&a, &key, 1)) {
            Ok(_) => completed += 1,
            Err(e) => problems.push(format!("in-flight request: {e}")),
        }
    }
    let mut busy_ok = 0;
    for b in busy {
        match b.await {
            Ok(Ok(n)) => busy_ok += n,
            Ok(Err(e)) => problems.push(e),
            Err(e) => problems.push(e.to_string()),
        }
    }
    println!(
        "sigterm: {completed}/{SLOW} in-flight requests completed with a valid token; {busy_ok} busy-connection answers all valid"
    );
    if problems.is_empty() {
        println!("sigterm: OK");
        Ok(())
    } else {
        problems.truncate(20);
        Err(problems.join("\n  "))
    }
}
