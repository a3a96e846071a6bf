//! `requests`, `approve CODE` and `deny N|--all`: deciding browsers' access requests from
//! a terminal, through the running server, with the master from the keychain. The list
//! never shows a request's code: the person types the code their browser shows, so a
//! request some other program opened cannot be approved by mistake.

use std::process::ExitCode;

use super::{CliError, program_name};
use crate::client::{self, ClientError, Running};
use crate::secret::MasterToken;
use crate::startup::Setup;

fn running(setup: &Setup) -> Result<(Running, MasterToken), CliError> {
    let running = client::find(&setup.config).ok_or_else(|| {
        CliError::Server(ClientError::NotRunning(client::server_addr(&setup.config)))
    })?;
    let master = match setup.store.load() {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(CliError::NoMasterForServer {
                location: setup.store.location(),
            });
        }
        Err(e) => return Err(CliError::Store(e)),
    };
    Ok((running, master))
}

/// Lists the waiting requests.
pub(super) fn list(setup: Setup, json: bool) -> Result<ExitCode, CliError> {
    let (running, master) = running(&setup)?;
    let pending = running.pending(&master).map_err(CliError::Server)?;
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
        "{:>4} {:<28} {:<24} {:<16} {:>5} {:>6}",
        "#", "CLIENT (claimed)", "ORIGIN (claimed)", "ADDRESS", "HOURS", "LEFT"
    );
    for p in &pending {
        println!(
            "{:>4} {:<28} {:<24} {:<16} {:>5} {:>5}s",
            p.number,
            p.client.as_deref().unwrap_or("-"),
            p.origin.as_deref().unwrap_or("-"),
            p.peer,
            p.ttl_hours,
            p.expires_in
        );
    }
    eprintln!(
        "Client and origin are what each requester says about itself; any program on this computer can claim them.\n\
         Approve yours with `{prog} approve CODE`, typing the code your browser shows; deny one with `{prog} deny N`, or all with `{prog} deny --all`.",
        prog = program_name()
    );
    Ok(ExitCode::SUCCESS)
}

/// Approves the request whose code the person types (as an argument, or at a prompt).
pub(super) fn approve(
    setup: Setup,
    code: Option<String>,
    ttl_hours: Option<i64>,
) -> Result<ExitCode, CliError> {
    let (running, master) = running(&setup)?;
    let code = match code {
        Some(c) => c,
        None => super::prompt::read_line("Type the code your browser shows (e.g. BCDF-2345):")?,
    };
    let answer = running
        .approve(&master, code.trim(), ttl_hours)
        .map_err(CliError::Server)?;
    eprintln!(
        "Approved request #{}{}: the browser showing {} receives a session token valid {} h on its next poll.",
        answer["number"],
        claimed(&answer),
        crate::approval::normalize_code(&code),
        answer["expires_in_hours"]
    );
    Ok(ExitCode::SUCCESS)
}

/// Denies one request (its number or code), or all of them (`None`).
pub(super) fn deny(setup: Setup, which: Option<String>) -> Result<ExitCode, CliError> {
    let (running, master) = running(&setup)?;
    let answer = running
        .deny(&master, which.as_deref())
        .map_err(CliError::Server)?;
    match answer["denied"].as_array() {
        Some(all) if all.is_empty() => eprintln!("No access requests were waiting."),
        Some(all) => eprintln!("Denied {} access request(s).", all.len()),
        None => eprintln!("Denied request #{}{}.", answer["number"], claimed(&answer)),
    }
    Ok(ExitCode::SUCCESS)
}

/// ` ("label", as it claimed)` for a decision's answer with a label.
fn claimed(answer: &serde_json::Value) -> String {
    answer["client"]
        .as_str()
        .map(|c| format!(" ({c:?}, as it claimed)"))
        .unwrap_or_default()
}
