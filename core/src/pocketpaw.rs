//! PocketPaw's own token file, `~/.pocketpaw/access_token`: where it is, and replacing it
//! whole when PawKey keeps PocketPaw in step (PocketPaw reads it on every request).

use std::path::{Path, PathBuf};

use crate::secret::MasterToken;

/// PocketPaw's token file, `~/.pocketpaw/access_token`; `None` without a home directory.
pub fn pocketpaw_token_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().join(".pocketpaw").join("access_token"))
}

/// Writes `master` as PocketPaw's token file at `path`, atomically (a 0600 file beside it,
/// then renamed over it), so PocketPaw, which reads the file on every request, never
/// sees half a token. The directory is created 0700 if missing.
pub fn write_pocketpaw_token(path: &Path, master: &MasterToken) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the token file has no directory"))?;
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
}
