//! `serve`: the headless server, its banner (how to mint with no secret on a command
//! line) and the `--allow-remote` warning.

use std::process::ExitCode;

use super::{Cli, CliError, ServeArgs, program_name, require_master};
use crate::audit::AuditLog;
use crate::config::Origin;
use crate::server;
use crate::startup::{Setup, shutdown_signal};

/// How often `serve` re-reads the master token from its store.
const MASTER_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// How to run this program again with the same config and master-token source, for the
/// commands the `serve` banner suggests (`pawkeyd --master-token-file PATH`, ...).
pub(super) fn invocation(cli: &Cli) -> String {
    let mut line = program_name().to_owned();
    if let Some(p) = &cli.config {
        line.push_str(" --config ");
        line.push_str(&shell_quote(&p.to_string_lossy()));
    }
    if let Some(p) = &cli.master_token_file {
        line.push_str(" --master-token-file ");
        line.push_str(&shell_quote(&p.to_string_lossy()));
    }
    line
}

/// `s` as one POSIX shell word.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The lines `serve` prints once it listens: how to mint from a shell and over HTTP, with
/// the master token on no command line (curl reads the header from stdin with `-H @-`; `-fsS`
/// makes a refused request fail with curl's exit code instead of printing the 401 and
/// exiting 0).
pub fn serve_banner(invocation: &str, port: u16) -> String {
    format!(
        "Mint a session token from a shell with:\n  {invocation} token\n\
         or over HTTP (the master token stays off every command line):\n  \
         {invocation} master show | sed 's/^/Authorization: Bearer /' | curl -fsS -X POST http://localhost:{port}/api/auth/session -H @-"
    )
}

/// What `serve --allow-remote` prints and logs when it listens beyond loopback.
pub const REMOTE_WARNING: &str = "--allow-remote: PawKey listens beyond loopback. Other machines can reach it, and master and session tokens cross the network in cleartext (PawKey has no TLS): anyone on the path can read them. The Host allowlist is not access control; only the tokens protect the server. Put PawKey behind a TLS proxy or an SSH tunnel instead when you can.";

pub(super) fn serve(setup: Setup, args: ServeArgs, invocation: &str) -> Result<ExitCode, CliError> {
    let mut setup = setup;
    let c = &mut setup.config;
    if let Some(p) = args.port {
        c.port = p;
    }
    if let Some(b) = args.bind {
        c.bind = b;
    }
    if let Some(t) = args.ttl_hours {
        c.ttl_hours = t;
    }
    if let Some(f) = args.token_format {
        c.token_format = f;
    }
    c.validate(&Origin::Setting)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let audit = AuditLog::with_file(&setup.paths.data_dir);
        let state = tokio::task::spawn_blocking(move || setup.open_state(audit)).await?;
        require_master(&state)?;
        // Before the server is announced (but after the keychain, so Ctrl+C still stops a
        // start-up stuck there): from now on a signal shuts down gracefully.
        let shutdown = shutdown_signal();
        let server = server::start(state.clone(), args.allow_remote).await?;
        // A master changed in the keychain behind our back is picked up within seconds.
        tokio::spawn(state.clone().watch_master(MASTER_CHECK_INTERVAL));
        let urls: Vec<String> = server.addrs().iter().map(|a| format!("http://{a}")).collect();
        let port = server.port();
        eprintln!("PawKey {} listening on {}", crate::VERSION, urls.join(" and "));
        eprintln!("Master token: {}", state.master_status().location);
        if args.allow_remote && !server.addrs().iter().all(|a| a.ip().is_loopback()) {
            // Printed (RUST_LOG cannot hide it) and logged.
            eprintln!("WARNING: {REMOTE_WARNING}");
            tracing::warn!(
                "listening beyond loopback (--allow-remote): tokens cross the network in cleartext (no TLS); the Host allowlist is not access control"
            );
        }
        eprintln!("{}", serve_banner(invocation, port));
        server.run_until(shutdown).await;
        Ok(ExitCode::SUCCESS)
    })
}
