//! The Secret Service side of the keychain (Linux and the other Unix desktops the keyring
//! crate serves over D-Bus): reconnecting after the daemon restarts, and recognising "no
//! Secret Service on this bus" among D-Bus errors. Compiled only where the keyring crate
//! uses the Secret Service, with the same `cfg`.

/// Opens a fresh Secret Service connection and makes it the keyring crate's store.
/// False when none could be opened (the old one stays).
pub(super) fn reconnect() -> bool {
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

/// zbus reports a missing Secret Service as ServiceUnknown / "not provided", and a missing
/// session bus by naming its variable.
pub(super) fn is_missing_service(text: &str) -> bool {
    text.contains("ServiceUnknown")
        || text.contains("was not provided")
        || text.contains("NameHasNoOwner")
        || text.contains("DBUS_SESSION_BUS_ADDRESS")
}
