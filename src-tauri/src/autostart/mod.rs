//! Starting PawKey at login. The entry runs `pawkey --hidden` when the `start_hidden_at_login`
//! setting says so. It is written only when the person saves the settings (never at start,
//! so running another copy of PawKey does not re-point it), and only when its text changes.
//!
//! PawKey writes the entry itself, quoted for the one program that reads it:
//! - Linux and other freedesktop systems: `$XDG_CONFIG_HOME/autostart/PawKey.desktop`, its
//!   `Exec=` quoted by the Desktop Entry rules ([`desktop_exec`]);
//! - macOS: the launch agent `~/Library/LaunchAgents/PawKey.plist`, XML-escaped
//!   ([`launch_agent_plist`]);
//! - Windows: the `PawKey` value of `HKCU\…\CurrentVersion\Run`, the program in quotes so a
//!   path under `C:\Program Files` cannot run `C:\Program.exe` ([`windows_command_line`]).
//!
//! The texts are pure functions, unit-tested on every OS; only the writing is per OS. Tested
//! end to end in `tests/e2e.rs` (`launch_at_login_*`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

mod entry;

pub use entry::{desktop_entry, desktop_exec, launch_agent_plist, windows_command_line};

use entry::NAME;

/// The argument that starts PawKey in the tray.
pub const HIDDEN_ARG: &str = "--hidden";

/// PawKey's login entry.
pub struct LoginItem {
    program: PathBuf,
}

impl LoginItem {
    /// The entry for this executable (on Linux the AppImage when really run from one).
    pub fn for_this_app() -> Result<Self, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find PawKey's own executable: {e}"))?;
        let program = if cfg!(target_os = "linux") {
            program_for(
                &exe,
                std::env::var_os("APPIMAGE").as_deref(),
                std::env::var_os("APPDIR").as_deref(),
            )
        } else {
            exe
        };
        Ok(Self { program })
    }

    /// The program the entry starts.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Whether PawKey starts at login.
    pub fn is_enabled(&self) -> bool {
        platform::is_enabled()
    }

    /// Writes the entry (replacing an older one when its text differs) or removes it.
    pub fn set(&self, enabled: bool, hidden: bool) -> Result<(), String> {
        if enabled {
            let program = self.program.to_str().ok_or_else(|| {
                format!(
                    "PawKey's path {} is not valid UTF-8; move PawKey to a plainly named folder",
                    self.program.display()
                )
            })?;
            let args: &[&str] = if hidden { &[HIDDEN_ARG] } else { &[] };
            platform::enable(program, args)
        } else {
            platform::disable()
        }
    }
}

/// The program a login entry should start: `exe`, or the AppImage file when this process
/// really runs from that AppImage's mount (`APPDIR`, set by the AppImage runtime, contains
/// `exe`). An `APPIMAGE` inherited from elsewhere (a parent started from another AppImage,
/// or set by anyone) is ignored.
pub fn program_for(exe: &Path, appimage: Option<&OsStr>, appdir: Option<&OsStr>) -> PathBuf {
    let (Some(appimage), Some(appdir)) = (appimage.map(Path::new), appdir.map(Path::new)) else {
        return exe.to_owned();
    };
    let mounted = appdir.is_absolute()
        && appdir.components().count() > 1
        && exe.starts_with(appdir)
        && !exe
            .components()
            .any(|c| c == std::path::Component::ParentDir);
    if mounted && appimage.is_absolute() && appimage.is_file() {
        appimage.to_owned()
    } else {
        exe.to_owned()
    }
}

