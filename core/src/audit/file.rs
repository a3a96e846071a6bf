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
    read_mints(dir, None)
}

/// Bytes read from the end of each audit file by [`read_recent_sessions`]: thousands of
/// lines, so a full 8 MiB log never slows start-up.
const RECENT_TAIL_BYTES: u64 = 1024 * 1024;

/// The newest `limit` mints in `dir`'s audit files, newest first, as [`read_sessions`] but
/// from the last MiB of each file only: what a new process's recent list starts with.
pub fn read_recent_sessions(dir: &Path, limit: usize) -> std::io::Result<Vec<AuditEntry>> {
    let mut out = read_mints(dir, Some(RECENT_TAIL_BYTES))?;
    out.truncate(limit);
    Ok(out)
}

/// The mints in `audit.jsonl.1` and `audit.jsonl` (the last `tail` bytes of each, if
/// given), newest first.
fn read_mints(dir: &Path, tail: Option<u64>) -> std::io::Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    for name in ["audit.jsonl.1", "audit.jsonl"] {
        let bytes = match read_tail(&dir.join(name), tail) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let text = String::from_utf8_lossy(&bytes);
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

/// The whole file, or its last `tail` bytes starting at a line boundary.
fn read_tail(path: &Path, tail: Option<u64>) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = match tail {
        Some(tail) if len > tail => len - tail,
        _ => return std::fs::read(path),
    };
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(len - start).read_to_end(&mut bytes)?;
    // The first line is cut (or, by chance, whole: one mint lost from a full tail).
    let first_newline = bytes
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    bytes.drain(..first_newline);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::{AuditEvent, AuditLog, MintSource, RING_CAPACITY};
    use super::*;

    fn mint(n: u64) -> AuditEntry {
        AuditEntry {
            minted_at: 1_700_000_000 + n,
            source: MintSource::Cli,
            client: None,
            expires_at: 1_700_003_600 + n,
            fingerprint: format!("{n:012x}"),
        }
    }

    #[test]
    fn a_new_log_starts_with_the_newest_mints_already_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let earlier = AuditLog::with_file_sync(dir.path());
        let master = crate::secret::MasterToken::parse("0123456789abcdef-master".into()).unwrap();
        for n in 0..(RING_CAPACITY as u64 + 30) {
            earlier.record(mint(n));
        }
        earlier.record_master_change(AuditEvent::Rotate, MintSource::Window, &master);

        let log = AuditLog::with_file(dir.path());
        let recent = log.recent();
        assert_eq!(recent.len(), RING_CAPACITY, "bounded like the ring");
        assert_eq!(recent[0], mint(RING_CAPACITY as u64 + 29), "newest first");
        assert_eq!(recent[RING_CAPACITY - 1], mint(30));
        // New mints go on top, the oldest falls off.
        log.record(mint(10_000));
        let recent = log.recent();
        assert_eq!(recent.len(), RING_CAPACITY);
        assert_eq!(recent[0], mint(10_000));
        assert_eq!(recent[RING_CAPACITY - 1], mint(31));
    }

    #[test]
    fn recent_reads_only_the_tail_of_a_large_file_and_the_rotated_one_too() {
        let dir = tempfile::tempdir().unwrap();
        let line = |n: u64| {
            let record = AuditRecord {
                event: AuditEvent::Mint,
                entry: mint(n),
                request: None,
                user_code: None,
            };
            serde_json::to_string(&record).unwrap() + "\n"
        };
        // audit.jsonl.1: 3 old mints; audit.jsonl: more than RECENT_TAIL_BYTES of mints.
        let old: String = (0..3).map(line).collect();
        std::fs::write(dir.path().join("audit.jsonl.1"), old).unwrap();
        let big: String = (100..20_100).map(line).collect();
        assert!(big.len() as u64 > RECENT_TAIL_BYTES);
        std::fs::write(dir.path().join("audit.jsonl"), big).unwrap();

        let recent = read_recent_sessions(dir.path(), 50).unwrap();
        assert_eq!(recent.len(), 50);
        assert_eq!(recent[0], mint(20_099));
        assert_eq!(recent[49], mint(20_050));
        // Everything is still there for `pawkeyd sessions`.
        assert_eq!(read_sessions(dir.path()).unwrap().len(), 20_003);
        // With a small current file, the rotated one fills the list.
        std::fs::write(dir.path().join("audit.jsonl"), line(500)).unwrap();
        let recent = read_recent_sessions(dir.path(), 50).unwrap();
        assert_eq!(recent, vec![mint(500), mint(2), mint(1), mint(0)]);
    }
}
