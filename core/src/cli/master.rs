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
                let path = pocketpaw_token_path().ok_or_else(|| CliError {
                    message: "cannot find the home directory, so not PocketPaw's token file either — pipe the token in: `pawkey master import < file`".into(),
                    code: 1,
                })?;
                crate::pocketpaw::read_pocketpaw_token(&path).map_err(|e| CliError {
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
        return Err(CliError {
            message: format!(
                "not deleting the master token without a confirmation, and stdin is not a terminal to ask on — run `{} master delete --yes` to delete it from a script",
                program_name()
            ),
            code: super::EXIT_USAGE,
        });
    }
    if let Some(running) = client::find(&setup.config) {
        return Err(CliError {
            message: format!(
                "PawKey is running on {} and holds the master token; stop it (quit the app or stop `serve`) and run this again. Nothing was deleted.",
                running.addr()
            ),
            code: 1,
        });
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
    setup.store.delete().map_err(|e| CliError {
        message: format!("{e}\nThe master token was not deleted."),
        code: EXIT_KEYCHAIN,
    })?;
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
    setup.store.save(&token).map_err(|e| CliError {
        message: format!("{e}\nThe master token was not changed."),
        code: EXIT_KEYCHAIN,
    })?;
    let pocketpaw = (event == AuditEvent::Rotate && setup.config.sync_pocketpaw)
        .then(pocketpaw_token_path)
        .flatten();
    if let Some(path) = &pocketpaw {
        if let Err(e) = crate::pocketpaw::write_pocketpaw_token(path, &token) {
            let undone = old.map(|old| setup.store.save(&old));
            let message = match undone {
                Some(Ok(())) | None => format!(
                    "PocketPaw's token file {} could not be written ({e}); nothing was changed: the old master token stays in force in PawKey and PocketPaw",
                    path.display()
                ),
                Some(Err(undo)) => format!(
                    "PocketPaw's token file {} could not be written ({e}), and the old master could not be put back in the {} ({undo}): PawKey now has the new master, PocketPaw the old one — import PocketPaw's token again with `{} master import --from-pocketpaw`",
                    path.display(),
                    setup.store.location(),
                    program_name()
                ),
            };
            return Err(CliError {
                message,
                code: EXIT_KEYCHAIN,
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
