//! The OS keychain through the `keyring` crate (4.x, `v1` feature), which picks the store
//! at compile time with target-specific dependencies: Keychain Services on macOS
//! (`apple-native-keyring-store`), Credential Manager on Windows
//! (`windows-native-keyring-store`), the Secret Service over D-Bus elsewhere on Unix
//! (`zbus-secret-service-keyring-store`: GNOME Keyring, KWallet, KeePassXC). The service and
//! account names are the same everywhere. `scripts/check-targets.sh` checks that no D-Bus
//! or GTK crate reaches the macOS and Windows builds.

use super::{KEYRING_ACCOUNT, KEYRING_SERVICE, MasterStore, StoreError, StoreKind};
use crate::secret::MasterToken;

/// How messages name this OS's keychain and what they tell the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsKeychain {
    /// The keychain's own name, as the OS's users know it.
    pub name: &'static str,
    /// What "no keychain reachable" says.
    pub missing: &'static str,
    /// How to get one.
    pub missing_fix: &'static str,
    /// How to unlock it or grant access.
    pub unlock_fix: &'static str,
}

/// This OS's keychain, chosen at compile time like the keyring crate's store.
#[cfg(target_os = "macos")]
pub const OS_KEYCHAIN: OsKeychain = OsKeychain {
    name: "the macOS Keychain",
    missing: "the macOS Keychain could not be opened",
    missing_fix: "check that your login keychain exists in Keychain Access, or use --master-token-file",
    unlock_fix: "unlock the login keychain (and choose Allow when macOS asks about PawKey), then try again, or use --master-token-file",
};
/// This OS's keychain, chosen at compile time like the keyring crate's store.
#[cfg(windows)]
pub const OS_KEYCHAIN: OsKeychain = OsKeychain {
    name: "Windows Credential Manager",
    missing: "Windows Credential Manager could not be opened",
    missing_fix: "sign in to Windows with a user account that has a credential store, or use --master-token-file",
    unlock_fix: "sign in to Windows as the user who stored the token and try again, or use --master-token-file",
};
/// This OS's keychain, chosen at compile time like the keyring crate's store.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
pub const OS_KEYCHAIN: OsKeychain = OsKeychain {
    name: "the Secret Service (GNOME Keyring/KWallet)",
    missing: "no Secret Service on the session bus",
    missing_fix: "start gnome-keyring or KeePassXC, or use --master-token-file",
    unlock_fix: "unlock it (log in to the desktop session) and try again, or use --master-token-file",
};
/// This OS's keychain, chosen at compile time like the keyring crate's store.
#[cfg(any(target_os = "ios", target_os = "android", not(any(unix, windows))))]
pub const OS_KEYCHAIN: OsKeychain = OsKeychain {
    name: "the OS keychain",
    missing: "no OS keychain is available",
    missing_fix: "use --master-token-file",
    unlock_fix: "unlock it and try again, or use --master-token-file",
};

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
                if reconnect() =>
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

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
use super::secret_service::{is_missing_service, reconnect};

/// Keychain Services and Credential Manager hold no session that a restart could
/// invalidate: nothing to reconnect.
#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
)))]
fn reconnect() -> bool {
    false
}

/// Their failures name no missing D-Bus service.
#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
)))]
fn is_missing_service(_text: &str) -> bool {
    false
}

fn map_keyring_error(e: keyring::Error) -> StoreError {
    use keyring::Error as E;
    match e {
        E::NoDefaultStore => StoreError::NoKeychain("no credential store could be opened".into()),
        E::NoStorageAccess(inner) => StoreError::Locked(inner.to_string()),
        E::PlatformFailure(inner) => {
            let text = inner.to_string();
            if is_missing_service(&text) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(text: &str) -> keyring::Error {
        keyring::Error::PlatformFailure(text.to_owned().into())
    }

    /// Every keychain error, on every OS, names that OS's keychain and offers the file.
    #[test]
    fn keychain_errors_name_this_os_keychain_and_the_way_out() {
        let errors = [
            map_keyring_error(keyring::Error::NoDefaultStore),
            map_keyring_error(keyring::Error::NoStorageAccess("denied".to_owned().into())),
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(text.contains("--master-token-file"), "{text}");
        }
        assert!(
            errors[1].to_string().starts_with(OS_KEYCHAIN.name),
            "{}",
            errors[1]
        );
        let failed = map_keyring_error(platform("something broke")).to_string();
        assert_eq!(
            failed,
            format!("{} failed: something broke", OS_KEYCHAIN.name)
        );
    }

    /// Linux: the Secret Service, by the names of the daemons that provide it.
    #[cfg(target_os = "linux")]
    #[test]
    fn linux_messages_name_the_secret_service() {
        assert_eq!(
            OS_KEYCHAIN.name,
            "the Secret Service (GNOME Keyring/KWallet)"
        );
        let missing = map_keyring_error(platform(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided",
        ));
        assert!(matches!(missing, StoreError::NoKeychain(_)), "{missing:?}");
        let text = missing.to_string();
        assert!(
            text.starts_with("no Secret Service on the session bus (")
                && text.ends_with("— start gnome-keyring or KeePassXC, or use --master-token-file"),
            "{text}"
        );
        let locked = map_keyring_error(keyring::Error::NoStorageAccess(
            "prompt dismissed".to_owned().into(),
        ));
        assert_eq!(
            locked.to_string(),
            "the Secret Service (GNOME Keyring/KWallet) is locked or refused access (prompt dismissed) — unlock it (log in to the desktop session) and try again, or use --master-token-file"
        );
    }

    /// The other desktops' names, checked where they are compiled (the CI workflow).
    #[cfg(any(target_os = "macos", windows))]
    #[test]
    fn other_desktops_name_their_own_keychain() {
        let expected = if cfg!(windows) {
            "Windows Credential Manager"
        } else {
            "the macOS Keychain"
        };
        assert_eq!(OS_KEYCHAIN.name, expected);
        assert!(!OS_KEYCHAIN.missing.contains("Secret Service"));
        // A D-Bus error text means nothing there: it is a plain failure.
        let e = map_keyring_error(platform("ServiceUnknown"));
        assert!(matches!(e, StoreError::Keychain(_)), "{e:?}");
    }
}
