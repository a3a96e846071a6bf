//! `requests`, `approve CODE` and `deny CODE`: deciding browsers' access requests from a
//! terminal, through the running server, with the master from the keychain.

use std::process::ExitCode;

use super::{CliError, EXIT_NOT_RUNNING, program_name};
use crate::client::{self, ClientError, Running};
use crate::secret::MasterToken;
use crate::startup::Setup;

fn running(setup: &Setup) -> Result<(Running, MasterToken), CliError> {
    let running = client::find(&setup.config).ok_or_else(|| CliError {
        message: ClientError::NotRunning(client::server_addr(&setup.config)).to_string(),
        code: EXIT_NOT_RUNNING,
    })?;
    let master = match setup.store.load() {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(CliError {
                message: format!(
                    "no master token stored in the {} — a running PawKey would have stored one; is it using --master-token-file? Pass the same flag here.",
                    setup.store.location()
                ),
                code: 1,
            });
        }
        Err(e) => {
            return Err(CliError {
                message: e.to_string(),
                code: super::EXIT_KEYCHAIN,
            });
        }
    };
    Ok((running, master))
}

fn refused(e: ClientError) -> CliError {
    let code = match e {
        ClientError::NotRunning(_) | ClientError::Io { .. } => EXIT_NOT_RUNNING,
        ClientError::Refused { .. } => 1,
    };
    CliError {
        message: e.to_string(),
        code,
    }
}

/// Lists the waiting requests.
pub(super) fn list(setup: Setup, json: bool) -> Result<ExitCode, CliError> {
    let (running, master) = running(&setup)?;
    let pending = running.pending(&master).map_err(refused)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "requests": pending }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if pending.is_empty() {
        println!("No access requests are waiting.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<10} {:<28} {:<24} {:<16} {:>5} {:>6}",
        "CODE", "CLIENT", "ORIGIN", "ADDRESS", "HOURS", "LEFT"
    );
    for p in &pending {
        println!(
            "{:<10} {:<28} {:<24} {:<16} {:>5} {:>5}s",
            p.user_code,
            p.client.as_deref().unwrap_or("-"),
            p.origin.as_deref().unwrap_or("-"),
            p.peer,
            p.ttl_hours,
            p.expires_in
        );
    }
    eprintln!(
        "Approve one with `{prog} approve CODE` (only if the page shows that code), or deny it with `{prog} deny CODE`.",
        prog = program_name()
    );
    Ok(ExitCode::SUCCESS)
}

/// Approves or denies the request with `code`.
pub(super) fn decide(
    setup: Setup,
    code: &str,
    approve: bool,
    ttl_hours: Option<i64>,
) -> Result<ExitCode, CliError> {
    let (running, master) = running(&setup)?;
    let answer = running
        .decide(&master, code, approve, ttl_hours)
        .map_err(refused)?;
    let client = answer["client"]
        .as_str()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let code = answer["user_code"].as_str().unwrap_or(code);
    if approve {
        eprintln!(
            "Approved {code}{client}: the requester receives a session token valid {} h on its next poll.",
            answer["expires_in_hours"]
        );
    } else {
        eprintln!("Denied {code}{client}.");
    }
    Ok(ExitCode::SUCCESS)
}
