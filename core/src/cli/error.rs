//! [`CliError`]: every way a command can fail, each with the message a person reads (what
//! went wrong and what to do next) and its exit code, both decided here and nowhere else.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::args::program_name;
use crate::client::ClientError;
use crate::config::ConfigError;
use crate::pocketpaw::PocketPawFileError;
use crate::server::ServeError;
use crate::startup::StartupError;
use crate::state::{ImportError, MintError};
use crate::store::StoreError;

/// Exit code: the token is invalid or expired (`verify`), or another failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: the command line is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the keychain is unavailable or locked, or refused a write.
pub const EXIT_KEYCHAIN: u8 = 3;
/// Exit code: no PawKey server is running (or it stopped answering).
pub const EXIT_NOT_RUNNING: u8 = 4;
/// Exit code: the config file or an environment variable is invalid.
pub const EXIT_CONFIG: u8 = 5;

/// Why a command failed; [`CliError::exit_code`] says with which code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `--hidden` with a subcommand (it only starts the desktop app).
    #[error(
        "--hidden starts the desktop app in the tray; use it without a subcommand (`pawkey --hidden`)"
    )]
    HiddenWithCommand,
    /// No subcommand.
    #[error("no command given — try `serve`, `token` or `--help`")]
    NoCommand,
    /// The config file or a `PAWKEY_*` variable is invalid.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// A flag is out of range (`serve --ttl-hours 0`).
    #[error(transparent)]
    Flag(#[from] ConfigError),
    /// The master token could not be loaded or created; the message says what to do.
    #[error("{0}")]
    MasterUnavailable(String),
    /// The master-token store could not be read.
    #[error(transparent)]
    Store(StoreError),
    /// No master token is stored yet (`master show`, or a change through a server).
    #[error(
        "no master token stored yet in the {location} — run `{prog} serve` or `{prog} master rotate` to create one, or `{prog} master import` to store yours",
        prog = program_name()
    )]
    NoMaster {
        /// Where it was looked for.
        location: String,
    },
    /// A server runs, but the store this command reads holds no master to authenticate
    /// with (`requests`, `approve`, `deny`).
    #[error(
        "no master token stored in the {location} — a running PawKey would have stored one; is it using --master-token-file? Pass the same flag here."
    )]
    NoMasterForServer {
        /// Where it was looked for.
        location: String,
    },
    /// No server runs, the connection broke, or the server refused (`requests`,
    /// `approve`, `deny`).
    #[error(transparent)]
    Server(ClientError),
    /// The running server refused the master token from the store: it runs with another.
    #[error(
        "the PawKey running on {addr} did not accept the master token in the {location}: it runs with another master (another user's PawKey, or --master-token-file). Nothing was changed; change the master where that PawKey runs, or stop it first."
    )]
    OtherMaster {
        /// The server.
        addr: SocketAddr,
        /// Where this command read the master.
        location: String,
    },
    /// The running server could not store the new master.
    #[error(
        "the PawKey running on {addr} could not change the master token: {detail}. Nothing was changed: the old master token still works in the keychain and the server."
    )]
    ChangeRefused {
        /// The server.
        addr: SocketAddr,
        /// The server's reason.
        detail: String,
    },
    /// The server stopped before the change was sent.
    #[error("{0}. Nothing was changed.")]
    ChangeNotSent(ClientError),
    /// The connection broke while the server was changing the master.
    #[error(
        "{0}. The master token may or may not have changed: check with `{prog} status` and try again.",
        prog = program_name()
    )]
    ChangeUnknown(ClientError),
    /// The store refused the new master; the old one stays.
    #[error("{0}\nThe master token was not changed.")]
    NotChanged(StoreError),
    /// PocketPaw's token file could not be written, and the old master could not be put
    /// back: PawKey and PocketPaw now hold different masters.
    #[error(
        "PocketPaw's token file {} could not be written ({reason}), and the old master could not be put back in the {location} ({undo}): PawKey now has the new master, PocketPaw the old one — import PocketPaw's token again with `{prog} master import --from-pocketpaw`",
        path.display(),
        prog = program_name()
    )]
    PocketPawSplit {
        /// PocketPaw's token file.
        path: PathBuf,
        /// Why it could not be written.
        reason: String,
        /// Where the master lives.
        location: String,
        /// Why the old master could not be put back.
        undo: Box<StoreError>,
    },
    /// PocketPaw's token file holds no token to import (`master import --from-pocketpaw`).
    #[error("{}{}", .0, pipe_it_in(.0))]
    PocketPawFile(PocketPawFileError),
    /// The token was not imported: not a master token, or the setting could not be
    /// saved.
    #[error(transparent)]
    NotImported(ImportError),
    /// `master delete` on a pipe without `--yes`.
    #[error(
        "not deleting the master token without a confirmation, and stdin is not a terminal to ask on — run `{prog} master delete --yes` to delete it from a script",
        prog = program_name()
    )]
    DeleteUnconfirmed,
    /// `master delete` while a server holds the master.
    #[error(
        "PawKey is running on {0} and holds the master token; stop it (quit the app or stop `serve`) and run this again. Nothing was deleted."
    )]
    DeleteWhileRunning(SocketAddr),
    /// The store refused to delete the master.
    #[error("{0}\nThe master token was not deleted.")]
    NotDeleted(StoreError),
    /// The audit log could not be read (`sessions`).
    #[error("cannot read the audit log in {}: {reason}", path.display())]
    AuditUnreadable {
        /// The audit log.
        path: PathBuf,
        /// The OS error.
        reason: std::io::Error,
    },
    /// A mint was refused (lifetime out of range, no master).
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The server could not start.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The OS random generator failed.
    #[error(transparent)]
    Random(#[from] getrandom::Error),
    /// Reading stdin, or starting the async runtime, failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A start-up task did not finish.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    /// Output could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// A master change the store refused (`location` is where the master lives).
    pub(super) fn not_changed(e: StoreError, location: &str) -> Self {
        match e {
            // Says itself that nothing changed.
            StoreError::PocketPaw { .. } => CliError::Store(e),
            StoreError::PocketPawSplit { path, reason, undo } => CliError::PocketPawSplit {
                path,
                reason,
                location: location.to_owned(),
                undo,
            },
            e => CliError::NotChanged(e),
        }
    }

    /// An import that did not happen (`location` is where the master lives).
    pub(super) fn not_imported(e: ImportError, location: &str) -> Self {
        match e {
            ImportError::Store(e) => Self::not_changed(e, location),
            ImportError::PocketPaw(e) => CliError::PocketPawFile(e),
            e => CliError::NotImported(e),
        }
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::HiddenWithCommand | CliError::NoCommand | CliError::DeleteUnconfirmed => {
                EXIT_USAGE
            }
            CliError::Startup(_) => EXIT_CONFIG,
            CliError::MasterUnavailable(_)
            | CliError::Store(_)
            | CliError::ChangeRefused { .. }
            | CliError::NotChanged(_)
            | CliError::PocketPawSplit { .. }
            | CliError::NotDeleted(_) => EXIT_KEYCHAIN,
            CliError::Server(ClientError::NotRunning(_) | ClientError::Io { .. })
            | CliError::ChangeNotSent(_)
            | CliError::ChangeUnknown(_) => EXIT_NOT_RUNNING,
            CliError::Flag(_)
            | CliError::NoMaster { .. }
            | CliError::NoMasterForServer { .. }
            | CliError::Server(ClientError::Refused { .. })
            | CliError::OtherMaster { .. }
            | CliError::PocketPawFile(_)
            | CliError::NotImported(_)
            | CliError::DeleteWhileRunning(_)
            | CliError::AuditUnreadable { .. }
            | CliError::Mint(_)
            | CliError::Serve(_)
            | CliError::Random(_)
            | CliError::Io(_)
            | CliError::Task(_)
            | CliError::Json(_) => EXIT_FAILURE,
        }
    }
}