/// Writes `text` to `path` only when the file does not already hold exactly that: through a
/// new temporary file (created new, never through a link) renamed over it. Returns whether
/// it wrote.
#[cfg_attr(windows, allow(dead_code))]
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|now| now == text.as_bytes()) {
        return Ok(false);
    }
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the entry has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{NAME}.tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    let _ = std::fs::remove_file(&tmp);
    let written = opts.open(&tmp).and_then(|mut f| {
        use std::io::Write;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(true),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Removes the entry file if there is one.
#[cfg_attr(windows, allow(dead_code))]
fn remove_entry(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

/// Freedesktop autostart (Linux, the BSDs).
#[cfg(not(any(target_os = "macos", windows)))]
mod platform {
    use std::path::{Path, PathBuf};

    fn entry_file() -> Result<PathBuf, String> {
        let dirs = directories::BaseDirs::new()
            .ok_or("cannot find your home folder for the autostart entry")?;
        Ok(dirs
            .config_dir()
            .join("autostart")
            .join(format!("{}.desktop", super::NAME)))
    }

    /// Writes the desktop entry at `file` (when its text changed).
    pub(super) fn write_entry(file: &Path, program: &str, args: &[&str]) -> Result<bool, String> {
        // GLib (GNOME and most desktops) checks that the program exists before it expands
        // `%%`, so it would never start an entry whose path holds a `%`: say so instead.
        if program.contains('%') {
            return Err(format!(
                "PawKey's path {program:?} contains '%', which desktops using GLib cannot \
                 start at login; move PawKey to a folder without '%' in its name"
            ));
        }
        let text = super::desktop_entry(program, args)?;
        super::write_if_changed(file, &text)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))
    }

    pub(super) fn enable(program: &str, args: &[&str]) -> Result<(), String> {
        write_entry(&entry_file()?, program, args).map(drop)
    }

    pub(super) fn disable() -> Result<(), String> {
        super::remove_entry(&entry_file()?)
    }

    pub(super) fn is_enabled() -> bool {
        entry_file().is_ok_and(|f| f.exists())
    }
}

/// macOS: a launch agent in the person's own `~/Library/LaunchAgents`.
#[cfg(target_os = "macos")]
mod platform {
    use std::path::PathBuf;

    fn entry_file() -> Result<PathBuf, String> {
        let dirs = directories::BaseDirs::new()
            .ok_or("cannot find your home folder for the launch agent")?;
        Ok(dirs
            .home_dir()
            .join("Library/LaunchAgents")
            .join(format!("{}.plist", super::NAME)))
    }

    pub(super) fn enable(program: &str, args: &[&str]) -> Result<(), String> {
        let file = entry_file()?;
        let text = super::launch_agent_plist(program, args)?;
        super::write_if_changed(&file, &text)
            .map(drop)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))
    }

    pub(super) fn disable() -> Result<(), String> {
        super::remove_entry(&entry_file()?)
    }

    pub(super) fn is_enabled() -> bool {
        entry_file().is_ok_and(|f| f.exists())
    }
}

/// Windows: the per-user Run key, plus Task Manager's "enabled" flag for it.
#[cfg(windows)]
mod platform {
    use winreg::enums::{HKEY_CURRENT_USER, KEY_READ, KEY_SET_VALUE, RegType};
    use winreg::{RegKey, RegValue};

    const RUN: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run";
    /// Task Manager's Startup tab: the first byte 2 means enabled (3 disabled).
    const APPROVED: &str =
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run";
    const APPROVED_ENABLED: [u8; 12] = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    fn run_key(flags: u32) -> std::io::Result<RegKey> {
        RegKey::predef(HKEY_CURRENT_USER).open_subkey_with_flags(RUN, flags)
    }

    pub(super) fn enable(program: &str, args: &[&str]) -> Result<(), String> {
        let line = super::windows_command_line(program, args)?;
        let key = run_key(KEY_READ | KEY_SET_VALUE)
            .map_err(|e| format!("cannot open the Run key: {e}"))?;
        if key.get_value::<String, _>(super::NAME).ok().as_deref() != Some(line.as_str()) {
            key.set_value(super::NAME, &line)
                .map_err(|e| format!("cannot write the Run key: {e}"))?;
        }
        // The Startup tab's flag may be missing; it only ever says "enabled" after a change.
        if let Ok(approved) =
            RegKey::predef(HKEY_CURRENT_USER).open_subkey_with_flags(APPROVED, KEY_SET_VALUE)
        {
            let _ = approved.set_raw_value(
                super::NAME,
                &RegValue {
                    vtype: RegType::REG_BINARY,
                    bytes: APPROVED_ENABLED.to_vec().into(),
                },
            );
        }
        Ok(())
    }

