//! `master show | rotate | import`. When a PawKey server runs for this user (the desktop
//! app or `pawkeyd serve`, on the configured port), rotation and import go through it,
//! authenticated with the master from the keychain: the server stores the new master
//! first and switches only once that worked, so the keychain and the running server
//! never disagree. With no server running, the keychain alone changes and the next start
//! uses it.

use std::process::ExitCode;

use super::prompt::read_stdin_token;
use super::{CliError, MasterCommand, program_name};
use crate::audit::{AuditEvent, AuditLog, MintSource};
use crate::client::{self, ClientError, Running};
use crate::pocketpaw::pocketpaw_token_path;
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
            let text = if from_pocketpaw {
                let path = pocketpaw_token_path().ok_or(CliError::PocketPawNoHome)?;
                crate::pocketpaw::read_pocketpaw_token(&path)
                    .map_err(|reason| CliError::PocketPawUnreadable { path, reason })?
            } else {
                read_stdin_token("Paste the master token and press Enter:")?
            };
            let token = MasterToken::parse(text).map_err(CliError::NotImported)?;
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
        None => change_store(&setup, change),
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

/// No server running: the store alone (and PocketPaw's token file when kept in step); the
/// next start reads it.
fn change_store(setup: &Setup, change: Change) -> Result<ExitCode, CliError> {
    let (token, event, what, link) = match change {
        Change::Rotate => (
            MasterToken::generate()?,
            AuditEvent::Rotate,
            "Rotated",
            false,
        ),
        Change::Import {
            token,
            from_pocketpaw,
        } => (token, AuditEvent::Import, "Imported", from_pocketpaw),
    };
    let old = setup.store.load().ok().flatten();
    setup.store.save(&token).map_err(CliError::NotChanged)?;
    let pocketpaw = (event == AuditEvent::Rotate && setup.config.sync_pocketpaw)
        .then(pocketpaw_token_path)
        .flatten();
    if let Some(path) = &pocketpaw {
        if let Err(e) = crate::pocketpaw::write_pocketpaw_token(path, &token) {
            let undone = old.map(|old| setup.store.save(&old));
            return Err(match undone {
                Some(Ok(())) | None => CliError::PocketPawNotWritten {
                    path: path.clone(),
                    reason: e.to_string(),
                },
                Some(Err(undo)) => CliError::PocketPawSplit {
                    path: path.clone(),
                    reason: e.to_string(),
                    location: setup.store.location(),
                    undo,
                },
            });
        }
    }
    if link && !setup.config.sync_pocketpaw {
        let config = crate::config::Config {
            sync_pocketpaw: true,
            ..setup.config.clone()
        };
        match crate::config::Config::save_changes(&setup.paths.config_file, &setup.config, &config)
            .map(drop)
        {
            Ok(()) => eprintln!(
                "PawKey keeps PocketPaw in step from now on: rotations also replace PocketPaw's token file (sync_pocketpaw in {}).",
                setup.paths.config_file.display()
            ),
            Err(e) => eprintln!(
                "warning: could not save sync_pocketpaw = true ({e}); rotations will not update PocketPaw's token file"
            ),
        }
    }
    AuditLog::with_file_sync(&setup.paths.data_dir).record_master_change(
        event,
        MintSource::Cli,
        &token,
    );
    eprintln!(
        "{what} the master token in the {}{}. Every session token minted before is now invalid. No PawKey is running on {}; it uses the new token when it starts.",
        setup.store.location(),
        if pocketpaw.is_some() {
            " and in PocketPaw's token file"
        } else {
            ""
        },
        client::server_addr(&setup.config)
    );
    Ok(ExitCode::SUCCESS)
}
