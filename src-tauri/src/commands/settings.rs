//! The settings form: save it (moving the server, the shortcut and the login entry with
//! it), and a free port to offer when the configured one is taken.

use tauri::{AppHandle, Manager};

use crate::error::CommandError;
use crate::host::Host;
use crate::settings::SettingsForm;
use crate::views::StatusView;

/// Validates and saves the settings (atomically, through core), moves the server when the
/// port changed, re-grabs the shortcut and applies the launch-at-login choice.
pub async fn save(app: &AppHandle, settings: SettingsForm) -> Result<StatusView, CommandError> {
    let host = app.state::<Host>();
    let state = host.state().await?;
    let config = settings.to_config(&state.config())?;
    // Like the port: the new shortcut is taken before anything is saved, so one another
    // program holds changes nothing and is reported on the field.
    let old_shortcut = state.config().copy_shortcut.clone();
    let regrab = !host.shortcut.is_active(&config.copy_shortcut);
    if regrab && let Err(message) = host.shortcut.apply(app, &config.copy_shortcut).await {
        let _ = host.shortcut.apply(app, &old_shortcut).await;
        host.publish_status();
        return Err(CommandError::field("copy_shortcut", message));
    }
    let moved = host.server.apply_config(&state, config).await;
    if moved.is_err() && regrab {
        let _ = host.shortcut.apply(app, &old_shortcut).await;
    }
    host.publish_status();
    moved?;
    // The entry is rewritten each time login is on, so it follows start_hidden_at_login.
    let hidden = state.config().start_hidden_at_login;
    let login = crate::autostart::LoginItem::for_this_app()
        .and_then(|item| item.set(settings.launch_at_login, hidden));
    if let Err(e) = login {
        host.publish_status();
        return Err(CommandError::field(
            "launch_at_login",
            format!("could not change it: {e}"),
        ));
    }
    host.publish_status();
    Ok(host.status_view())
}

/// A free port to offer when the configured one is taken: the next free one above it.
pub async fn suggest_port(app: &AppHandle) -> Result<u16, CommandError> {
    let state = app.state::<Host>().state().await?;
    let config = state.config();
    let start = config.port.saturating_add(1).max(1024);
    let free = (start..=start.saturating_add(200))
        .find(|&p| std::net::TcpListener::bind((config.bind, p)).is_ok());
    match free {
        Some(p) => Ok(p),
        None => std::net::TcpListener::bind((config.bind, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(CommandError::NoFreePort),
    }
}
