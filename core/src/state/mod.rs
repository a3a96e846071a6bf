//! `AppState`: the one place that holds the master token (read once from its store), the
//! configuration, the audit log and the failure limiter, and offers the operations every
//! front end shares — mint, verify, rotate, import — to the server, the CLI and the desktop
//! shell alike: sessions in `session`, master changes in `master`, following the store in
//! `watch`, access requests in `access`.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::Serialize;

mod access;
mod master;
mod session;
mod watch;

pub use access::ApproveError;
pub use master::ImportError;
pub use session::{CLOCK_SKEW_SECONDS, MintError, Minted, VerifyError};
pub use watch::MasterChanged;

use crate::approval::Approvals;
use crate::audit::AuditLog;
use crate::config::Config;
use crate::limiter::FailureLimiter;
use crate::secret::MasterToken;
use crate::store::{MasterStore, StoreError, StoreKind};
use crate::token::SessionKey;

/// Where the master token lives and whether it could be read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MasterStatus {
    /// Which kind of store holds it (serialized `"keychain"`, `"file"` or `"memory"`).
    pub store: StoreKind,
    /// E.g. "OS keychain (service pawkey, account master-token)".
    pub location: String,
    /// True when the token is loaded and in use.
    pub ok: bool,
    /// What went wrong and what to do, when `ok` is false.
    pub error: Option<String>,
    /// True when the token was created by PawKey on this start (first run).
    pub generated: bool,
    /// When (Unix seconds) the master last changed in its store behind PawKey's back and
    /// PawKey switched to it, if it did since start.
    pub changed_in_store_at: Option<u64>,
    /// True when the last rotation also replaced PocketPaw's token file
    /// (`sync_pocketpaw`), so PocketPaw refuses the old tokens too.
    pub pocketpaw_updated: bool,
}

enum MasterSlot {
    Ready {
        master: MasterToken,
        key: SessionKey,
    },
    Unavailable(StoreError),
}

impl MasterSlot {
    fn ready(master: MasterToken) -> Self {
        let key = SessionKey::new(&master);
        MasterSlot::Ready { master, key }
    }
}

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn MasterStore>,
    master: RwLock<MasterSlot>,
    generated: std::sync::atomic::AtomicBool,
    config: RwLock<Arc<Config>>,
    config_path: Option<PathBuf>,
    audit: AuditLog,
    limiter: FailureLimiter,
    write_lock: tokio::sync::Mutex<()>,
    listening_port: std::sync::atomic::AtomicU16,
    approvals: Approvals,
    master_events: tokio::sync::broadcast::Sender<MasterChanged>,
    changed_in_store_at: std::sync::atomic::AtomicU64,
    pocketpaw_synced: std::sync::atomic::AtomicBool,
}

/// Builds an [`AppState`].
pub struct AppStateBuilder {
    config: Config,
    config_path: Option<PathBuf>,
    store: Arc<dyn MasterStore>,
    audit: AuditLog,
    limiter: FailureLimiter,
    approvals: Approvals,
}

impl AppStateBuilder {
    /// Where settings are saved by [`AppState::save_config`].
    pub fn config_path(mut self, path: PathBuf) -> Self {
        self.config_path = Some(path);
        self
    }

    /// The audit log (default: memory only).
    pub fn audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    /// The failed-authentication limiter (default: [`FailureLimiter::default`]).
    pub fn limiter(mut self, limiter: FailureLimiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// The access-request book (default: [`Approvals::default`]).
    pub fn approvals(mut self, approvals: Approvals) -> Self {
        self.approvals = approvals;
        self
    }

    /// Reads the master token from the store, creating and storing one on first run.
    /// Blocks on the store: call from a blocking thread.
    pub fn open(self) -> AppState {
        let (slot, generated) = load_or_create(self.store.as_ref());
        let port = self.config.port;
        AppState {
            inner: Arc::new(Inner {
                store: self.store,
                master: RwLock::new(slot),
                generated: generated.into(),
                config: RwLock::new(Arc::new(self.config)),
                config_path: self.config_path,
                audit: self.audit,
                limiter: self.limiter,
                write_lock: tokio::sync::Mutex::new(()),
                listening_port: port.into(),
                approvals: self.approvals,
                master_events: tokio::sync::broadcast::channel(8).0,
                changed_in_store_at: 0.into(),
                pocketpaw_synced: false.into(),
            }),
        }
    }
}

fn load_or_create(store: &dyn MasterStore) -> (MasterSlot, bool) {
    match store.load() {
        Ok(Some(master)) => (MasterSlot::ready(master), false),
        Ok(None) => {
            let master = match MasterToken::generate() {
                Ok(m) => m,
                Err(e) => {
                    let err = StoreError::Keychain(format!("the OS random generator failed: {e}"));
                    return (MasterSlot::Unavailable(err), false);
                }
            };
            // Only use a new token once it is safely stored, or it would be lost on exit.
            match store.save(&master) {
                Ok(()) => (MasterSlot::ready(master), true),
                Err(e) => (MasterSlot::Unavailable(e), false),
            }
        }
        Err(e) => (MasterSlot::Unavailable(e), false),
    }
}

impl AppState {
    /// Starts building a state over `store` with `config`.
    pub fn builder(config: Config, store: Arc<dyn MasterStore>) -> AppStateBuilder {
        AppStateBuilder {
            config,
            config_path: None,
            store,
            audit: AuditLog::memory_only(),
            limiter: FailureLimiter::default(),
            approvals: Approvals::default(),
        }
    }

