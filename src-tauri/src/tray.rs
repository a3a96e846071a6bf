//! The tray icon and its menu. Menu ids are constants; what an item does is decided and done
//! by plain functions over core ([`action_for`], [`open_dashboard`], [`server_line`]; the copy
//! items are [`crate::copy`]'s), unit-tested below without a tray. [`create_tray`] only
//! wires them up.

use pawkey_core::audit::MintSource;
use pawkey_core::state::AppState;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Wry};

use crate::notice::Notice;
use crate::server::ServerStatus;

/// Menu id: mint with the default lifetime and copy.
pub const COPY_NEW: &str = "copy-new-session";
/// Menu id: mint a 1-hour token and copy.
pub const COPY_HOUR: &str = "copy-1h-session";
/// Menu id: open PocketPaw's dashboard with a fresh 1-hour token.
pub const OPEN_DASHBOARD: &str = "open-dashboard";
/// Menu id: show the window.
pub const OPEN: &str = "open";
/// Menu id: "Pending requests (N)", which opens the window on the approval cards.
pub const PENDING_REQUESTS: &str = "pending-requests";
/// Menu id: the disabled line with the server state.
pub const SERVER_STATE: &str = "server-state";
/// Menu id: quit.
pub const QUIT: &str = "quit";

/// What a left click on the tray icon does, following each desktop's convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftClick {
    /// Shows the menu (as a right click does).
    ShowsMenu,
    /// Shows the window; the menu stays on the right click.
    OpensWindow,
}

/// Windows: a left click on a notification-area icon opens the app. macOS: menu-bar extras
/// show their menu. Linux: the tray (AppIndicator/StatusNotifier) reports no clicks and
/// shows the menu on any click, so that is what a left click does there.
pub const LEFT_CLICK: LeftClick = if cfg!(windows) {
    LeftClick::OpensWindow
} else {
    LeftClick::ShowsMenu
};

/// What a menu item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    /// Mint a token (`None`: the configured lifetime), copy it, notify.
    CopyToken {
        /// Lifetime in hours.
        ttl_hours: Option<i64>,
    },
    /// Open PocketPaw's dashboard in the browser, logged in with a fresh token.
    OpenDashboard,
    /// Show and focus the window.
    Open,
    /// Show the window on the waiting access requests.
    ShowRequests,
    /// Clear our clipboard, stop the server, exit.
    Quit,
}

/// The action behind a menu id (`None` for the status line and unknown ids).
pub fn action_for(id: &str) -> Option<TrayAction> {
    match id {
        COPY_NEW => Some(TrayAction::CopyToken { ttl_hours: None }),
        COPY_HOUR => Some(TrayAction::CopyToken { ttl_hours: Some(1) }),
        OPEN_DASHBOARD => Some(TrayAction::OpenDashboard),
        OPEN => Some(TrayAction::Open),
        PENDING_REQUESTS => Some(TrayAction::ShowRequests),
        QUIT => Some(TrayAction::Quit),
        _ => None,
    }
}

/// Opens PocketPaw's dashboard from the tray through `open` (the browser, or a fake in
/// tests) and says until when the link's token works; on failure the notice says why.
pub fn open_dashboard(
    state: &AppState,
    open: &dyn Fn(&str) -> Result<(), String>,
    local_time: &dyn Fn(u64) -> String,
) -> Result<Notice, Notice> {
    match crate::dashboard::open_dashboard(state, MintSource::Tray, open) {
        Ok(opened) => Ok(Notice {
            title: "Dashboard opened".into(),
            body: format!(
                "{} — logged in until {}.",
                opened.dashboard_url,
                local_time(opened.expires_at)
            ),
        }),
        Err(e) => Err(Notice {
            title: "Dashboard not opened".into(),
            body: e.to_string(),
        }),
    }
}

/// The text of the disabled server line.
pub fn server_line(status: &ServerStatus) -> String {
    match status {
        ServerStatus::Starting => "Server: starting…".into(),
        ServerStatus::Listening { port, .. } => format!("Server: listening on port {port}"),
        ServerStatus::Failed {
            port,
            port_in_use: true,
            ..
        } => format!("Server: port {port} is in use"),
        ServerStatus::Failed { port, .. } => format!("Server: cannot listen on port {port}"),
        ServerStatus::Stopped => "Server: stopped".into(),
    }
}

/// The menu lines that change while PawKey runs.
pub struct TrayLines {
    /// The disabled server line ([`server_line`]).
    server: MenuItem<Wry>,
    /// "Pending requests (N)" ([`crate::approvals::tray_line`]).
    requests: MenuItem<Wry>,
}

impl TrayLines {
    /// Shows the server's state on its line.
    pub fn show_server(&self, status: &ServerStatus) {
        let _ = self.server.set_text(server_line(status));
    }

    /// Shows how many requests wait (the line can be chosen only then).
    pub fn show_requests(&self, waiting: usize) {
        let (text, enabled) = crate::approvals::tray_line(waiting);
        let _ = self.requests.set_text(text);
        let _ = self.requests.set_enabled(enabled);
    }
}

