//! Whether this desktop can show PawKey's tray icon at all. Stock GNOME has no tray (no
//! StatusNotifier host, no XEmbed tray), and there an icon is created but never drawn; a
//! PawKey that hid its window there would run on with no way back. So closing the window
//! quits where no tray is shown, and `--hidden` opens the window anyway.

/// True when the tray icon exists (`has_icon`) and the desktop shows tray icons right now
/// (checked each time, so a tray extension enabled later counts).
pub fn reachable(has_icon: bool) -> bool {
    has_icon && desktop_shows_tray_icons()
}

/// Whether the desktop has a tray: on Linux a StatusNotifier host (KDE, GNOME with the
/// AppIndicator extension, …) or an XEmbed tray (XFCE, MATE, …); elsewhere always.
pub fn desktop_shows_tray_icons() -> bool {
    #[cfg(target_os = "linux")]
    {
        linux::status_notifier_watcher() || linux::xembed_tray()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
mod linux {
    /// The bus name StatusNotifier items register with.
    const WATCHER: &str = "org.kde.StatusNotifierWatcher";

    /// Whether a StatusNotifierWatcher owns its name on the session bus.
    pub(super) fn status_notifier_watcher() -> bool {
        let Ok(conn) = zbus::blocking::Connection::session() else {
            return false;
        };
        let Ok(bus) = zbus::blocking::fdo::DBusProxy::new(&conn) else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(WATCHER) else {
            return false;
        };
        bus.name_has_owner(name).unwrap_or(false)
    }

    /// Whether an X11 system tray owns `_NET_SYSTEM_TRAY_S<screen>`.
    pub(super) fn xembed_tray() -> bool {
        use x11rb::protocol::xproto::ConnectionExt as _;
        if std::env::var_os("DISPLAY").is_none() {
            return false;
        }
        let Ok((conn, screen)) = x11rb::connect(None) else {
            return false;
        };
        let name = format!("_NET_SYSTEM_TRAY_S{screen}");
        let owner = conn
            .intern_atom(true, name.as_bytes())
            .ok()
            .and_then(|c| c.reply().ok())
            .filter(|a| a.atom != x11rb::NONE)
            .and_then(|a| conn.get_selection_owner(a.atom).ok())
            .and_then(|c| c.reply().ok());
        owner.is_some_and(|o| o.owner != x11rb::NONE)
    }
}