    pub(super) fn disable() -> Result<(), String> {
        let key = run_key(KEY_READ | KEY_SET_VALUE)
            .map_err(|e| format!("cannot open the Run key: {e}"))?;
        match key.delete_value(super::NAME) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove the Run entry: {e}")),
        }
    }

    pub(super) fn is_enabled() -> bool {
        run_key(KEY_READ).is_ok_and(|k| k.get_value::<String, _>(super::NAME).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the review named, in one folder name.
    const NASTY: &str = "/opt/My Apps/it's \"x\" $HOME\\b %u &<>;`(~)/pawkey";

    #[test]
    fn a_plain_path_is_written_as_is() {
        assert_eq!(
            desktop_exec("/usr/bin/pawkey", &[HIDDEN_ARG]).unwrap(),
            "/usr/bin/pawkey --hidden"
        );
        assert_eq!(
            windows_command_line(r"C:\Users\a\pawkey.exe", &[HIDDEN_ARG]).unwrap(),
            r#""C:\Users\a\pawkey.exe" --hidden"#
        );
    }

    #[test]
    fn the_exec_line_quotes_by_the_desktop_entry_rules() {
        assert_eq!(
            desktop_exec(NASTY, &[HIDDEN_ARG]).unwrap(),
            r#""/opt/My Apps/it's \\"x\\" \\$HOME\\\\b %%u &<>;\\`(~)/pawkey" --hidden"#
        );
        // The spec's own examples: a `$` and a `\` in a quoted argument.
        assert_eq!(desktop_exec("/a $b", &[]).unwrap(), r#""/a \\$b""#);
        assert_eq!(desktop_exec(r"/a\b", &[]).unwrap(), r#""/a\\\\b""#);
        // A percent outside quotes is doubled too, and an empty argument is kept.
        assert_eq!(desktop_exec("/a%b", &[""]).unwrap(), r#"/a%%b """#);
        let entry = desktop_entry(NASTY, &[]).unwrap();
        assert_eq!(entry.lines().filter(|l| l.starts_with("Exec=")).count(), 1);
    }

    #[test]
    fn the_run_key_quotes_the_program_path() {
        assert_eq!(
            windows_command_line(r"C:\Program Files\PawKey\pawkey.exe", &[HIDDEN_ARG]).unwrap(),
            r#""C:\Program Files\PawKey\pawkey.exe" --hidden"#
        );
        assert_eq!(
            windows_command_line(r"C:\P & Q\%TEMP%\$x\pawkey.exe", &[]).unwrap(),
            r#""C:\P & Q\%TEMP%\$x\pawkey.exe""#
        );
        // Arguments by the C runtime's rules.
        assert_eq!(
            windows_command_line(r"C:\p.exe", &[r#"a "b" c\"#, r"d\e", ""]).unwrap(),
            r#""C:\p.exe" "a \"b\" c\\" d\e """#
        );
        assert!(windows_command_line("C:\\a\"b.exe", &[]).is_err());
    }

    #[test]
    fn the_launch_agent_is_escaped_xml() {
        let plist = launch_agent_plist("/Applications/A&B <x> \"q\" 'y'.app/pawkey", &[HIDDEN_ARG])
            .unwrap();
        assert!(
            plist.contains(
                "\t\t<string>/Applications/A&amp;B &lt;x&gt; &quot;q&quot; &apos;y&apos;.app/pawkey</string>\n\
                 \t\t<string>--hidden</string>\n"
            ),
            "{plist}"
        );
        // Nothing but the escaped text between the tags.
        let body = plist.split("<array>").nth(1).unwrap();
        assert!(!body.contains("A&B") && !body.contains("<x>"), "{plist}");
    }

    #[test]
    fn control_characters_are_refused_everywhere() {
        for bad in ["/a\nExec=/evil", "/a\rb", "/a\tb", "/a\u{7}b"] {
            assert!(desktop_exec(bad, &[]).is_err(), "{bad:?}");
            assert!(windows_command_line(bad, &[]).is_err(), "{bad:?}");
            assert!(launch_agent_plist(bad, &[]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_inherited_appimage_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let appimage = dir.path().join("PawKey.AppImage");
        std::fs::write(&appimage, "").unwrap();
        let mount = Path::new("/tmp/.mount_PawKeyAbc");
        let inside = mount.join("usr/bin/pawkey");
        let installed = Path::new("/usr/bin/pawkey");
        let s = |p: &Path| p.as_os_str().to_owned();

        // Really run from the AppImage: the entry starts the AppImage file.
        assert_eq!(
            program_for(&inside, Some(&s(&appimage)), Some(&s(mount))),
            appimage
        );
        // APPIMAGE alone, or with another AppImage's APPDIR, or a relative or missing file:
        // the executable itself.
        for (image, appdir) in [
            (Some(s(&appimage)), None),
            (Some(s(&appimage)), Some(s(Path::new("/tmp/.mount_Other")))),
            (Some(s(&appimage)), Some(s(Path::new("/")))),
            (Some("PawKey.AppImage".into()), Some(s(mount))),
            (Some(s(&dir.path().join("missing"))), Some(s(mount))),
        ] {
            assert_eq!(
                program_for(installed, image.as_deref(), appdir.as_deref()),
                installed
            );
            assert_eq!(
                program_for(&inside, image.as_deref(), appdir.as_deref()),
                inside,
                "{image:?} {appdir:?}"
            );
        }
    }

    #[test]
    fn the_entry_is_rewritten_only_when_its_text_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("autostart/PawKey.desktop");
        assert!(write_if_changed(&file, "one").unwrap());
        let before = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!write_if_changed(&file, "one").unwrap());
        assert_eq!(
            std::fs::metadata(&file).unwrap().modified().unwrap(),
            before
        );
        assert!(write_if_changed(&file, "two").unwrap());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["PawKey.desktop"]);
    }

    /// The Linux entry for real: written into a temporary autostart folder, checked by
    /// `desktop-file-validate` and started by GLib (`gio launch`, what GNOME's autostart
    /// uses), which must run the program at that awkward path with exactly `--hidden`.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_desktop_entry_validates_and_glib_starts_the_right_program() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // Everything but '%' (refused below) and '/' in one folder name.
        let folder = dir.path().join("My Apps it's \"x\" $HOME\\b &<>;`(~)#*?|");
        std::fs::create_dir_all(&folder).unwrap();
        let program = folder.join("pawkey");
        let out = dir.path().join("argv");
        std::fs::write(
            &program,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > '{}'\n",
                out.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = program.to_str().unwrap();

        let file = dir.path().join("config/autostart/PawKey.desktop");
        assert!(platform::write_entry(&file, program, &[HIDDEN_ARG]).unwrap());
        assert!(!platform::write_entry(&file, program, &[HIDDEN_ARG]).unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text, desktop_entry(program, &[HIDDEN_ARG]).unwrap());

        let tool = |name: &str| {
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        };
        // Both come with scripts/install.sh deps-test (desktop-file-utils, libglib2.0-bin).
        assert!(
            tool("desktop-file-validate") && tool("gio"),
            "install desktop-file-utils and libglib2.0-bin (scripts/install.sh deps-test)"
        );
        let validate = std::process::Command::new("desktop-file-validate")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            validate.status.success() && validate.stdout.is_empty(),
            "{}{}",
            String::from_utf8_lossy(&validate.stdout),
            String::from_utf8_lossy(&validate.stderr)
        );
        let launched = std::process::Command::new("gio")
            .arg("launch")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            launched.status.success(),
            "{}",
            String::from_utf8_lossy(&launched.stderr)
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let argv = loop {
            match std::fs::read_to_string(&out) {
                Ok(s) if s.ends_with('\n') && s.lines().count() == 2 => break s,
                _ if std::time::Instant::now() > deadline => panic!("the entry never ran"),
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        };
        assert_eq!(argv, format!("{program}\n--hidden\n"));

        // A '%' in the path: refused with a reason instead of an entry GLib cannot start.
        let e = platform::write_entry(&file, "/opt/100%/pawkey", &[]).unwrap_err();
        assert!(e.contains("'%'"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    }
}
