//! Start-up shared by the CLI and the desktop app: the effective configuration (file, then
//! environment), standard paths, where the master token lives, and the shutdown signal.

use std::path::Path;
use std::sync::Arc;

use crate::audit::AuditLog;
use crate::config::{Config, ConfigError, Paths};
use crate::state::AppState;
use crate::store::{FileStore, KeyringStore, MasterStore};

/// Why PawKey could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The config file or an environment variable is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
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
    /// Loads the config file (`config_file`, or the standard one) and the environment, and
    /// picks the master-token store: `master_token_file` when given, the OS keychain
    /// otherwise.
    pub fn load(
        config_file: Option<&Path>,
        master_token_file: Option<&Path>,
    ) -> Result<Self, StartupError> {
        let mut paths = Paths::from_env();
        if let Some(p) = config_file {
            paths.config_file = p.to_owned();
        }
        let mut config = Config::load_file(&paths.config_file)?;
        config.apply_env(|k| std::env::var(k).ok())?;
        let store: Arc<dyn MasterStore> = match master_token_file {
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

/// Completes on Ctrl+C or SIGTERM (Windows: Ctrl+C or the console closing). The handlers are installed when this is called, not when
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
    // Windows: Ctrl+C, and the console window being closed, installed now as well.
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_c, ctrl_close};
        let interrupt = ctrl_c();
        let close = ctrl_close();
        async move {
            let interrupt = async {
                match interrupt {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            let close = async {
                match close {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupt => {},
                () = close => {},
            }
        }
    }
}