/// Builds the tray icon and menu. `on_action` runs each menu choice (and a left click, where
/// the platform reports one, as [`TrayAction::Open`]). Returns the lines to update.
pub fn create_tray(
    app: &AppHandle,
    on_action: fn(&AppHandle, TrayAction),
) -> tauri::Result<TrayLines> {
    let (requests_text, requests_enabled) = crate::approvals::tray_line(0);
    let requests = MenuItem::with_id(
        app,
        PENDING_REQUESTS,
        requests_text,
        requests_enabled,
        None::<&str>,
    )?;
    let server = MenuItem::with_id(
        app,
        SERVER_STATE,
        server_line(&ServerStatus::Starting),
        false,
        None::<&str>,
    )?;
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, COPY_NEW, "Copy new session token", true, None::<&str>)?,
            &MenuItem::with_id(app, COPY_HOUR, "Copy 1-hour token", true, None::<&str>)?,
            &MenuItem::with_id(app, OPEN_DASHBOARD, "Open dashboard", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &requests,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, OPEN, "Open PawKey", true, None::<&str>)?,
            &server,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    TrayIconBuilder::with_id("pawkey")
        .icon(Image::from_bytes(include_bytes!("../../icons/tray.png"))?)
        .tooltip("PawKey")
        .menu(&menu)
        .show_menu_on_left_click(LEFT_CLICK == LeftClick::ShowsMenu)
        .on_menu_event(move |app, event| {
            if let Some(action) = action_for(event.id().as_ref()) {
                on_action(app, action);
            }
        })
        .on_tray_icon_event(move |tray, event| {
            // Only where a left click opens the window (Windows); elsewhere the menu's
            // "Open PawKey" item does it.
            let left_up = matches!(
                event,
                TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                }
            );
            if left_up && LEFT_CLICK == LeftClick::OpensWindow {
                on_action(tray.app_handle(), TrayAction::Open);
            }
        })
        .build(app)?;
    Ok(TrayLines { server, requests })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::config::Config;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    fn fake_time(unix: u64) -> String {
        format!("T{unix}")
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_a_left_click_shows_the_menu_as_the_tray_does_anyway() {
        assert_eq!(LEFT_CLICK, LeftClick::ShowsMenu);
        // The menu, reached by any click, still opens the window.
        assert_eq!(action_for(OPEN), Some(TrayAction::Open));
    }

    #[test]
    fn menu_ids_map_to_actions() {
        assert_eq!(
            action_for(COPY_NEW),
            Some(TrayAction::CopyToken { ttl_hours: None })
        );
        assert_eq!(
            action_for(COPY_HOUR),
            Some(TrayAction::CopyToken { ttl_hours: Some(1) })
        );
        assert_eq!(action_for(OPEN), Some(TrayAction::Open));
        assert_eq!(action_for(OPEN_DASHBOARD), Some(TrayAction::OpenDashboard));
        assert_eq!(action_for(PENDING_REQUESTS), Some(TrayAction::ShowRequests));
        assert_eq!(action_for(QUIT), Some(TrayAction::Quit));
        assert_eq!(action_for(SERVER_STATE), None);
        assert_eq!(action_for("nonsense"), None);
    }

    #[test]
    fn open_dashboard_opens_a_bare_token_and_says_until_when() {
        let state = state();
        let seen = std::sync::Mutex::new(None);
        let notice = open_dashboard(
            &state,
            &|url| {
                *seen.lock().unwrap() = Some(url.to_owned());
                Ok(())
            },
            &fake_time,
        )
        .unwrap();
        let url = seen.into_inner().unwrap().expect("a URL opened");
        let token = url
            .strip_prefix("http://127.0.0.1:8888/?token=")
            .expect("the dashboard with a token");
        assert!(!token.starts_with("session:"), "{token}");
        let expires = state.verify(token).unwrap();
        assert_eq!(notice.title, "Dashboard opened");
        assert_eq!(
            notice.body,
            format!("http://127.0.0.1:8888 — logged in until T{expires}.")
        );
        let recent = state.audit().recent();
        assert_eq!(recent[0].source, MintSource::Tray);
        assert_eq!(recent[0].expires_at - recent[0].minted_at, 3600);
    }

    #[test]
    fn open_dashboard_reports_a_browser_that_does_not_start() {
        let notice =
            open_dashboard(&state(), &|_| Err("no xdg-open".into()), &fake_time).unwrap_err();
        assert_eq!(notice.title, "Dashboard not opened");
        assert_eq!(notice.body, "no xdg-open");
    }

    #[test]
    fn server_line_names_the_port_and_the_problem() {
        assert_eq!(
            server_line(&ServerStatus::Listening {
                urls: vec!["http://127.0.0.1:8000".into()],
                port: 8000
            }),
            "Server: listening on port 8000"
        );
        assert_eq!(
            server_line(&ServerStatus::Failed {
                port: 8000,
                message: "in use".into(),
                port_in_use: true
            }),
            "Server: port 8000 is in use"
        );
        assert_eq!(server_line(&ServerStatus::Stopped), "Server: stopped");
    }
}
