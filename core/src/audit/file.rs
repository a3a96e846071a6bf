//! `audit.jsonl` on disk: opened private and never through a symlink, written by a
//! background thread, rotated at a size, and read back as the history of mints.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::Receiver;

use super::{AuditEntry, AuditRecord, ROTATE_BYTES};

/// Opens `path` for appending: never through a symbolic link, only a regular file, mode
/// 0600 (an existing wider file is set to 0600), in a 0700 directory.
pub(super) fn open_append(path: &Path) -> std::io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
        // NOFOLLOW: a symlink planted at the path is refused, not followed. NONBLOCK: a
        // FIFO there cannot hang the writer (no effect on a regular file).
        opts.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    }
    let file = opts.open(path).map_err(|e| {
        let is_link = std::fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if is_link {
            std::io::Error::new(
                e.kind(),
                "it is a symbolic link, which PawKey never writes through — remove it",
            )
        } else {
            e
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "it is not a regular file, which PawKey never writes to — remove it",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(BufWriter::new(file))
}

/// Creates `dir` (and missing parents) with mode 0700. An existing directory wider than
/// 0700 is set to 0700 when it belongs to this user and holds nothing but PawKey's files
/// (so a data directory pointed at, say, the home directory is never changed); otherwise a
/// warning says so.
fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::metadata(dir)?;
        if meta.mode() & 0o077 != 0 {
            let ours = meta.uid() == rustix::process::geteuid().as_raw();
            if ours && holds_only_pawkey_files(dir) {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            } else {
                tracing::warn!(
                    "the audit log's directory {} is mode {:04o}, wider than 0700: other users may list it",
                    dir.display(),
                    meta.mode() & 0o7777
                );
            }
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Whether `dir` holds only files PawKey writes there (`audit.jsonl*`, the `open/` folder
/// for browser redirects).
#[cfg(unix)]
fn holds_only_pawkey_files(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|e| {
        e.map(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("audit.jsonl") || name == crate::browser::REDIRECT_DIR_NAME
        })
        .unwrap_or(false)
    })
}

pub(super) fn write_loop(path: &Path, rx: Receiver<AuditRecord>) {
    let mut out: Option<BufWriter<File>> = None;
    let mut warned = false;
    let mut warn_once = |e: &std::io::Error| {
        if !warned {
            warned = true;
            tracing::warn!(
                "cannot write the audit log {}: {e}; mints still succeed and are kept in memory",
                path.display()
            );
        }
    };
    while let Ok(first) = rx.recv() {
        if out.is_none() {
            match open_append(path) {
                Ok(w) => out = Some(w),
                Err(e) => {
                    warn_once(&e);
                    continue;
                }
            }
        }
        let Some(w) = out.as_mut() else { continue };
        let mut result = write_line(w, &first);
        // Drain what is queued, then flush once.
        while result.is_ok() {
            match rx.try_recv() {
                Ok(next) => result = write_line(w, &next),
                Err(_) => break,
            }
        }
        let result = result.and_then(|()| w.flush());
        if let Err(e) = result {
            warn_once(&e);
            out = None;
            continue;
        }
        if std::fs::metadata(path)
            .map(|m| m.len() >= ROTATE_BYTES)
            .unwrap_or(false)
        {
            out = None;
            let _ = std::fs::rename(path, path.with_extension("jsonl.1"));
        }
    }
}

pub(super) fn write_line(w: &mut BufWriter<File>, record: &AuditRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, record)?;
    w.write_all(b"\n")
}

/// Every session token minted, from every source, as recorded in `dir/audit.jsonl` and
/// the rotated `dir/audit.jsonl.1`, newest first. Lines of other events (rotation, import,
/// requests, decisions) and lines that do not parse are skipped; missing files are empty.
pub fn read_sessions(dir: &Path) -> std::io::Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    for name in ["audit.jsonl.1", "audit.jsonl"] {
        let text = match std::fs::read(dir.join(name)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        out.extend(
            text.lines()
                .filter_map(|line| serde_json::from_str::<AuditRecord>(line).ok())
                .filter(|r| r.event.is_mint())
                .map(|r| r.entry),
        );
    }
    // Oldest file first and lines in order, so a stable sort keeps ties in write order.
    out.reverse();
    out.sort_by_key(|e| std::cmp::Reverse(e.minted_at));
    Ok(out)
}
