//! Where the master token lives: the OS keychain (the default), a read-only 0600 file the
//! user opted into, or memory (unit tests). All calls block; callers run them on a blocking
//! thread, never on the async runtime or a UI thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::secret::{MasterToken, MasterTokenError};

/// The keychain service name.
pub const KEYRING_SERVICE: &str = "pawkey";
/// The keychain account name.
pub const KEYRING_ACCOUNT: &str = "master-token";

/// Why the master token could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No keychain is reachable (Linux: no Secret Service on the session bus).
    #[error(
        "no Secret Service on the session bus ({0}) — start gnome-keyring or KeePassXC, or use --master-token-file"
    )]
    NoKeychain(String),
    /// The keychain is there but locked, or access was refused.
    #[error(
        "the keychain is locked or refused access ({0}) — unlock it (log in to the desktop session) and try again, or use --master-token-file"
    )]
    Locked(String),
    /// The keychain answered with an error.
    #[error("the keychain failed: {0}")]
    Keychain(String),
    /// PocketPaw's token file could not be written during a rotation kept in step with
    /// PocketPaw; the rotation was undone.
    #[error(
        "PocketPaw's token file could not be written ({0}); nothing was changed: the old master token stays in force in PawKey and PocketPaw"
    )]
    PocketPaw(String),
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

/// The OS keychain through the `keyring` crate: Secret Service on Linux, Keychain on
/// macOS, Credential Manager on Windows.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
    account: String,
}

impl KeyringStore {
    /// The store at `service`/`account`.
    pub fn new(service: impl Into<String>, account: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            account: account.into(),
        }
    }

    /// PawKey's entry, with `PAWKEY_KEYRING_SERVICE` overriding the service name (tests use
    /// a random service so they never touch a real user's token).
    pub fn from_env() -> Self {
        let service =
            std::env::var("PAWKEY_KEYRING_SERVICE").unwrap_or_else(|_| KEYRING_SERVICE.into());
        Self::new(service, KEYRING_ACCOUNT)
    }

    /// Runs `op` on PawKey's entry. The keyring crate keeps one Secret Service connection
    /// (and its encrypted session) for the life of the process; when the keychain daemon
    /// restarts, that session is gone and every call fails with `NoSession`. So on a
    /// platform failure the connection is opened again once and `op` retried.
    fn with_entry<T>(
        &self,
        op: impl Fn(&keyring::Entry) -> keyring::Result<T>,
    ) -> keyring::Result<T> {
        let first = op(&keyring::Entry::new(&self.service, &self.account)?);
        match first {
            Err(keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_))
                if reconnect_secret_service() =>
            {
                op(&keyring::Entry::new(&self.service, &self.account)?)
            }
            other => other,
        }
    }

    /// Removes the entry (tests clean up with this). Missing is not an error.
    pub fn delete(&self) -> Result<(), StoreError> {
        match self.with_entry(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// Opens a fresh Secret Service connection and makes it the keyring crate's store.
/// False when none could be opened (the old one stays).
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn reconnect_secret_service() -> bool {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => {
            tracing::debug!("reconnected to the Secret Service");
            keyring_core::set_default_store(store);
            true
        }
        Err(e) => {
            tracing::debug!("cannot reconnect to the Secret Service: {e}");
            false
        }
    }
}

/// Other platforms' stores hold no session that a restart could invalidate.
#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
)))]
fn reconnect_secret_service() -> bool {
    false
}

fn map_keyring_error(e: keyring::Error) -> StoreError {
    use keyring::Error as E;
    match e {
        E::NoDefaultStore => StoreError::NoKeychain("no credential store could be opened".into()),
        E::NoStorageAccess(inner) => StoreError::Locked(inner.to_string()),
        E::PlatformFailure(inner) => {
            let text = inner.to_string();
            // zbus reports a missing Secret Service as ServiceUnknown / "not provided".
            if text.contains("ServiceUnknown")
                || text.contains("was not provided")
                || text.contains("NameHasNoOwner")
                || text.contains("DBUS_SESSION_BUS_ADDRESS")
            {
                StoreError::NoKeychain(text)
            } else {
                StoreError::Keychain(text)
            }
        }
        // Never echo the stored bytes.
        E::BadEncoding(_) => StoreError::Corrupt("the keychain entry is not UTF-8 text".into()),
        E::BadDataFormat(_, inner) => StoreError::Corrupt(inner.to_string()),
        other => StoreError::Keychain(other.to_string()),
    }
}

impl MasterStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keychain
    }

    fn delete(&self) -> Result<(), StoreError> {
        KeyringStore::delete(self)
    }

    fn location(&self) -> String {
        format!(
            "OS keychain (service {}, account {})",
            self.service, self.account
        )
    }

    fn load(&self) -> Result<Option<MasterToken>, StoreError> {
        match self.with_entry(|e| e.get_password()) {
            Ok(text) => MasterToken::parse(text)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn save(&self, token: &MasterToken) -> Result<(), StoreError> {
        self.with_entry(|e| e.set_password(token.expose()))
            .map_err(map_keyring_error)
    }
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
