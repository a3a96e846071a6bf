//! PocketPaw's own token file, `~/.pocketpaw/access_token`: where it is, and replacing it
//! whole when PawKey keeps PocketPaw in step (PocketPaw reads it on every request).

use std::path::{Path, PathBuf};

use crate::secret::{MasterToken, MasterTokenError};

/// PocketPaw's token file, `~/.pocketpaw/access_token`; `None` without a home directory.
pub fn pocketpaw_token_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().join(".pocketpaw").join("access_token"))
}

/// Refuses a token file in a directory another user could change: owned by someone else,
/// or writable by group or others (`~/.pocketpaw` at 0777, say). There another local user
/// could swap `access_token` for a token of their own — PocketPaw would then accept
/// session tokens they sign, and an import would hand them PawKey's master. On Windows the
/// profile folder's ACL is per user by default and is not checked here.
pub fn check_private_dir(path: &Path) -> std::io::Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match std::fs::metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = meta.mode() & 0o7777;
        let ours = meta.uid() == rustix::process::geteuid().as_raw();
        if !ours || mode & 0o022 != 0 {
            let why = if ours {
                format!("is writable by other users (mode {mode:04o})")
            } else {
                format!("belongs to another user (uid {})", meta.uid())
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} {why}: another user could replace PocketPaw's token there — run `chmod 700 {}` (as its owner) and try again",
                    dir.display(),
                    dir.display()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads PocketPaw's token file at `path`, after [`check_private_dir`].
pub fn read_pocketpaw_token(path: &Path) -> std::io::Result<String> {
    check_private_dir(path)?;
    std::fs::read_to_string(path)
}

/// Why PocketPaw's master token could not be taken from its token file. Each front end
/// adds its own way round (paste the token, pipe it in).
#[derive(Debug, thiserror::Error)]
pub enum PocketPawFileError {
    /// There is no home directory, so no PocketPaw token file either.
    #[error("cannot find the home directory, so not PocketPaw's token file either")]
    NoHome,
    /// The file is missing, unreadable, or in a directory other users could change.
    #[error(
        "cannot read PocketPaw's token file {}: {reason} — is PocketPaw installed for this user?",
        path.display()
    )]
    Unreadable {
        /// PocketPaw's token file.
        path: PathBuf,
        /// The OS error.
        reason: std::io::Error,
    },
    /// The file holds no acceptable master token.
    #[error("not imported from {}: {reason}", path.display())]
    Invalid {
        /// PocketPaw's token file.
        path: PathBuf,
        /// What is wrong with its content.
        reason: MasterTokenError,
    },
}

/// PocketPaw's master token, read from its token file ([`pocketpaw_token_path`]).
/// Blocking (a file read).
pub fn read_pocketpaw_master() -> Result<MasterToken, PocketPawFileError> {
    let path = pocketpaw_token_path().ok_or(PocketPawFileError::NoHome)?;
    let text = match read_pocketpaw_token(&path) {
        Ok(text) => text,
        Err(reason) => return Err(PocketPawFileError::Unreadable { path, reason }),
    };
    MasterToken::parse(text).map_err(|reason| PocketPawFileError::Invalid { path, reason })
}

/// Writes `master` as PocketPaw's token file at `path`, atomically (a 0600 file beside it,
/// then renamed over it), so PocketPaw, which reads the file on every request, never
/// sees half a token. The directory is created 0700 if missing, and refused when another
/// user could change it ([`check_private_dir`]).
pub fn write_pocketpaw_token(path: &Path, master: &MasterToken) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the token file has no directory"))?;
    check_private_dir(path)?;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let tmp = dir.join(format!(".access_token.pawkey-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = std::fs::remove_file(&tmp);
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(master.expose().as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const POCKETPAW: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

    #[test]
    fn pocketpaws_token_file_is_replaced_whole_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pocketpaw/access_token");
        let first = MasterToken::parse(POCKETPAW.into()).unwrap();
        write_pocketpaw_token(&path, &first).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), POCKETPAW);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let second = MasterToken::generate().unwrap();
        write_pocketpaw_token(&path, &second).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), second.expose());
        // Nothing left beside it.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_directory_other_users_can_write_is_refused_for_reading_and_writing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pocketpaw = dir.path().join(".pocketpaw");
        std::fs::create_dir(&pocketpaw).unwrap();
        let path = pocketpaw.join("access_token");
        std::fs::write(&path, POCKETPAW).unwrap();
        for mode in [0o777, 0o770, 0o722] {
            std::fs::set_permissions(&pocketpaw, std::fs::Permissions::from_mode(mode)).unwrap();
            let master = MasterToken::parse(POCKETPAW.into()).unwrap();
            let e = write_pocketpaw_token(&path, &master).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{mode:o}");
            assert!(e.to_string().contains("chmod 700"), "{e}");
            assert!(read_pocketpaw_token(&path).is_err(), "{mode:o}");
        }
        std::fs::set_permissions(&pocketpaw, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read_pocketpaw_token(&path).unwrap(), POCKETPAW);
    }
}
