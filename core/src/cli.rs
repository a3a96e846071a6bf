//! The command line shared by `pawkeyd` (headless) and `pawkey` (the desktop app, which
//! opens its window when no subcommand is given). Errors tell the user what to do next;
//! secrets are printed only by the commands whose job is to print them (`token`,
//! `master show`), and only to stdout.

use std::io::{BufRead, IsTerminal, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::audit::{AuditEvent, AuditLog, MintSource};
use crate::config::{Config, Origin, Paths};
use crate::secret::MasterToken;
use crate::server;
use crate::server::routes::rfc3339;
use crate::state::{AppState, VerifyError, now_unix};
use crate::store::{FileStore, KeyringStore, MasterStore};
use crate::token::{TokenError, TokenFormat};

/// PawKey: keeps the PocketPaw master token in the OS keychain and mints time-limited
/// session tokens.
#[derive(Debug, Parser)]
#[command(name = "pawkey", version = crate::VERSION)]
pub struct Cli {
    /// Config file [default: ~/.config/pawkey/config.toml]
    #[arg(long, global = true, env = "PAWKEY_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Read the master token from this file (must be mode 0600) instead of the OS keychain.
    /// PawKey never writes it.
    #[arg(
        long,
        global = true,
        env = "PAWKEY_MASTER_TOKEN_FILE",
        value_name = "PATH"
    )]
    pub master_token_file: Option<PathBuf>,

    /// What to do; the desktop app opens its window when this is left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the auth server without a window (Ctrl+C or SIGTERM stops it gracefully).
    Serve(ServeArgs),
    /// Mint a session token and print it (only the token goes to stdout).
    Token {
        /// Lifetime in hours (1 to the configured ttl_hours).
        #[arg(long, value_name = "N")]
        ttl_hours: Option<i64>,
        /// Token form: session (session:<exp>:<sig>) or pocketpaw (<exp>:<sig>).
        #[arg(long, value_name = "FORMAT")]
        format: Option<TokenFormat>,
    },
    /// Check a session token: prints valid/expired/invalid; exit code 0 only if valid.
    Verify {
        /// The token, or - to read it from stdin (keeps it out of the process list).
        token: String,
    },
    /// Show, rotate or import the master token.
    Master {
        /// The action.
        #[command(subcommand)]
        action: MasterCommand,
    },
    /// Where the master token lives, the config file, port, TTL and token format.
    Status,
}

/// `serve` flags; they override the config file and environment.
#[derive(Debug, clap::Args, Default)]
pub struct ServeArgs {
    /// TCP port [default: 8000]
    #[arg(long, short, value_name = "PORT")]
    pub port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1; the IPv6 loopback is served too]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<IpAddr>,
    /// Allow a non-loopback --bind address. Other machines can then reach PawKey, and the
    /// master and session tokens cross the network in cleartext: PawKey has no TLS. The Host
    /// allowlist is not access control (any client can send an allowed Host); only the
    /// tokens protect the server.
    #[arg(long, env = "PAWKEY_ALLOW_REMOTE")]
    pub allow_remote: bool,
    /// Session token lifetime in hours, 1–720 [default: 24]
    #[arg(long, value_name = "N")]
    pub ttl_hours: Option<u32>,
    /// Form of new tokens: session or pocketpaw [default: session]
    #[arg(long, value_name = "FORMAT")]
    pub token_format: Option<TokenFormat>,
}

/// `master` actions.
#[derive(Debug, Subcommand)]
pub enum MasterCommand {
    /// Print the stored master token to stdout (fails if none is stored yet; never
    /// creates one).
    Show,
    /// Replace the master token with a new random one; every session token stops working.
    Rotate,
    /// Store a master token you already have (e.g. PocketPaw's), read from stdin.
    Import {
        /// Read PocketPaw's token file (~/.pocketpaw/access_token) instead of stdin.
        #[arg(long)]
        from_pocketpaw: bool,
    },
}

/// A failure to report to the user, with the exit code to use.
#[derive(Debug)]
pub struct CliError {
    /// The message, already phrased for a person.
    pub message: String,
    /// The process exit code.
    pub code: u8,
}

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError {
            message: e.to_string(),
            code: 1,
        }
    }
}

/// Logging to stderr; `RUST_LOG` sets the level (default: info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// Everything a command needs to start: settings and where the master token lives.
pub struct Setup {
    /// Effective configuration (file, then environment; flags are applied by commands).
    pub config: Config,
    /// Standard file locations.
    pub paths: Paths,
    /// Where the master token lives.
    pub store: Arc<dyn MasterStore>,
}

