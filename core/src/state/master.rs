//! Changing the master token: rotation and import (stored first, then used), and
//! following changes made in the store behind this process's back.

use serde::Serialize;

use std::path::Path;

use tokio::sync::MutexGuard;

use super::{AppState, MasterSlot, MasterStatus, load_or_create};
use crate::audit::{AuditEvent, MintSource};
use crate::clock::now_unix;
use crate::config::{Config, ConfigError};
use crate::pocketpaw::PocketPawFileError;
use crate::secret::{MasterToken, MasterTokenError};
use crate::store::{MasterStore, StoreError};

/// Most checks [`AppState::watch_master`] skips after failed reads.
const MAX_BACKOFF_TICKS: u32 = 150;

/// A change of the master token this process did not make itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterChanged {
    /// Another tool (or a second PawKey) stored a new master; this process switched to it.
    InStore,
}

/// Why a master token was not imported. In every case the master in use is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// PocketPaw's token file holds no token to import ([`AppState::import_from_pocketpaw`]).
    #[error(transparent)]
    PocketPaw(#[from] PocketPawFileError),
    /// The token is not an acceptable master token.
    #[error("not imported: {0}")]
    Invalid(#[from] MasterTokenError),
    /// The `sync_pocketpaw` setting could not be saved.
    #[error(
        "not imported: the setting could not be saved ({0}); the current master token is still valid"
    )]
    Setting(ConfigError),
    /// The store refused the new master token.
    #[error("could not store the new master token ({0}); the current master token is still valid")]
    Store(StoreError),
}

impl AppState {
    /// Replaces the master token with a new random one. The new token is written to the
    /// store first; if that fails, the old one stays in force. Every session token minted
    /// before is revoked. Recorded in the audit log as a rotation over HTTP (this is what
    /// `POST /api/token/regenerate` calls); other front ends use [`AppState::rotate_by`].
    pub async fn rotate(&self) -> Result<MasterToken, StoreError> {
        self.rotate_by(MintSource::Http).await
    }

    /// [`AppState::rotate`], recorded in the audit log as asked by `source`.
    pub async fn rotate_by(&self, source: MintSource) -> Result<MasterToken, StoreError> {
        let state = self.clone();
        on_blocking_thread(move || state.rotate_blocking(source)).await
    }

    /// [`AppState::rotate_by`] on this thread. Kept in step with PocketPaw
    /// (`sync_pocketpaw`), it writes PocketPaw's token file too, and if that fails puts
    /// the old master back in the store, so that neither side changes. Blocking: call
    /// from a blocking thread.
    pub fn rotate_blocking(&self, source: MintSource) -> Result<MasterToken, StoreError> {
        let fresh = MasterToken::generate()
            .map_err(|e| StoreError::Keychain(format!("the OS random generator failed: {e}")))?;
        let changing = self.lock_changes();
        self.replace_master(&changing, fresh, AuditEvent::Rotate, source)
    }

    /// Replaces the master token with an imported one (same guarantees as `rotate`),
    /// recorded in the audit log as an import from the window.
    pub async fn import(&self, token: MasterToken) -> Result<MasterToken, StoreError> {
        self.import_by(token, MintSource::Window).await
    }

    /// [`AppState::import`], recorded in the audit log as asked by `source`.
    pub async fn import_by(
        &self,
        token: MasterToken,
        source: MintSource,
    ) -> Result<MasterToken, StoreError> {
        let state = self.clone();
        on_blocking_thread(move || {
            let changing = state.lock_changes();
            state.replace_master(&changing, token, AuditEvent::Import, source)
        })
        .await
    }

    /// Imports PocketPaw's master token from its token file and keeps PocketPaw in step
    /// from now on: [`AppState::import_master`] with `sync_pocketpaw` on. Blocking: call
    /// from a blocking thread.
    pub fn import_from_pocketpaw(&self, source: MintSource) -> Result<MasterStatus, ImportError> {
        let token = crate::pocketpaw::read_pocketpaw_master()?;
        self.import_master(token, source, Some(true))
    }

