//! Where the master token lives: the OS keychain (the default), a read-only 0600 file the
//! user opted into, or memory (unit tests). All calls block; callers run them on a blocking
//! thread, never on the async runtime or a UI thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::secret::{MasterToken, MasterTokenError};

mod keychain;
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod secret_service;

pub use keychain::{KeyringStore, OS_KEYCHAIN, OsKeychain};

/// The keychain service name.
pub const KEYRING_SERVICE: &str = "pawkey";
/// The keychain account name.
pub const KEYRING_ACCOUNT: &str = "master-token";

/// Why the master token could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No keychain is reachable (Linux: no Secret Service on the session bus).
    #[error("{missing} ({0}) — {fix}", missing = OS_KEYCHAIN.missing, fix = OS_KEYCHAIN.missing_fix)]
    NoKeychain(String),
    /// The keychain is there but locked, or access was refused.
    #[error("{name} is locked or refused access ({0}) — {fix}", name = OS_KEYCHAIN.name, fix = OS_KEYCHAIN.unlock_fix)]
    Locked(String),
    /// The keychain answered with an error.
    #[error("{name} failed: {0}", name = OS_KEYCHAIN.name)]
    Keychain(String),
    /// PocketPaw's token file could not be written during a rotation kept in step with
    /// PocketPaw; the rotation was undone.
    #[error(
        "PocketPaw's token file {} could not be written ({reason}); nothing was changed: the old master token stays in force in PawKey and PocketPaw",
        path.display()
    )]
    PocketPaw {
        /// PocketPaw's token file.
        path: PathBuf,
        /// Why it could not be written.
        reason: String,
    },
    /// PocketPaw's token file could not be written during a rotation kept in step with
    /// PocketPaw, and the old master could not be put back either: the store holds the
    /// new master, PocketPaw the old one.
    #[error(
        "PocketPaw's token file {} could not be written ({reason}), and the old master could not be put back ({undo}): PawKey now has the new master, PocketPaw the old one — import PocketPaw's token again with `pawkey master import --from-pocketpaw`",
        path.display()
    )]
    PocketPawSplit {
        /// PocketPaw's token file.
        path: PathBuf,
        /// Why it could not be written.
        reason: String,
        /// Why the old master could not be put back.
        undo: Box<StoreError>,
    },
    /// The stored value is not a usable master token.
    #[error(
        "the stored master token is unusable: {0} — import a new one with `pawkey master import`"
    )]
    Corrupt(String),
    /// The master-token file is readable by other users.
    #[error(
        "refusing to use {path}: its mode is {mode:04o}, readable by other users — run `chmod 600 {path}`"
    )]
    FileMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The master-token file could not be read.
    #[error("cannot read master token file {path}: {reason}")]
    FileRead {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// The file store is never written to.
    #[error(
        "the master token comes from {0}, which PawKey never writes — edit that file yourself, or drop --master-token-file to keep the token in the keychain"
    )]
    ReadOnly(PathBuf),
}

/// Which kind of store holds the master token: what a program matches on, where
/// [`MasterStore::location`] is the sentence a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The OS keychain ([`KeyringStore`]).
    Keychain,
    /// A read-only file the user opted into ([`FileStore`]).
    File,
    /// Memory, for unit tests ([`MemoryStore`]).
    Memory,
}

/// A place that holds the master token.
pub trait MasterStore: Send + Sync {
    /// Which kind of store this is.
    fn kind(&self) -> StoreKind;
    /// Where the token lives, for status lines ("OS keychain (service pawkey, account
    /// master-token)").
    fn location(&self) -> String;
    /// The stored token, or `None` when nothing has been stored yet.
    fn load(&self) -> Result<Option<MasterToken>, StoreError>;
    /// Replaces the stored token.
    fn save(&self, token: &MasterToken) -> Result<(), StoreError>;
    /// Removes the stored token; nothing stored is not an error.
    fn delete(&self) -> Result<(), StoreError>;
}

/// A master token file the user opted into with `--master-token-file`. It must not be
/// readable by group or others, and PawKey never writes it.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The store reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads a token file that must be private to its owner (mode 0600 or stricter).
pub fn read_private_token_file(path: &Path) -> Result<MasterToken, StoreError> {
    let read_err = |e: std::io::Error| StoreError::FileRead {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(StoreError::FileMode {
                path: path.to_owned(),
                mode,
            });
        }
    }
    if !meta.is_file() {
        return Err(read_err(std::io::Error::other("not a regular file")));
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    MasterToken::parse(text).map_err(|e: MasterTokenError| StoreError::FileRead {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl MasterStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn delete(&self) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly(self.path.clone()))
    }

    fn location(&self) -> String {
        format!(
            "file {} (read-only, opted in with --master-token-file)",
            self.path.display()
        )
    }

    fn load(&self) -> Result<Option<MasterToken>, StoreError> {
        read_private_token_file(&self.path).map(Some)
    }

    fn save(&self, _token: &MasterToken) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly(self.path.clone()))
    }
}

/// An in-memory store for unit tests, with a switch to make writes fail.
#[derive(Default)]
pub struct MemoryStore {
    token: Mutex<Option<MasterToken>>,
    fail_writes: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    /// A store already holding `token`.
    pub fn with(token: MasterToken) -> Self {
        Self {
            token: Mutex::new(Some(token)),
            ..Self::default()
        }
    }

    /// Makes every later `save` fail as a locked keychain would.
    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes
            .store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    /// The stored token, for assertions.
    pub fn stored(&self) -> Option<String> {
        self.lock().as_ref().map(|t| t.expose().to_owned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<MasterToken>> {
        // A poisoned lock only means a test panicked mid-write; the value is still whole.
        self.token.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl MasterStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn delete(&self) -> Result<(), StoreError> {
        *self.lock() = None;
        Ok(())
    }

    fn location(&self) -> String {
        "memory (tests only)".into()
    }

    fn load(&self) -> Result<Option<MasterToken>, StoreError> {
        Ok(self.lock().clone())
    }

    fn save(&self, token: &MasterToken) -> Result<(), StoreError> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Locked("simulated failure".into()));
        }
        *self.lock() = Some(token.clone());
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn token_file_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = FileStore::new(&path).load().err().unwrap().to_string();
        assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let t = FileStore::new(&path).load().unwrap().unwrap();
        assert_eq!(t.expose(), "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f");
    }

    #[test]
    fn file_store_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = FileStore::new(&path)
            .save(&MasterToken::generate().unwrap())
            .unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly(_)));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f"
        );
    }

    #[test]
    fn missing_file_says_which() {
        let err = FileStore::new("/nonexistent/pawkey-token")
            .load()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nonexistent/pawkey-token"), "{err}");
    }
}