impl Setup {
    /// Loads the config file and environment, and picks the master-token store.
    pub fn load(cli: &Cli) -> Result<Self, CliError> {
        let mut paths = Paths::from_env();
        if let Some(p) = &cli.config {
            paths.config_file = p.clone();
        }
        let mut config = Config::load_file(&paths.config_file)?;
        config.apply_env(|k| std::env::var(k).ok())?;
        let store: Arc<dyn MasterStore> = match &cli.master_token_file {
            Some(path) => Arc::new(FileStore::new(path)),
            None => Arc::new(KeyringStore::from_env()),
        };
        Ok(Self {
            config,
            paths,
            store,
        })
    }

    /// Opens the shared state (reads the master token; creates it on first run).
    pub fn open_state(self, audit: AuditLog) -> AppState {
        AppState::builder(self.config, self.store)
            .config_path(self.paths.config_file)
            .audit(audit)
            .open()
    }
}

/// Runs a parsed command line (`command` must be set) and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    let invocation = invocation(&cli);
    let result = match Setup::load(&cli) {
        Ok(setup) => match cli.command {
            Some(Command::Serve(args)) => serve(setup, args, &invocation),
            Some(Command::Token { ttl_hours, format }) => token(setup, ttl_hours, format),
            Some(Command::Verify { token }) => verify(setup, &token),
            Some(Command::Master { action }) => master(setup, action),
            Some(Command::Status) => status(setup),
            None => Err(CliError {
                message: "no command given — try `serve`, `token` or `--help`".into(),
                code: 2,
            }),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// `pawkeyd` when this process was started as `pawkeyd`, otherwise `pawkey`.
fn program_name() -> &'static str {
    let headless = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s == "pawkeyd"))
        .unwrap_or(false);
    if headless { "pawkeyd" } else { "pawkey" }
}

