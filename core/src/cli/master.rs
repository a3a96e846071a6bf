//! `master show | rotate | import`. When a PawKey server runs for this user (the desktop
//! app or `pawkeyd serve`, on the configured port), rotation and import go through it,
//! authenticated with the master from the keychain: the server stores the new master
//! first and switches only once that worked, so the keychain and the running server
//! never disagree. With no server running, the keychain alone changes and the next start
//! uses it.

use std::process::ExitCode;

use super::prompt::read_stdin_token;
use super::{CliError, EXIT_KEYCHAIN, EXIT_NOT_RUNNING, MasterCommand, program_name};
use crate::audit::{AuditEvent, AuditLog, MintSource};
use crate::client::{self, ClientError, Running};
use crate::pairing::pocketpaw_token_path;
use crate::secret::MasterToken;
use crate::startup::Setup;

/// A master change: a new random one, or one the user has.
enum Change {
    Rotate,
    Import(MasterToken),
}

pub(super) fn master(setup: Setup, action: MasterCommand) -> Result<ExitCode, CliError> {
    match action {
        MasterCommand::Show => {
            // Only reads: showing the master must never create one behind the user's back.
            let master = stored_master(&setup)?;
            println!("{}", master.expose());
            Ok(ExitCode::SUCCESS)
        }
        MasterCommand::Rotate => change(setup, Change::Rotate),
        MasterCommand::Import { from_pocketpaw } => {
            let text = if from_pocketpaw {
                let path = pocketpaw_token_path().ok_or_else(|| CliError {
                    message: "cannot find the home directory, so not PocketPaw's token file either — pipe the token in: `pawkey master import < file`".into(),
                    code: 1,
                })?;
                std::fs::read_to_string(&path).map_err(|e| CliError {
                    message: format!(
                        "cannot read PocketPaw's token file {}: {e} — is PocketPaw installed for this user? Otherwise pipe the token in: `pawkey master import < file`",
                        path.display()
                    ),
                    code: 1,
                })?
            } else {
                read_stdin_token("Paste the master token and press Enter:")?
            };
            let token = MasterToken::parse(text).map_err(|e| CliError {
                message: format!("not imported: {e}"),
                code: 1,
            })?;
            change(setup, Change::Import(token))
        }
    }
}

/// The master in the store, or an error saying how to create one.
fn stored_master(setup: &Setup) -> Result<MasterToken, CliError> {
    match setup.store.load() {
        Ok(Some(master)) => Ok(master),
        Ok(None) => Err(CliError {
            message: format!(
                "no master token stored yet in the {} — run `{prog} serve` or `{prog} master rotate` to create one, or `{prog} master import` to store yours",
                setup.store.location(),
                prog = program_name()
            ),
            code: 1,
        }),
        Err(e) => Err(CliError {
            message: e.to_string(),
            code: EXIT_KEYCHAIN,
        }),
    }
}

fn change(setup: Setup, change: Change) -> Result<ExitCode, CliError> {
    match client::find(&setup.config) {
        Some(running) => change_through(&setup, &running, change),
        None => change_store(&setup, change),
    }
}

/// Through the running server: it stores the new master first, then uses it.
fn change_through(setup: &Setup, running: &Running, change: Change) -> Result<ExitCode, CliError> {
    let current = stored_master(setup)?;
    let addr = running.addr();
    let done = match &change {
        Change::Rotate => running.rotate(&current).map(|_| "Rotated"),
        Change::Import(token) => running.import(&current, token).map(|_| "Imported"),
    };
    match done {
        Ok(what) => {
            eprintln!(
                "{what} the master token through the PawKey running on {addr}: the {} and the server use the new one now. Every session token minted before is invalid.",
                setup.store.location()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ClientError::Refused { status: 401, .. }) => Err(CliError {
            message: format!(
                "the PawKey running on {addr} did not accept the master token in the {}: it runs with another master (another user's PawKey, or --master-token-file). Nothing was changed; change the master where that PawKey runs, or stop it first.",
                setup.store.location()
            ),
            code: 1,
        }),
        Err(ClientError::Refused { detail, .. }) => Err(CliError {
            message: format!(
                "the PawKey running on {addr} could not change the master token: {detail}. Nothing was changed: the old master token still works in the keychain and the server."
            ),
            code: EXIT_KEYCHAIN,
        }),
        Err(e @ ClientError::NotRunning(_)) => Err(CliError {
            message: format!("{e}. Nothing was changed."),
            code: EXIT_NOT_RUNNING,
        }),
        Err(e) => Err(CliError {
            message: format!(
                "{e}. The master token may or may not have changed: check with `{} status` and try again.",
                program_name()
            ),
            code: EXIT_NOT_RUNNING,
        }),
    }
}

/// No server running: the store alone; the next start reads it.
fn change_store(setup: &Setup, change: Change) -> Result<ExitCode, CliError> {
    let (token, event, what) = match change {
        Change::Rotate => (MasterToken::generate()?, AuditEvent::Rotate, "Rotated"),
        Change::Import(token) => (token, AuditEvent::Import, "Imported"),
    };
    setup.store.save(&token).map_err(|e| CliError {
        message: format!("{e}\nThe master token was not changed."),
        code: EXIT_KEYCHAIN,
    })?;
    AuditLog::with_file_sync(&setup.paths.data_dir).record_master_change(
        event,
        MintSource::Cli,
        &token,
    );
    eprintln!(
        "{what} the master token in the {}. Every session token minted before is now invalid. No PawKey is running on {}; it uses the new token when it starts.",
        setup.store.location(),
        client::server_addr(&setup.config)
    );
    Ok(ExitCode::SUCCESS)
}