/// What the CLI offers instead of PocketPaw's token file.
fn pipe_it_in(e: &PocketPawFileError) -> &'static str {
    match e {
        PocketPawFileError::NoHome => " — pipe the token in: `pawkey master import < file`",
        PocketPawFileError::Unreadable { .. } => {
            " Otherwise pipe the token in: `pawkey master import < file`"
        }
        PocketPawFileError::Invalid { .. } => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_kind_has_its_documented_exit_code() {
        let addr: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let refused = || ClientError::Refused {
            status: 503,
            detail: "no".into(),
        };
        for (error, code) in [
            (CliError::HiddenWithCommand, EXIT_USAGE),
            (CliError::NoCommand, EXIT_USAGE),
            (CliError::DeleteUnconfirmed, EXIT_USAGE),
            (CliError::MasterUnavailable("locked".into()), EXIT_KEYCHAIN),
            (
                CliError::ChangeRefused {
                    addr,
                    detail: "no".into(),
                },
                EXIT_KEYCHAIN,
            ),
            (
                CliError::Server(ClientError::NotRunning(addr)),
                EXIT_NOT_RUNNING,
            ),
            (CliError::ChangeUnknown(refused()), EXIT_NOT_RUNNING),
            (CliError::Server(refused()), EXIT_FAILURE),
            (CliError::DeleteWhileRunning(addr), EXIT_FAILURE),
        ] {
            assert_eq!(error.exit_code(), code, "{error}");
        }
    }

    #[test]
    fn messages_say_what_to_do_next() {
        let e = CliError::ChangeNotSent(ClientError::NotRunning("127.0.0.1:8000".parse().unwrap()));
        assert!(
            e.to_string()
                .ends_with("or set its port with --config / PAWKEY_PORT. Nothing was changed."),
            "{e}"
        );
        let e = CliError::PocketPawFile(PocketPawFileError::NoHome);
        assert!(e.to_string().contains("pawkey master import < file"), "{e}");
    }
}
