//! The command line's shape: every subcommand and flag as clap reads them, and the help
//! text after the options (environment variables, exit codes, where the HTTP API is
//! documented).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::token::TokenFormat;

/// `--config`'s help, with this OS's default location (`directories::ProjectDirs`).
const CONFIG_HELP: &str = if cfg!(target_os = "macos") {
    "Config file [default: ~/Library/Application Support/pawkey/config.toml]"
} else if cfg!(windows) {
    "Config file [default: %APPDATA%\\pawkey\\config\\config.toml]"
} else {
    "Config file [default: $XDG_CONFIG_HOME/pawkey/config.toml, i.e. ~/.config/pawkey/config.toml]"
};

/// What `--help` prints after the options: every `PAWKEY_*` variable, the exit codes and
/// where the HTTP API is documented.
pub const AFTER_HELP: &str = "\
Environment (flags override these; these override the config file):
  PAWKEY_CONFIG                   config file (--config)
  PAWKEY_MASTER_TOKEN_FILE        master token file (--master-token-file)
  PAWKEY_DATA_DIR                 audit log directory [default: ~/.local/share/pawkey on Linux]
  PAWKEY_PORT                     server port [default: 8000]
  PAWKEY_BIND                     listen address [default: 127.0.0.1]
  PAWKEY_ALLOW_REMOTE             allow a non-loopback bind address (serve --allow-remote)
  PAWKEY_TTL_HOURS                session token lifetime, 1-720 [default: 24]
  PAWKEY_TOKEN_FORMAT             session or pocketpaw [default: session]
  PAWKEY_ALLOWED_ORIGINS          extra browser origins, comma-separated
  PAWKEY_EXTRA_HOSTS              extra Host values, comma-separated
  PAWKEY_DASHBOARD_URL            PocketPaw's dashboard [default: http://127.0.0.1:8888]
  PAWKEY_CLIPBOARD_CLEAR_SECONDS  clear a copied token after N seconds, 0 = never [default: 30]
  PAWKEY_COPY_SHORTCUT            desktop app: global shortcut that copies a new token, e.g.
                                  Ctrl+Alt+Shift+K; empty = off [default: off]
  PAWKEY_KEYRING_SERVICE          keychain service name [default: pawkey]
  RUST_LOG                        log level [default: info]
  NO_COLOR                        set (not empty): no colours in log lines

Exit codes:
  0  success
  1  the token is invalid or expired (verify), the server refused, or another failure
  2  the command line is wrong
  3  the keychain (or master token file) is unavailable, locked or refused a write
  4  no PawKey is running (requests, approve, deny)
  5  the config file or a PAWKEY_* variable is invalid

HTTP API (a running PawKey documents it; 8000 is the default port):
  http://localhost:8000/docs               every route: parameters, examples, errors
  http://localhost:8000/api/openapi.json   the same as an OpenAPI 3.1 document";

/// PawKey: keeps the PocketPaw master token in the OS keychain and mints time-limited
/// session tokens.
#[derive(Debug, Parser)]
#[command(name = "pawkey", version = crate::VERSION, after_help = AFTER_HELP)]
pub struct Cli {
    /// Config file (the help text is `CONFIG_HELP`, with the OS's default).
    #[arg(
        long,
        global = true,
        env = "PAWKEY_CONFIG",
        value_name = "PATH",
        help = CONFIG_HELP
    )]
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

    /// Desktop app only: start in the tray with no window (the login entry passes it);
    /// opening PawKey again shows the window.
    #[arg(long)]
    pub hidden: bool,

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
        /// Form of the token [default: the configured token_format]
        #[arg(long, value_enum, value_name = "FORMAT", alias = "format")]
        token_format: Option<TokenFormat>,
        /// Print {"session_token", "expires_at" (Unix seconds), "expires_in_hours",
        /// "fingerprint"} instead of the bare token.
        #[arg(long)]
        json: bool,
    },
    /// Check a session token: prints valid/expired/invalid; exit code 0 only if valid.
    Verify {
        /// The token, or - to read it from stdin (keeps it out of the process list).
        token: String,
        /// Print {"valid", "state": "valid|expired|invalid", "expires_at" (Unix seconds or
        /// null), "reason" (null when valid)}; the exit code is the same.
        #[arg(long)]
        json: bool,
    },
    /// Show, rotate or import the master token.
    Master {
        /// The action.
        #[command(subcommand)]
        action: MasterCommand,
    },
    /// Where the master token lives, the config file, port, TTL and token format.
    Status {
        /// Print the same facts as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Every session token minted (window, tray, shortcut, HTTP, CLI, approvals), newest
    /// first, from the audit log; tokens themselves are never stored, only their
    /// fingerprints.
    Sessions {
        /// Only the ones that have not expired yet.
        #[arg(long)]
        active: bool,
        /// Print {"sessions": [{minted_at, source, client, expires_at, fingerprint,
        /// status}]} (times in Unix seconds, status active or expired).
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script to stdout, e.g.
    /// `pawkeyd completions bash > ~/.local/share/bash-completion/completions/pawkeyd`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// List the access requests waiting for approval (needs PawKey running). Their codes
    /// are not listed: you read the code off the browser that asked.
    Requests {
        /// Print them as JSON: {"requests": [{number, client, origin, peer, ttl_hours,
        /// expires_in}]}.
        #[arg(long)]
        json: bool,
    },
    /// Approve the access request whose code your browser shows; the page gets its
    /// session token on its next poll. A code no browser of yours shows: deny it.
    Approve {
        /// The code the requesting page shows, e.g. BCDF-2345 (asked for on the terminal
        /// when left out).
        code: Option<String>,
        /// A shorter lifetime than the page asked for, in hours.
        #[arg(long, value_name = "N")]
        ttl_hours: Option<i64>,
    },
    /// Deny an access request by its number (as `requests` lists it) or code, or all.
    Deny {
        /// The request's number, e.g. 3, or its code.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        request: Option<String>,
        /// Deny every waiting request (a flood from another program, say).
        #[arg(long)]
        all: bool,
    },
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
    /// Form of new tokens [default: session]
    #[arg(long, value_enum, value_name = "FORMAT", alias = "format")]
    pub token_format: Option<TokenFormat>,
}

/// `master` actions.
#[derive(Debug, Subcommand)]
pub enum MasterCommand {
    /// Print the stored master token to stdout (fails if none is stored yet; never
    /// creates one).
    Show,
    /// Replace the master token with a new random one; every session token stops working.
    /// Goes through a running PawKey (app or serve), so it switches at once.
    Rotate,
    /// Store a master token you already have (e.g. PocketPaw's), read from stdin. Goes
    /// through a running PawKey (app or serve), so it switches at once.
    Import {
        /// Read PocketPaw's token file (~/.pocketpaw/access_token) instead of stdin.
        #[arg(long)]
        from_pocketpaw: bool,
    },
    /// Delete the master token from the keychain; every session token stops working. Asks
    /// you to type "delete" on a terminal; scripts pass --yes. Refused while PawKey runs.
    Delete {
        /// Do not ask (needed when stdin is not a terminal).
        #[arg(long, short)]
        yes: bool,
    },
}

/// `pawkeyd` when this process was started as `pawkeyd`, otherwise `pawkey`.
pub(super) fn program_name() -> &'static str {
    let headless = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s == "pawkeyd"))
        .unwrap_or(false);
    if headless { "pawkeyd" } else { "pawkey" }
}
