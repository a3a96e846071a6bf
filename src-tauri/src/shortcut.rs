//! The global copy shortcut (`copy_shortcut`): registered with the desktop through Tauri's
//! global-shortcut plugin at start-up and again when the settings change; pressing it runs
//! the quick copy ([`crate::actions::on_shortcut`]) with audit source `shortcut`.
//! Whether it is active, held by another program or impossible on this desktop is kept
//! here ([`ShortcutStatus`]) for the settings form to show.

use std::str::FromStr as _;
use std::sync::Mutex;

use serde::Serialize;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_global_shortcut::{
    GlobalShortcut, GlobalShortcutExt as _, Shortcut, ShortcutState,
};

/// What became of `copy_shortcut`, as the settings form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ShortcutStatus {
    /// No shortcut is set.
    Off,
    /// Pressing `shortcut` anywhere copies a new token.
    Active {
        /// The shortcut, e.g. `Ctrl+Alt+K`.
        shortcut: String,
    },
    /// The desktop refused it: another program holds it, or it cannot be used.
    Failed {
        /// The shortcut asked for.
        shortcut: String,
        /// Why, phrased for the person choosing another.
        message: String,
    },
    /// This desktop session lets no application grab a shortcut.
    Unsupported {
        /// Why, and what to do instead.
        message: String,
    },
}

/// Why this kind of desktop session cannot grab a global shortcut, read from the session's
/// environment through `var`; `None` where it can. The plugin grabs keys through X11, which
/// a Wayland session without XWayland (`WAYLAND_DISPLAY` set, `DISPLAY` not) does not
/// offer; the grab would then silently do nothing.
pub fn session_problem(var: impl Fn(&str) -> Option<String>) -> Option<&'static str> {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    (cfg!(target_os = "linux") && set("WAYLAND_DISPLAY") && !set("DISPLAY")).then_some(
        "this Wayland session lets no application grab a keyboard shortcut (there is no \
         X11 display): use the tray or the window",
    )
}

fn this_session_problem() -> Option<&'static str> {
    session_problem(|name| std::env::var(name).ok())
}

/// The plugin, set up to run `on_press` when a registered shortcut is pressed; `None`
/// where the session cannot grab shortcuts (the setting then says so).
pub fn plugin(on_press: fn(&AppHandle)) -> Option<TauriPlugin<Wry>> {
    if let Some(problem) = this_session_problem() {
        tracing::info!("no global shortcut: {problem}");
        return None;
    }
    Some(
        tauri_plugin_global_shortcut::Builder::new()
            .with_handler(move |app, _shortcut, event| {
                if event.state == ShortcutState::Pressed {
                    on_press(app);
                }
            })
            .build(),
    )
}

/// The registered shortcut and what the form shows about it.
pub struct ShortcutSlot {
    status: Mutex<ShortcutStatus>,
}

impl Default for ShortcutSlot {
    fn default() -> Self {
        Self {
            status: Mutex::new(ShortcutStatus::Off),
        }
    }
}

impl ShortcutSlot {
    /// What became of the setting.
    pub fn status(&self) -> ShortcutStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether `text` is the shortcut in use now.
    pub fn is_active(&self, text: &str) -> bool {
        match self.status() {
            ShortcutStatus::Active { shortcut } => shortcut == text,
            ShortcutStatus::Off => text.trim().is_empty(),
            _ => false,
        }
    }

    /// Replaces the registered shortcut with `text` (`""`: none). An error, phrased for the
    /// settings form, when the desktop refuses it; a session that cannot grab shortcuts at
    /// all is not an error (the status says so). Blocks on the main thread's event loop:
    /// call it from a background task.
    pub async fn apply(&self, app: &AppHandle, text: &str) -> Result<(), String> {
        let app = app.clone();
        let text = text.to_owned();
        let status = tauri::async_runtime::spawn_blocking(move || register(&app, &text))
            .await
            .unwrap_or_else(|e| ShortcutStatus::Failed {
                shortcut: String::new(),
                message: format!("registering the shortcut did not finish: {e}"),
            });
        let result = match &status {
            ShortcutStatus::Failed { message, .. } => Err(message.clone()),
            _ => Ok(()),
        };
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
        result
    }
}

fn register(app: &AppHandle, text: &str) -> ShortcutStatus {
    let canonical = match pawkey_core::shortcut::canonical_shortcut(text) {
        Ok(c) => c,
        Err(message) => {
            return ShortcutStatus::Failed {
                shortcut: text.to_owned(),
                message,
            };
        }
    };
    let Some(plugin) = app.try_state::<GlobalShortcut<Wry>>() else {
        return match this_session_problem() {
            Some(problem) if !canonical.is_empty() => ShortcutStatus::Unsupported {
                message: problem.to_owned(),
            },
            _ => ShortcutStatus::Off,
        };
    };
    if let Err(e) = plugin.unregister_all() {
        tracing::warn!("could not release the previous shortcut: {e}");
    }
    if canonical.is_empty() {
        return ShortcutStatus::Off;
    }
    let failed = |message: String| ShortcutStatus::Failed {
        shortcut: canonical.clone(),
        message,
    };
    let shortcut = match Shortcut::from_str(&canonical) {
        Ok(s) => s,
        Err(e) => return failed(format!("{canonical} cannot be used here: {e}")),
    };
    match app.global_shortcut().register(shortcut) {
        Ok(()) => {
            tracing::info!("copy shortcut {canonical} registered");
            ShortcutStatus::Active {
                shortcut: canonical,
            }
        }
        Err(e) => {
            tracing::warn!("copy shortcut {canonical} not registered: {e}");
            failed(refusal_message(&canonical, &e.to_string()))
        }
    }
}

/// What the form says when the desktop refuses `shortcut` with `error`.
pub fn refusal_message(shortcut: &str, error: &str) -> String {
    if error.contains("already registered") {
        format!("{shortcut} is already taken by another program: choose another shortcut")
    } else {
        format!("{shortcut} could not be registered ({error}): choose another shortcut")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn only_a_wayland_session_without_x11_cannot_grab() {
        assert_eq!(session_problem(env(&[("DISPLAY", ":0")])), None);
        assert_eq!(
            session_problem(env(&[("WAYLAND_DISPLAY", "wayland-0"), ("DISPLAY", ":0")])),
            None,
            "XWayland is there"
        );
        let wayland_only =
            session_problem(env(&[("WAYLAND_DISPLAY", "wayland-0"), ("DISPLAY", "")]));
        if cfg!(target_os = "linux") {
            assert!(wayland_only.unwrap().contains("Wayland"));
        } else {
            assert_eq!(wayland_only, None);
        }
    }

    #[test]
    fn a_shortcut_held_elsewhere_is_named_in_plain_words() {
        assert_eq!(
            refusal_message("Ctrl+Alt+K", "HotKey already registered: HotKey { .. }"),
            "Ctrl+Alt+K is already taken by another program: choose another shortcut"
        );
        assert!(refusal_message("Ctrl+Alt+K", "BadValue").contains("(BadValue)"));
    }

    #[test]
    fn the_status_serializes_for_the_form() {
        let json = serde_json::to_value(ShortcutStatus::Failed {
            shortcut: "Ctrl+Alt+K".into(),
            message: "taken".into(),
        })
        .unwrap();
        assert_eq!(json["state"], "failed");
        assert_eq!(json["shortcut"], "Ctrl+Alt+K");
        assert_eq!(
            serde_json::to_value(ShortcutStatus::Off).unwrap()["state"],
            "off"
        );
    }
}
