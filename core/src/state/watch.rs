//! Following the store: a master changed there behind this process's back (by another
//! tool or a second PawKey) is picked up and announced, and a keychain that was locked or
//! stopped is read again.

use serde::Serialize;

use super::{AppState, MasterSlot, MasterStatus, load_or_create};
use crate::audit::{AuditEvent, MintSource};
use crate::clock::now_unix;
use crate::store::StoreError;

/// Most checks [`AppState::watch_master`] skips after failed reads.
const MAX_BACKOFF_TICKS: u32 = 150;

/// A change of the master token this process did not make itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterChanged {
    /// Another tool (or a second PawKey) stored a new master; this process switched to it.
    InStore,
}

impl AppState {
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
