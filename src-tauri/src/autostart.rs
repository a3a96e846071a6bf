//! Starting PawKey at login. The entry runs `pawkey --hidden` when the `start_hidden_at_login`
//! setting says so, and is rewritten whenever that setting changes (so it is the entry, not
//! a flag read later, that decides). On Linux this is `~/.config/autostart/PawKey.desktop`;
//! on macOS a launch agent; on Windows the Run key (the `auto-launch` crate). Tested end to
//! end (`launch_at_login_toggle_writes_the_autostart_entry` in `tests/e2e.rs`).

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

/// The name of the login entry (the file name on Linux).
const NAME: &str = "PawKey";

/// The argument that starts PawKey in the tray.
pub const HIDDEN_ARG: &str = "--hidden";

/// PawKey's login entry.
pub struct LoginItem {
    path: String,
}

impl LoginItem {
    /// The entry for this executable (on Linux the AppImage when run as one).
    pub fn for_this_app() -> Result<Self, String> {
        #[cfg(target_os = "linux")]
        if let Some(appimage) = std::env::var_os("APPIMAGE") {
            return Ok(Self {
                path: appimage.to_string_lossy().into_owned(),
            });
        }
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find PawKey's own executable: {e}"))?;
        Ok(Self {
            path: exe.display().to_string(),
        })
    }

    fn launcher(&self, hidden: bool) -> Result<AutoLaunch, String> {
        let args: &[&str] = if hidden { &[HIDDEN_ARG] } else { &[] };
        let mut builder = AutoLaunchBuilder::new();
        builder
            .set_app_name(NAME)
            .set_app_path(&self.path)
            .set_args(args);
        #[cfg(target_os = "macos")]
        builder.set_use_launch_agent(true);
        builder.build().map_err(|e| e.to_string())
    }

    /// Whether PawKey starts at login.
    pub fn is_enabled(&self) -> bool {
        self.launcher(false)
            .and_then(|l| l.is_enabled().map_err(|e| e.to_string()))
            .unwrap_or(false)
    }

    /// Writes the entry (replacing an older one) or removes it.
    pub fn set(&self, enabled: bool, hidden: bool) -> Result<(), String> {
        let launcher = self.launcher(hidden)?;
        let done = if enabled {
            launcher.enable()
        } else if launcher.is_enabled().unwrap_or(false) {
            launcher.disable()
        } else {
            Ok(())
        };
        done.map_err(|e| e.to_string())
    }
}