    /// Replaces the master token with `token`, recorded in the audit log as an import by
    /// `source`, and sets `sync_pocketpaw` when given (saved to the config file first; put
    /// back if the store then refuses the token, so nothing changes). Every session token
    /// minted before is revoked. Blocking: call from a blocking thread.
    pub fn import_master(
        &self,
        token: MasterToken,
        source: MintSource,
        sync_pocketpaw: Option<bool>,
    ) -> Result<MasterStatus, ImportError> {
        let changing = self.lock_changes();
        let before = self.config();
        let setting = sync_pocketpaw.filter(|&sync| sync != before.sync_pocketpaw);
        if let Some(sync) = setting {
            let config = Config {
                sync_pocketpaw: sync,
                ..(*before).clone()
            };
            self.save_config(config).map_err(ImportError::Setting)?;
        }
        if let Err(e) = self.replace_master(&changing, token, AuditEvent::Import, source) {
            if setting.is_some() {
                if let Err(undo) = self.save_config((*before).clone()) {
                    tracing::warn!(
                        "could not put sync_pocketpaw back after a failed import: {undo}"
                    );
                }
            }
            return Err(ImportError::Store(e));
        }
        Ok(self.master_status())
    }

    /// Waits for any other change of the master in this process to finish. Blocking.
    fn lock_changes(&self) -> MutexGuard<'_, ()> {
        self.inner.write_lock.blocking_lock()
    }

    /// Stores `token` first (with PocketPaw's token file, for a rotation kept in step),
    /// then uses it and records it in the audit log; a refused change changes nothing.
    fn replace_master(
        &self,
        _changing: &MutexGuard<'_, ()>,
        token: MasterToken,
        event: AuditEvent,
        source: MintSource,
    ) -> Result<MasterToken, StoreError> {
        let pocketpaw = (event == AuditEvent::Rotate && self.config().sync_pocketpaw)
            .then(crate::pocketpaw::pocketpaw_token_path)
            .flatten();
        let old = self.master().ok();
        let synced = store_in_step(
            self.inner.store.as_ref(),
            &token,
            old.as_ref(),
            pocketpaw.as_deref(),
        )?;
        self.inner
            .pocketpaw_synced
            .store(synced, std::sync::atomic::Ordering::Relaxed);
        self.set_slot(MasterSlot::ready(token.clone()));
        self.inner
            .generated
            .store(false, std::sync::atomic::Ordering::Relaxed);
        // Only once it is stored: a refused change is not recorded.
        self.inner.audit.record_master_change(event, source, &token);
        Ok(token)
    }

    /// Whether the last rotation also wrote PocketPaw's token file (`sync_pocketpaw`).
    pub fn pocketpaw_synced(&self) -> bool {
        self.inner
            .pocketpaw_synced
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads the store and, if it holds another master than the one in use (changed
    /// behind PawKey's back by another tool or a second PawKey), switches to it: the audit
    /// log records the change and [`AppState::subscribe_master`] announces it. A failed
    /// read keeps the master in use. Blocking: call from a blocking thread.
    pub fn sync_master_from_store(&self) -> Result<bool, StoreError> {
        let Some(stored) = self.inner.store.load()? else {
            return Ok(false);
        };
        let same = match &*self.slot() {
            MasterSlot::Ready { master, .. } => master.matches(stored.expose()),
            MasterSlot::Unavailable(_) => false,
        };
        if same {
            return Ok(false);
        }
        self.set_slot(MasterSlot::ready(stored.clone()));
        self.inner
            .generated
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.inner
            .changed_in_store_at
            .store(now_unix(), std::sync::atomic::Ordering::Relaxed);
        self.inner
            .audit
            .record_master_change(AuditEvent::External, MintSource::Store, &stored);
        tracing::info!(
            "the master token changed in the {}; now using the new one",
            self.inner.store.location()
        );
        let _ = self.inner.master_events.send(MasterChanged::InStore);
        Ok(true)
    }

    /// Checks the store every `every` (see [`AppState::sync_master_from_store`]) until the
    /// runtime shuts down. Spawn it next to the server.
    pub async fn watch_master(self, every: std::time::Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        // After a failed read (keychain gone or locked) wait 2, 4, 8... ticks, up to
        // MAX_BACKOFF_TICKS, before asking again: asking a locked keychain may prompt the
        // person to unlock it, and asking a stopped one makes D-Bus start a new daemon.
        let mut failures = 0u32;
        let mut skip = 0u32;
        loop {
            ticks.tick().await;
            if skip > 0 {
                skip -= 1;
                continue;
            }
            // Not while this process itself is replacing the master.
            let Ok(_guard) = self.inner.write_lock.try_lock() else {
                continue;
            };
            let state = self.clone();
            match tokio::task::spawn_blocking(move || state.sync_master_from_store()).await {
                Ok(Ok(_)) => failures = 0,
                Ok(Err(e)) => {
                    failures = failures.saturating_add(1);
                    skip = 2u32.saturating_pow(failures).min(MAX_BACKOFF_TICKS);
                    tracing::debug!(
                        "could not re-read the master token ({e}); next try in {skip} checks"
                    );
                }
                Err(e) => tracing::debug!("master token check did not finish: {e}"),
            }
        }
    }

    /// Announces master changes this state did not make itself.
    pub fn subscribe_master(&self) -> tokio::sync::broadcast::Receiver<MasterChanged> {
        self.inner.master_events.subscribe()
    }

    /// Reads the store again (after the keychain was unlocked or started). Blocking.
    pub fn reload_master(&self) -> MasterStatus {
        let (slot, generated) = load_or_create(self.inner.store.as_ref());
        if let MasterSlot::Ready { .. } = slot {
            self.set_slot(slot);
            self.inner
                .generated
                .store(generated, std::sync::atomic::Ordering::Relaxed);
        } else if let MasterSlot::Ready { .. } = &*self.slot() {
            // Keep a working cached token rather than replace it with an error.
        } else {
            self.set_slot(slot);
        }
        self.master_status()
    }
}

/// Saves `new` in `store` and, with `pocketpaw`, writes it as PocketPaw's token file too.
/// If that write fails, `old` goes back into the store, so that neither side changed (or,
/// should that fail as well, the error says which side holds which master). Returns
/// whether PocketPaw's file was written. Blocking.
fn store_in_step(
    store: &dyn MasterStore,
    new: &MasterToken,
    old: Option<&MasterToken>,
    pocketpaw: Option<&Path>,
) -> Result<bool, StoreError> {
    store.save(new)?;
    let Some(path) = pocketpaw else {
        return Ok(false);
    };
    let Err(e) = crate::pocketpaw::write_pocketpaw_token(path, new) else {
        return Ok(true);
    };
    let (path, reason) = (path.to_owned(), e.to_string());
    match old.map(|old| store.save(old)) {
        Some(Err(undo)) => Err(StoreError::PocketPawSplit {
            path,
            reason,
            undo: Box::new(undo),
        }),
        Some(Ok(())) | None => Err(StoreError::PocketPaw { path, reason }),
    }
}

/// Runs a store call on a blocking thread.
async fn on_blocking_thread<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| StoreError::Keychain(format!("the keychain call did not finish: {e}")))?
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::{MemoryStore, StoreKind};

    const POCKETPAW: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

    fn token(text: &str) -> MasterToken {
        MasterToken::parse(text.into()).unwrap()
    }

    #[test]
    fn an_import_turns_the_setting_on_and_a_refused_one_puts_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let config_file = dir.path().join("config.toml");
        let store = Arc::new(MemoryStore::default());
        let state = AppState::builder(Config::default(), store.clone())
            .config_path(config_file.clone())
            .open();

        let status = state
            .import_master(token(POCKETPAW), MintSource::Cli, Some(true))
            .unwrap();
        assert!(status.ok, "{status:?}");
        assert!(state.is_master(POCKETPAW).unwrap());
        assert_eq!(store.stored().unwrap(), POCKETPAW);
        assert!(state.config().sync_pocketpaw);
        let saved = || std::fs::read_to_string(&config_file).unwrap();
        assert!(saved().contains("sync_pocketpaw = true"), "{}", saved());

        store.fail_writes(true);
        let other = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
        let e = state
            .import_master(token(other), MintSource::Cli, Some(false))
            .unwrap_err();
        assert!(matches!(e, ImportError::Store(_)), "{e}");
        assert!(e.to_string().contains("still valid"), "{e}");
        assert!(state.is_master(POCKETPAW).unwrap());
        assert!(
            state.config().sync_pocketpaw,
            "the setting was not put back"
        );
        assert!(saved().contains("sync_pocketpaw = true"), "{}", saved());
    }

    #[test]
    fn an_import_whose_setting_cannot_be_saved_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::default());
        // A directory where the config file should be: it can be neither read nor written.
        let state = AppState::builder(Config::default(), store.clone())
            .config_path(dir.path().to_owned())
            .open();
        let before = store.stored().unwrap();
        let e = state
            .import_master(token(POCKETPAW), MintSource::Cli, Some(true))
            .unwrap_err();
        assert!(matches!(e, ImportError::Setting(_)), "{e}");
        assert!(
            e.to_string().starts_with("not imported: the setting"),
            "{e}"
        );
        assert_eq!(store.stored().unwrap(), before);
        assert!(state.is_master(&before).unwrap());
        assert!(!state.config().sync_pocketpaw);
    }

    /// A store whose saves fail from the `good`-th on.
    struct Tiring {
        inner: MemoryStore,
        saves: AtomicUsize,
        good: usize,
    }

    impl MasterStore for Tiring {
        fn kind(&self) -> StoreKind {
            StoreKind::Memory
        }
        fn location(&self) -> String {
            self.inner.location()
        }
        fn load(&self) -> Result<Option<MasterToken>, StoreError> {
            self.inner.load()
        }
        fn save(&self, token: &MasterToken) -> Result<(), StoreError> {
            let n = self.saves.fetch_add(1, Ordering::SeqCst);
            self.inner.fail_writes(n >= self.good);
            self.inner.save(token)
        }
        fn delete(&self) -> Result<(), StoreError> {
            self.inner.delete()
        }
    }

    #[test]
    fn a_pocketpaw_file_that_cannot_be_written_puts_the_old_master_back() {
        let dir = tempfile::tempdir().unwrap();
        // A file where PocketPaw's directory should be.
        std::fs::write(dir.path().join(".pocketpaw"), "").unwrap();
        let file = dir.path().join(".pocketpaw/access_token");
        let old = token(POCKETPAW);
        let new = MasterToken::generate().unwrap();
        for (good, undone) in [(2, true), (1, false)] {
            let store = Tiring {
                inner: MemoryStore::with(old.clone()),
                saves: AtomicUsize::new(0),
                good,
            };
            let e = store_in_step(&store, &new, Some(&old), Some(&file)).unwrap_err();
            if undone {
                assert!(matches!(e, StoreError::PocketPaw { .. }), "{e}");
                assert!(e.to_string().contains("nothing was changed"), "{e}");
                assert_eq!(store.inner.stored().unwrap(), POCKETPAW);
            } else {
                assert!(matches!(e, StoreError::PocketPawSplit { .. }), "{e}");
                assert!(
                    e.to_string().contains("PawKey now has the new master"),
                    "{e}"
                );
                assert_eq!(store.inner.stored().unwrap(), new.expose());
            }
        }
        let store = MemoryStore::default();
        assert!(!store_in_step(&store, &new, None, None).unwrap());
        assert_eq!(store.stored().unwrap(), new.expose());
    }
}