    fn slot(&self) -> std::sync::RwLockReadGuard<'_, MasterSlot> {
        // Writers replace the slot in one assignment; a poisoned lock still holds a whole value.
        self.inner.master.read().unwrap_or_else(|p| p.into_inner())
    }

    fn set_slot(&self, slot: MasterSlot) {
        *self.inner.master.write().unwrap_or_else(|p| p.into_inner()) = slot;
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<Config> {
        self.inner
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the in-memory configuration (already validated by the caller).
    pub fn set_config(&self, config: Config) {
        *self.inner.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    /// Where [`AppState::save_config`] writes.
    pub fn config_path(&self) -> Option<&std::path::Path> {
        self.inner.config_path.as_deref()
    }

    /// The port the server listens on (the configured one until a server starts).
    pub fn listening_port(&self) -> u16 {
        self.inner
            .listening_port
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records the port the server actually bound (it differs from the config for port 0).
    pub fn set_listening_port(&self, port: u16) {
        self.inner
            .listening_port
            .store(port, std::sync::atomic::Ordering::Relaxed);
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.inner.audit
    }

    /// The failed-authentication limiter.
    pub fn limiter(&self) -> &FailureLimiter {
        &self.inner.limiter
    }

    /// Where the master token lives and whether it is usable.
    pub fn master_status(&self) -> MasterStatus {
        let pocketpaw_updated = self.pocketpaw_synced();
        let changed_in_store_at = match self
            .inner
            .changed_in_store_at
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            0 => None,
            t => Some(t),
        };
        let store = self.inner.store.kind();
        let location = self.inner.store.location();
        let generated = self
            .inner
            .generated
            .load(std::sync::atomic::Ordering::Relaxed);
        match &*self.slot() {
            MasterSlot::Ready { .. } => MasterStatus {
                store,
                location,
                ok: true,
                error: None,
                generated,
                changed_in_store_at,
                pocketpaw_updated,
            },
            MasterSlot::Unavailable(e) => MasterStatus {
                store,
                location,
                ok: false,
                error: Some(e.to_string()),
                generated,
                changed_in_store_at,
                pocketpaw_updated,
            },
        }
    }

    /// Whether `presented` is the master token (constant time).
    pub fn is_master(&self, presented: &str) -> Result<bool, StoreError> {
        match &*self.slot() {
            MasterSlot::Ready { master, .. } => Ok(master.matches(presented)),
            MasterSlot::Unavailable(e) => Err(e.clone()),
        }
    }

    /// A copy of the master token, for the places a user asked to see or copy it.
    pub fn master(&self) -> Result<MasterToken, StoreError> {
        match &*self.slot() {
            MasterSlot::Ready { master, .. } => Ok(master.clone()),
            MasterSlot::Unavailable(e) => Err(e.clone()),
        }
    }

    /// Validates `config`, saves what differs from the config in use to the config file
    /// ([`Config::save_changes`]: environment overrides stay out of the file), then
    /// applies it.
    pub fn save_config(&self, config: Config) -> Result<(), crate::config::ConfigError> {
        config.validate(&crate::config::Origin::Setting)?;
        if let Some(path) = self.config_path() {
            Config::save_changes(path, &self.config(), &config)?;
        }
        self.set_config(config);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MintSource;
    use crate::store::MemoryStore;

    fn state_with(store: Arc<MemoryStore>) -> AppState {
        AppState::builder(Config::default(), store).open()
    }

    #[test]
    fn first_run_generates_and_stores_a_master() {
        let store = Arc::new(MemoryStore::default());
        let state = state_with(store.clone());
        let status = state.master_status();
        assert!(status.ok && status.generated, "{status:?}");
        // The window matches on the kind, never on the location sentence.
        assert_eq!(status.store, crate::store::StoreKind::Memory);
        assert_eq!(serde_json::to_value(&status).unwrap()["store"], "memory");
        let stored = store.stored().expect("stored on first run");
        assert_eq!(stored.len(), 64);
        assert!(state.is_master(&stored).unwrap());
    }

    #[test]
    fn first_run_with_failing_store_reports_instead_of_using_an_unsaved_token() {
        let store = Arc::new(MemoryStore::default());
        store.fail_writes(true);
        let state = state_with(store);
        let status = state.master_status();
        assert!(!status.ok);
        assert!(matches!(
            state.mint(None, None, MintSource::Cli, None),
            Err(MintError::MasterUnavailable(_))
        ));
    }
}
