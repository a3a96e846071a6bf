//! Writing the configuration: only what the person changed, atomically, never through a
//! symbolic link, and never over a file that does not parse.

use std::io::Write;
use std::path::Path;

use super::{Config, ConfigError, Origin};

impl Config {
    /// Saves what the person changed, and only that: the file as it is, plus every field
    /// where `wanted` differs from `running` (the config in use, which includes `PAWKEY_*`
    /// overrides and flags). A one-off `PAWKEY_BIND=0.0.0.0` therefore never becomes
    /// permanent because some other setting was saved. Returns what the file now holds.
    pub fn save_changes(
        path: &Path,
        running: &Config,
        wanted: &Config,
    ) -> Result<Config, ConfigError> {
        wanted.validate(&Origin::Setting)?;
        let io = |e: String| ConfigError::Io {
            action: "write",
            path: path.to_owned(),
            source: std::io::Error::other(e),
        };
        let table = |c: &Config| toml::Table::try_from(c).map_err(|e| io(e.to_string()));
        let mut on_file = table(&Self::load_file(path)?)?;
        let running = table(running)?;
        for (field, value) in table(wanted)? {
            if running.get(&field) != Some(&value) {
                on_file.insert(field, value);
            }
        }
        let merged: Config = on_file.try_into().map_err(|e| io(e.to_string()))?;
        merged.save(path)?;
        Ok(merged)
    }

    /// Writes the config atomically (temporary file, then rename), mode 0600 on Unix.
    /// Refuses to replace an existing file that does not parse, so nothing is lost.
    /// The temporary file has a random name and is created new, never through a symbolic
    /// link (`create_temp_file`).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        self.validate(&Origin::Setting)?;
        if path.exists() {
            Self::load_file(path)?;
        }
        let io = |source| ConfigError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let text = toml::to_string_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| io(std::io::Error::other(e.to_string())))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("config.toml"),
            hex::encode(random)
        ));
        // Only a file this call created is ever removed again.
        let mut f = create_temp_file(&tmp).map_err(io)?;
        let mut write = || -> std::io::Result<()> {
            f.write_all(b"# PawKey settings. See the README's configuration table.\n")?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

/// Creates `path` for writing: it must not exist yet (`O_CREAT|O_EXCL`, which also refuses
/// a symbolic link there, dangling or not) and, on Unix, is never opened through a symbolic
/// link (`O_NOFOLLOW`) and is created mode 0600.
fn create_temp_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
        opts.custom_flags(OFlags::NOFOLLOW.bits() as i32);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_round_trips_and_refuses_to_clobber_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let c = Config {
            port: 9123,
            ..Config::default()
        };
        c.save(&path).unwrap();
        assert_eq!(Config::load_file(&path).unwrap(), c);

        std::fs::write(&path, "port = [").unwrap();
        assert!(c.save(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "port = [");
    }

    #[test]
    fn saving_keeps_environment_overrides_out_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "port = 9000\n").unwrap();
        let mut running = Config::load_file(&path).unwrap();
        running
            .apply_env(|name| match name {
                "PAWKEY_BIND" => Some("0.0.0.0".into()),
                "PAWKEY_EXTRA_HOSTS" => Some("box.local".into()),
                "PAWKEY_ALLOWED_ORIGINS" => Some("http://evil.example".into()),
                _ => None,
            })
            .unwrap();
        // No change at all: the file stays what it was.
        let saved = Config::save_changes(&path, &running, &running.clone()).unwrap();
        assert_eq!(saved, Config::load_file(&path).unwrap());
        assert_eq!(saved.bind, Config::default().bind);
        assert!(saved.extra_hosts.is_empty() && saved.allowed_origins.is_empty());
        assert_eq!(saved.port, 9000);
        // One field changed: that one is saved, the overrides still are not.
        let wanted = Config {
            ttl_hours: 8,
            ..running.clone()
        };
        let saved = Config::save_changes(&path, &running, &wanted).unwrap();
        assert_eq!(saved.ttl_hours, 8);
        assert_eq!(saved.bind, Config::default().bind);
        assert!(saved.allowed_origins.is_empty());
        // Changing an overridden field on purpose saves it.
        let wanted = Config {
            allowed_origins: vec!["https://app.example".into()],
            ..running.clone()
        };
        let saved = Config::save_changes(&path, &running, &wanted).unwrap();
        assert_eq!(saved.allowed_origins, ["https://app.example"]);
        assert_eq!(saved.bind, Config::default().bind);
    }

    /// A symbolic link planted where the temporary file goes is neither followed nor
    /// replaced: what it points at stays as it was, and the save still lands.
    #[cfg(unix)]
    #[test]
    fn save_never_writes_through_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // The old temporary name was predictable (`.config.toml.tmp-<pid>`).
        let planted = dir
            .path()
            .join(format!(".config.toml.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let c = Config {
            port: 9124,
            ..Config::default()
        };
        c.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(Config::load_file(&path).unwrap(), c);
        // The planted link is left alone and is the only temporary name left behind.
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".config.toml.tmp-"))
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");

        // Whatever the name, the temporary file is created new and never through a link:
        // a link there, dangling or pointing at a file, is an error and stays untouched.
        let dangling = dir.path().join("dangling-target");
        for target in [&victim, &dangling] {
            let at = dir.path().join(".config.toml.tmp-fixed");
            let _ = std::fs::remove_file(&at);
            std::os::unix::fs::symlink(target, &at).unwrap();
            let e = create_temp_file(&at).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
            assert!(!dangling.exists());
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}