/// How to run this program again with the same config and master-token source, for the
/// commands the `serve` banner suggests (`pawkeyd --master-token-file PATH`, ...).
fn invocation(cli: &Cli) -> String {
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
/// the master token on no command line (curl reads the header from stdin with `-H @-`).
pub fn serve_banner(invocation: &str, port: u16) -> String {
    format!(
        "Mint a session token from a shell with:\n  {invocation} token\n\
         or over HTTP (the master token stays off every command line):\n  \
         {invocation} master show | sed 's/^/Authorization: Bearer /' | curl -X POST http://localhost:{port}/api/auth/session -H @-"
    )
}

/// What `serve --allow-remote` prints and logs when it listens beyond loopback.
pub const REMOTE_WARNING: &str = "--allow-remote: PawKey listens beyond loopback. Other machines can reach it, and master and session tokens cross the network in cleartext (PawKey has no TLS): anyone on the path can read them. The Host allowlist is not access control; only the tokens protect the server. Put PawKey behind a TLS proxy or an SSH tunnel instead when you can.";

/// Parses the process arguments, naming the program after its executable (`pawkey` or
/// `pawkeyd`) in `--version` and `--help`.
pub fn parse_args() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let name = program_name();
    let matches = Cli::command().name(name).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// `pawkeyd`'s whole `main`.
pub fn main() -> ExitCode {
    init_logging();
    run(parse_args())
}

fn require_master(state: &AppState) -> Result<(), CliError> {
    let status = state.master_status();
    match status.error {
        Some(e) => Err(CliError {
            message: e,
            code: 1,
        }),
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

fn serve(setup: Setup, args: ServeArgs, invocation: &str) -> Result<ExitCode, CliError> {
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

/// Completes on Ctrl+C or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled, so a signal that arrives in between is not left to the
/// default action, which would end the process without a graceful shutdown. Call it inside
/// a Tokio runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        let wait = |s: std::io::Result<Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        async move {
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn token(
    setup: Setup,
    ttl_hours: Option<i64>,
    format: Option<TokenFormat>,
) -> Result<ExitCode, CliError> {
    let audit = AuditLog::with_file_sync(&setup.paths.data_dir);
    let state = setup.open_state(audit);
    require_master(&state)?;
    let minted = state.mint(ttl_hours, format, MintSource::Cli, None)?;
    println!("{}", minted.token);
    if std::io::stderr().is_terminal() {
        eprintln!(
            "expires {} ({} h)",
            rfc3339(minted.expires_at),
            minted.ttl_hours
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn read_stdin_token(prompt: &str) -> Result<String, CliError> {
    let mut line = String::new();
    if std::io::stdin().is_terminal() {
        // Echo goes off before the prompt shows, so nothing typed after it is displayed
        // (nor left in the scrollback); it comes back when this guard drops.
        let _echo_off = EchoOff::new();
        eprintln!("{prompt}");
        std::io::stdin().lock().read_line(&mut line)?;
    } else {
        std::io::stdin()
            .lock()
            .take(64 * 1024)
            .read_to_string(&mut line)?;
    }
    Ok(line)
}

/// Terminal echo on stdin switched off until this is dropped (also on an error return).
#[cfg(unix)]
struct EchoOff(rustix::termios::Termios);

#[cfg(unix)]
impl EchoOff {
    /// `None` when stdin is not a terminal whose echo could be switched off.
    fn new() -> Option<Self> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // Keep the newline visible so the prompt does not look stuck.
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(&stdin, OptionalActions::Flush, &quiet).ok()?;
        Some(Self(saved))
    }
}

#[cfg(unix)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.0,
        );
    }
}

#[cfg(not(unix))]
struct EchoOff;

#[cfg(not(unix))]
impl EchoOff {
    fn new() -> Option<Self> {
        None
    }
}

fn verify(setup: Setup, token: &str) -> Result<ExitCode, CliError> {
    let token = if token == "-" {
        read_stdin_token("Paste the session token and press Enter:")?
            .trim()
            .to_owned()
    } else {
        token.to_owned()
    };
    let state = setup.open_state(AuditLog::memory_only());
    require_master(&state)?;
    match state.verify(&token) {
        Ok(exp) => {
            let left = exp.saturating_sub(now_unix());
            println!(
                "valid: expires {} (in {} h {} min)",
                rfc3339(exp),
                left / 3600,
                (left % 3600) / 60
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(VerifyError::Token(TokenError::Expired(exp))) => {
            println!("expired: at {}", rfc3339(exp));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

const RUNNING_SERVER_NOTE: &str = "A PawKey server or app that is already running keeps the old token until it restarts; \
     rotate or import in the running app (or POST /api/token/regenerate) to switch it at once.";

fn master(setup: Setup, action: MasterCommand) -> Result<ExitCode, CliError> {
    match action {
        MasterCommand::Show => {
            // Only reads: showing the master must never create one behind the user's back.
            match setup.store.load()? {
                Some(master) => println!("{}", master.expose()),
                None => {
                    return Err(CliError {
                        message: format!(
                            "no master token stored yet in the {} — run `{prog} serve` or `{prog} master rotate` to create one, or `{prog} master import` to store yours",
                            setup.store.location(),
                            prog = program_name()
                        ),
                        code: 1,
                    });
                }
            }
        }
        MasterCommand::Rotate => {
            let fresh = MasterToken::generate()?;
            setup.store.save(&fresh).map_err(|e| CliError {
                message: format!("{e}\nThe master token was not changed."),
                code: 1,
            })?;
            AuditLog::with_file_sync(&setup.paths.data_dir).record_master_change(
                AuditEvent::Rotate,
                MintSource::Cli,
                &fresh,
            );
            eprintln!(
                "Rotated the master token in the {}. Every session token minted before is now invalid.\n{RUNNING_SERVER_NOTE}",
                setup.store.location()
            );
        }
        MasterCommand::Import { from_pocketpaw } => {
            let text = if from_pocketpaw {
                let path = pocketpaw_token_path()?;
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
            setup.store.save(&token).map_err(|e| CliError {
                message: format!("{e}\nThe master token was not changed."),
                code: 1,
            })?;
            AuditLog::with_file_sync(&setup.paths.data_dir).record_master_change(
                AuditEvent::Import,
                MintSource::Cli,
                &token,
            );
            eprintln!(
                "Imported the master token into the {}. Session tokens minted before are now invalid.\n{RUNNING_SERVER_NOTE}",
                setup.store.location()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `~/.pocketpaw/access_token`.
pub fn pocketpaw_token_path() -> Result<PathBuf, CliError> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().join(".pocketpaw").join("access_token"))
        .ok_or_else(|| CliError {
            message: "cannot find the home directory".into(),
            code: 1,
        })
}

fn status(setup: Setup) -> Result<ExitCode, CliError> {
    let c = &setup.config;
    let (master_line, ok) = match setup.store.load() {
        Ok(Some(_)) => (format!("{} — OK", setup.store.location()), true),
        Ok(None) => (
            format!(
                "{} — not created yet (created on first `serve` or `token`)",
                setup.store.location()
            ),
            true,
        ),
        Err(e) => (format!("{} — ERROR: {e}", setup.store.location()), false),
    };
    let config_state = if setup.paths.config_file.exists() {
        ""
    } else {
        " (not present; defaults in use)"
    };
    println!("PawKey {}", crate::VERSION);
    println!("Master token:  {master_line}");
    println!(
        "Config file:   {}{config_state}",
        setup.paths.config_file.display()
    );
    // SocketAddr writes an IPv6 address in brackets, as a URL needs.
    println!(
        "Server:        http://{} (port {})",
        std::net::SocketAddr::new(c.bind, c.port),
        c.port
    );
    println!("Session TTL:   {} hours", c.ttl_hours);
    println!("Token format:  {}", c.token_format.as_str());
    println!(
        "Audit log:     {}",
        setup.paths.data_dir.join("audit.jsonl").display()
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
