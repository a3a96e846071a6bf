//! Changing the master token: rotation and import, stored first (with PocketPaw's token
//! file when kept in step, rolled back if that fails), then used.

use std::path::Path;

use tokio::sync::MutexGuard;

use super::{AppState, MasterSlot, MasterStatus};
use crate::audit::{AuditEvent, MintSource};
use crate::config::{Config, ConfigError};
use crate::pocketpaw::PocketPawFileError;
use crate::secret::{MasterToken, MasterTokenError};
use crate::store::{MasterStore, StoreError};

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
    use crate::state::VerifyError;
    use crate::store::{MemoryStore, StoreKind};
    use crate::token::TokenError;

    const POCKETPAW: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

    fn token(text: &str) -> MasterToken {
        MasterToken::parse(text.into()).unwrap()
    }

    #[tokio::test]
    async fn rotation_revokes_sessions_and_failed_rotation_keeps_old_master() {
        let store = Arc::new(MemoryStore::default());
        let state = AppState::builder(Config::default(), store.clone()).open();
        let before = store.stored().unwrap();
        let old_token = state.mint(None, None, MintSource::Cli, None).unwrap().token;

        store.fail_writes(true);
        assert!(state.rotate().await.is_err());
        assert!(state.is_master(&before).unwrap());
        assert!(state.verify(&old_token).is_ok());
        assert_eq!(store.stored().unwrap(), before);

        store.fail_writes(false);
        let new = state.rotate().await.unwrap();
        assert_eq!(store.stored().unwrap(), new.expose());
        assert!(!state.is_master(&before).unwrap());
        assert!(matches!(
            state.verify(&old_token),
            Err(VerifyError::Token(TokenError::BadSignature))
        ));
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
