//! The command line shared by `pawkeyd` (headless) and `pawkey` (the desktop app, which
//! opens its window when no subcommand is given). Errors tell the user what to do next;
//! secrets are printed only by the commands whose job is to print them (`token`,
//! `master show`), and only to stdout.

mod args;
pub mod docs;
mod error;
mod local;
mod logging;
mod master;
mod prompt;
mod requests;
mod serve;

pub use args::{AFTER_HELP, Cli, Command, MasterCommand, ServeArgs};
pub use error::{CliError, EXIT_CONFIG, EXIT_FAILURE, EXIT_KEYCHAIN, EXIT_NOT_RUNNING, EXIT_USAGE};
pub use logging::{
    KEEP_LOG_FILES, LATEST_LOG, create_log_dir, init_desktop_logging, init_logging,
    init_window_logging, log_dir, use_color,
};
pub use serve::{REMOTE_WARNING, serve_banner};

use std::process::ExitCode;

use crate::startup::Setup;
use crate::state::AppState;
use args::program_name;

/// Runs a parsed command line (`command` must be set) and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    match run_command(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_command(cli: Cli) -> Result<ExitCode, CliError> {
    if cli.hidden {
        return Err(CliError::HiddenWithCommand);
    }
    if let Some(Command::Completions { shell }) = cli.command {
        // Needs no config, keychain or server.
        use clap::CommandFactory;
        let name = program_name();
        let mut cmd = Cli::command().name(name);
        clap_complete::generate(shell, &mut cmd, name, &mut std::io::stdout());
        return Ok(ExitCode::SUCCESS);
    }
    let invocation = serve::invocation(&cli);
    let setup = Setup::load(cli.config.as_deref(), cli.master_token_file.as_deref())?;
    match cli.command {
        Some(Command::Serve(args)) => serve::serve(setup, args, &invocation),
        Some(Command::Token {
            ttl_hours,
            token_format,
            json,
        }) => local::token(setup, ttl_hours, token_format, json),
        Some(Command::Verify { token, json }) => local::verify(setup, &token, json),
        Some(Command::Master { action }) => master::master(setup, action),
        Some(Command::Status { json }) => local::status(setup, json),
        Some(Command::Sessions { active, json }) => local::sessions(setup, active, json),
        Some(Command::Requests { json }) => requests::list(setup, json),
        Some(Command::Approve { code, ttl_hours }) => requests::approve(setup, code, ttl_hours),
        Some(Command::Deny { request, all: _ }) => requests::deny(setup, request),
        Some(Command::Completions { .. }) => unreachable!("handled above"),
        None => Err(CliError::NoCommand),
    }
}

/// Parses the process arguments, naming the program after its executable (`pawkey` or
/// `pawkeyd`) in `--version` and `--help`.
pub fn parse_args() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let name = program_name();
    let matches = Cli::command().name(name).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// `pawkeyd`'s whole `main`. Without a subcommand it prints its help to stderr and exits
/// 2 (the desktop app opens its window instead).
pub fn main() -> ExitCode {
    init_logging();
    let cli = parse_args();
    if cli.command.is_none() {
        use clap::CommandFactory;
        let mut cmd = Cli::command().name(program_name());
        eprintln!("{}", cmd.render_help());
        return ExitCode::from(EXIT_USAGE);
    }
    run(cli)
}

fn require_master(state: &AppState) -> Result<(), CliError> {
    let status = state.master_status();
    match status.error {
        Some(e) => Err(CliError::MasterUnavailable(e)),
        None => {
            if status.generated {
                eprintln!(
                    "Created a new master token and stored it in the {}. Show it with `master show`.",
                    status.location
                );
            }
            Ok(())
        }
    }
}
