//! `ready`: time from spawning a server to its first answer.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::Result;
use crate::http::*;
use crate::sigterm::terminate;

pub(crate) async fn ready(addr: SocketAddr, runs: u32, command: &[String]) -> Result<()> {
    let health = format!("GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n", host(addr)).into_bytes();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = std::process::Command::new(&command[0])
            .args(&command[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
        let answered = loop {
            if started.elapsed() > Duration::from_secs(10) {
                break None;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited with {status} before answering",
                    command[0]
                ));
            }
            if let Ok(mut conn) = Conn::open(addr, None).await {
                if let Ok(a) = conn.send(&health).await {
                    if a.status == 200 {
                        break Some(started.elapsed());
                    }
                }
            }
            tokio::time::sleep(Duration::from_micros(250)).await;
        };
        terminate(child.id());
        let _ = child.wait();
        let t = answered.ok_or("no answer within 10 s")?;
        times.push(t);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ready: start to first answer over {runs} runs: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    Ok(())
}
