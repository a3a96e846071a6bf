//! `master show | rotate | import`. When a PawKey server runs for this user (the desktop
//! app or `pawkeyd serve`, on the configured port), rotation and import go through it,
//! authenticated with the master from the keychain: the server stores the new master
//! first and switches only once that worked, so the keychain and the running server
//! never disagree. With no server running, this process makes the change the same way,
//! through a state of its own, and the next start uses the new master.

use std::process::ExitCode;

use super::prompt::read_stdin_token;
use super::{CliError, MasterCommand, program_name};
use crate::audit::{AuditLog, MintSource};
use crate::client::{self, ClientError, Running};
use crate::secret::MasterToken;
use crate::startup::Setup;

/// A master change: a new random one, or one the user has (PocketPaw's, to keep in step
/// from now on, when `from_pocketpaw`).
enum Change {
    Rotate,
    Import {
        token: MasterToken,
        from_pocketpaw: bool,
    },
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
        MasterCommand::Delete { yes } => delete(setup, yes),
        MasterCommand::Import { from_pocketpaw } => {
            let token = if from_pocketpaw {
                crate::pocketpaw::read_pocketpaw_master().map_err(CliError::PocketPawFile)?
            } else {
                let text = read_stdin_token("Paste the master token and press Enter:")?;
                MasterToken::parse(text).map_err(|e| CliError::NotImported(e.into()))?
            };
            change(
                setup,
                Change::Import {
                    token,
                    from_pocketpaw,
                },
            )
        }
    }
}

/// `master delete`: asks on a terminal, needs `--yes` otherwise, and refuses while a
/// PawKey server runs (it holds the master and would keep using it).
fn delete(setup: Setup, yes: bool) -> Result<ExitCode, CliError> {
    use std::io::{BufRead, IsTerminal};
    let terminal = std::io::stdin().is_terminal();
    if !yes && !terminal {
        return Err(CliError::DeleteUnconfirmed);
    }
    if let Some(running) = client::find(&setup.config) {
        return Err(CliError::DeleteWhileRunning(running.addr()));
    }
    let location = setup.store.location();
    match setup.store.load() {
        Ok(None) => {
            eprintln!("No master token is stored in the {location}; nothing to delete.");
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Some(_)) => {}
        // Unreadable (corrupt) is still deletable; a locked or absent keychain fails below.
        Err(_) => {}
    }
    if !yes {
        eprintln!(
            "This deletes the master token from the {location}. Every session token signed with it stops working, and PocketPaw will need a new one (`{} master import` or a new master). Type \"delete\" to confirm:",
            program_name()
        );
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "delete" {
            eprintln!("Not deleted.");
            return Ok(ExitCode::FAILURE);
        }
    }
    setup.store.delete().map_err(CliError::NotDeleted)?;
    eprintln!(
        "Deleted the master token from the {location}. The next `{} serve` or `token` creates a new one.",
        program_name()
    );
    Ok(ExitCode::SUCCESS)
}

/// The master in the store, or an error saying how to create one.
fn stored_master(setup: &Setup) -> Result<MasterToken, CliError> {
    match setup.store.load() {
        Ok(Some(master)) => Ok(master),
        Ok(None) => Err(CliError::NoMaster {
            location: setup.store.location(),
        }),
        Err(e) => Err(CliError::Store(e)),
    }
}

fn change(setup: Setup, change: Change) -> Result<ExitCode, CliError> {
    match client::find(&setup.config) {
        Some(running) => change_through(&setup, &running, change),
        None => change_store(setup, change),
    }
}

/// Through the running server: it stores the new master first, then uses it.
fn change_through(setup: &Setup, running: &Running, change: Change) -> Result<ExitCode, CliError> {
    let current = stored_master(setup)?;
    let addr = running.addr();
    let done = match &change {
        Change::Rotate => running
            .rotate(&current)
            .map(|(_, pocketpaw)| ("Rotated", pocketpaw)),
        Change::Import {
            token,
            from_pocketpaw,
        } => running
            .import(&current, token, from_pocketpaw.then_some(true))
            .map(|_| ("Imported", false)),
    };
    match done {
        Ok((what, pocketpaw)) => {
            eprintln!(
                "{what} the master token through the PawKey running on {addr}: the {} and the server use the new one now{}. Every session token minted before is invalid.",
                setup.store.location(),
                if pocketpaw {
                    ", and so does PocketPaw (its token file was replaced)"
                } else {
                    ""
                }
            );
            if let Change::Import {
                from_pocketpaw: true,
                ..
            } = change
            {
                eprintln!(
                    "PawKey keeps PocketPaw in step from now on: rotations also replace PocketPaw's token file."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ClientError::Refused { status: 401, .. }) => Err(CliError::OtherMaster {
            addr,
            location: setup.store.location(),
        }),
        Err(ClientError::Refused { detail, .. }) => Err(CliError::ChangeRefused { addr, detail }),
        Err(e @ ClientError::NotRunning(_)) => Err(CliError::ChangeNotSent(e)),
        Err(e) => Err(CliError::ChangeUnknown(e)),
    }
}

/// No server running: a state of this process's own makes the change as a server would
/// (the store first, PocketPaw's token file when kept in step, the audit log); the next
/// start reads it.
fn change_store(setup: Setup, change: Change) -> Result<ExitCode, CliError> {
    let location = setup.store.location();
    let config_file = setup.paths.config_file.clone();
    let addr = client::server_addr(&setup.config);
    let audit = AuditLog::with_file_sync(&setup.paths.data_dir);
    let state = setup.open_state(audit);
    let linked_before = state.config().sync_pocketpaw;
    let (what, linked) = match change {
        Change::Rotate => {
            state
                .rotate_blocking(MintSource::Cli)
                .map_err(|e| CliError::not_changed(e, &location))?;
            ("Rotated", false)
        }
        Change::Import {
            token,
            from_pocketpaw,
        } => {
            state
                .import_master(token, MintSource::Cli, from_pocketpaw.then_some(true))
                .map_err(|e| CliError::not_imported(e, &location))?;
            ("Imported", from_pocketpaw && !linked_before)
        }
    };
    if linked {
        eprintln!(
            "PawKey keeps PocketPaw in step from now on: rotations also replace PocketPaw's token file (sync_pocketpaw in {}).",
            config_file.display()
        );
    }
    eprintln!(
        "{what} the master token in the {location}{}. Every session token minted before is now invalid. No PawKey is running on {addr}; it uses the new token when it starts.",
        if state.pocketpaw_synced() {
            " and in PocketPaw's token file"
        } else {
            ""
        },
    );
    Ok(ExitCode::SUCCESS)
}
