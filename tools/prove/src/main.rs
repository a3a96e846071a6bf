//! `prove`: the load, limiter, start-up and shutdown checks behind `make prove` and
//! `make bench` (scripts/prove.sh, scripts/bench.sh). It talks plain HTTP/1.1
//! with keep-alive over its own sockets (so it can bind client sockets across
//! 127.0.0.0/8) and checks every answer it gets, not just its status:
//!
//! - `load`: mixed requests (valid mints, verified requests, bad tokens, bad hosts) at many
//!   connections; zero 5xx, zero dropped connections, every answer correct; resident
//!   memory of the server after the load within a bound of after warm-up.
//! - `limiter`: failed authentications from 10,000+ distinct loopback addresses: they are
//!   one client, so they are throttled together after one burst, the limiter's table holds
//!   one entry (checked inside the process when the server runs in-process), and a correct
//!   credential from any of them is never throttled.
//! - `ready`: time from process start to the first answer of `GET /api/health`.
//! - `sigterm`: SIGTERM while requests are in flight; each one completes.
//!
//! Run `cargo run --release -p pawkey-prove -- --help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

mod http;
mod limiter;
mod load;
mod ready;
mod sigterm;

use limiter::limiter;
use load::{LoadOpts, load};
use ready::ready;
use sigterm::sigterm;

#[derive(Parser)]
#[command(about = "PawKey's load, limiter, start-up and shutdown checks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Mixed load against a running server; fails on any wrong answer.
    Load {
        /// Server address, e.g. 127.0.0.1:8000.
        #[arg(long)]
        addr: SocketAddr,
        /// File holding the master token.
        #[arg(long)]
        master_file: PathBuf,
        /// Total requests.
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 256)]
        conns: usize,
        /// Server process id, to read its resident memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Requests after which the warm-up resident memory is read.
        #[arg(long, default_value_t = 100_000)]
        warmup: u64,
        /// Largest allowed growth of resident memory from warm-up to the end, in KiB.
        #[arg(long, default_value_t = 4096)]
        max_rss_growth_kib: u64,
        /// Give up (and fail) after this many seconds.
        #[arg(long, default_value_t = 300)]
        max_seconds: u64,
    },
    /// Failed authentications from many distinct client addresses.
    Limiter {
        /// A running server; without it a server runs in this process, so the limiter's
        /// table can be inspected directly.
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// File holding the master token (with --addr).
        #[arg(long)]
        master_file: Option<PathBuf>,
        /// Distinct client addresses.
        #[arg(long, default_value_t = 12_000)]
        addresses: u32,
        /// Server process id, to read its resident memory (with --addr).
        #[arg(long)]
        pid: Option<u32>,
        /// Largest allowed growth of resident memory over the second half, in KiB.
        #[arg(long, default_value_t = 2048)]
        max_rss_growth_kib: u64,
    },
    /// Time from spawning `BIN ARGS...` to its first answer on ADDR.
    Ready {
        /// Where the server will answer.
        #[arg(long)]
        addr: SocketAddr,
        /// Runs (the median is reported).
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// The command line, e.g. target/release/pawkeyd serve --port 18000.
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
    /// SIGTERM to a server under load: requests in flight complete.
    Sigterm {
        /// Server address.
        #[arg(long)]
        addr: SocketAddr,
        /// File holding the master token.
        #[arg(long)]
        master_file: PathBuf,
        /// Server process id (receives SIGTERM).
        #[arg(long)]
        pid: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = rt.block_on(async move {
        match cli.command {
            Cmd::Load {
                addr,
                master_file,
                requests,
                conns,
                pid,
                warmup,
                max_rss_growth_kib,
                max_seconds,
            } => {
                let opts = LoadOpts {
                    addr,
                    master: read_master(&master_file)?,
                    requests,
                    conns,
                    pid,
                    warmup,
                    max_rss_growth_kib,
                    deadline: Instant::now() + Duration::from_secs(max_seconds),
                };
                load(opts).await
            }
            Cmd::Limiter {
                addr,
                master_file,
                addresses,
                pid,
                max_rss_growth_kib,
            } => limiter(addr, master_file, addresses, pid, max_rss_growth_kib).await,
            Cmd::Ready {
                addr,
                runs,
                command,
            } => ready(addr, runs, &command).await,
            Cmd::Sigterm {
                addr,
                master_file,
                pid,
            } => sigterm(addr, &read_master(&master_file)?, pid).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prove: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T, E = String> = std::result::Result<T, E>;

fn read_master(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Resident memory of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client: one request at a time per connection, keep-alive, and the
// whole answer (status, headers, body by Content-Length) read before the next request.
// ---------------------------------------------------------------------------------------
