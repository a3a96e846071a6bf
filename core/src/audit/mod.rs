//! The mint audit trail: every session token minted (HTTP, CLI, window, tray, shortcut) is
//! recorded with its time, source, client, expiry and a short fingerprint — never the token.
//! Entries go to a bounded in-memory ring (shown by the UI; a log with a file starts it with
//! the newest mints already there), to subscribers (live updates), and as JSON lines to
//! `audit.jsonl` in the data directory, written by a background thread so a slow or failing
//! disk never slows or fails a mint.
//!
//! Master-token changes (rotation, import) go to the file only, as lines of the same shape
//! with an `event` field ([`AuditRecord`]): `minted_at` is when it happened, `expires_at` is
//! 0 and `fingerprint` is that of the new master token — never the token. Mint lines are
//! written exactly as before (no `event` field), so old readers still parse every line, and
//! the ring and subscribers (the window's list of recent mints) only ever see mints.
//!
//! The file is opened without following a symbolic link (one there is refused, with a
//! warning, and never written through), an existing file wider than 0600 is set to 0600,
//! and the data directory is created 0700 (and set to 0700 when it is ours, holds only
//! PawKey's files and is wider).

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

mod file;

use file::{open_append, write_line, write_loop};
pub use file::{read_recent_sessions, read_sessions};

/// Entries kept in memory: the length of every recent-mints list (the window's too).
pub const RING_CAPACITY: usize = 200;
/// Entries queued for the file before new ones are dropped (and counted).
const FILE_QUEUE: usize = 16_384;
/// Size at which `audit.jsonl` is renamed to `audit.jsonl.1` and a new file started.
const ROTATE_BYTES: u64 = 8 * 1024 * 1024;

/// Who asked for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MintSource {
    /// `POST /api/auth/session` or `/api/auth/login`.
    Http,
    /// `pawkey token`.
    Cli,
    /// The desktop window.
    Window,
    /// The tray menu.
    Tray,
    /// The desktop app's global copy shortcut (`copy_shortcut`).
    Shortcut,
    /// An access request (`POST /api/auth/request`) a person approved.
    Approval,
    /// The master-token store itself: a change made there outside PawKey.
    Store,
}

/// One recorded mint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When it was minted (Unix seconds).
    pub minted_at: u64,
    /// Who asked.
    pub source: MintSource,
    /// The client's IP address for HTTP mints.
    pub client: Option<String>,
    /// When the token expires (Unix seconds).
    pub expires_at: u64,
    /// First 12 hex characters of the token's SHA-256.
    pub fingerprint: String,
}

/// What an `audit.jsonl` line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditEvent {
    /// A session token was minted (lines without an `event` field).
    #[default]
    Mint,
    /// The master token was replaced by a new random one.
    Rotate,
    /// A master token was imported (e.g. PocketPaw's).
    Import,
    /// The master token changed in its store behind PawKey's back (another tool, a second
    /// PawKey) and the running server switched to it.
    External,
    /// A browser asked for access (`POST /api/auth/request`).
    Request,
    /// A person approved an access request (its token is recorded as a mint too).
    Approve,
    /// A person denied an access request.
    Deny,
}

impl AuditEvent {
    /// True for [`AuditEvent::Mint`] (not written to the file).
    pub fn is_mint(&self) -> bool {
        *self == AuditEvent::Mint
    }
}

/// One line of `audit.jsonl`: an [`AuditEntry`] and, for anything but a mint, an `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// What happened; absent (a mint) in every line written before this field existed.
    #[serde(default, skip_serializing_if = "AuditEvent::is_mint")]
    pub event: AuditEvent,
    /// When, who and the fingerprint (of the token minted, or of the new master token).
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The number of an access request (request, approve and deny lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    /// The user code of an access request (request and approve lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
}

/// How entries reach the file.
enum FileSink {
    /// A background thread (long-running processes).
    Thread(SyncSender<AuditRecord>),
    /// Written before `record` returns (short-lived CLI commands).
    Direct(PathBuf, AtomicBool),
}

/// The ring, the subscribers and the file writer.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    ring: Mutex<VecDeque<AuditEntry>>,
    events: broadcast::Sender<AuditEntry>,
    file: Option<FileSink>,
    file_path: Option<PathBuf>,
    dropped: AtomicU64,
    warned_drop: AtomicBool,
}

impl AuditLog {
    /// A log that also appends to `dir/audit.jsonl` (created when first needed). Its ring
    /// starts with the newest [`RING_CAPACITY`] mints already in the file (from earlier
    /// runs and from `pawkeyd token`), so the window's recent list survives a restart.
    pub fn with_file(dir: &Path) -> Self {
        let log = Self::with_file_writer(dir);
        match read_recent_sessions(dir, RING_CAPACITY) {
            Ok(newest_first) => {
                let mut ring = log.inner.ring.lock().unwrap_or_else(|p| p.into_inner());
                ring.extend(newest_first.into_iter().rev());
            }
            Err(e) => tracing::warn!(
                "cannot read earlier mints from {}: {e}; the recent list starts empty",
                dir.join("audit.jsonl").display()
            ),
        }
        log
    }

    fn with_file_writer(dir: &Path) -> Self {
        let path = dir.join("audit.jsonl");
        let (tx, rx) = std::sync::mpsc::sync_channel(FILE_QUEUE);
        let writer_path = path.clone();
        let spawned = std::thread::Builder::new()
            .name("pawkey-audit".into())
            .spawn(move || write_loop(&writer_path, rx));
        if let Err(e) = spawned {
            tracing::warn!(
                "audit file writer could not start ({e}); mints are kept in memory only"
            );
            return Self::memory_only();
        }
        Self::build(Some(FileSink::Thread(tx)), Some(path))
    }

    /// A log that appends to `dir/audit.jsonl` before `record` returns: for short-lived
    /// commands that exit right after minting.
    pub fn with_file_sync(dir: &Path) -> Self {
        let path = dir.join("audit.jsonl");
        Self::build(
            Some(FileSink::Direct(path.clone(), AtomicBool::new(false))),
            Some(path),
        )
    }

    /// A log without a file (tests and `--no-audit-file`).
    pub fn memory_only() -> Self {
        Self::build(None, None)
    }

    fn build(file: Option<FileSink>, file_path: Option<PathBuf>) -> Self {
        let (events, _) = broadcast::channel(256);
        Self {
            inner: Arc::new(Inner {
                ring: Mutex::new(VecDeque::with_capacity(RING_CAPACITY)),
                events,
                file,
                file_path,
                dropped: AtomicU64::new(0),
                warned_drop: AtomicBool::new(false),
            }),
        }
    }

    /// Where entries are appended, if anywhere.
    pub fn file_path(&self) -> Option<&Path> {
        self.inner.file_path.as_deref()
    }

    /// Records a mint. Never fails and never blocks on the disk.
    pub fn record(&self, entry: AuditEntry) {
        {
            let mut ring = self.inner.ring.lock().unwrap_or_else(|p| p.into_inner());
            if ring.len() == RING_CAPACITY {
                ring.pop_front();
            }
            ring.push_back(entry.clone());
        }
        self.to_file(AuditRecord {
            event: AuditEvent::Mint,
            entry: entry.clone(),
            request: None,
            user_code: None,
        });
        // No subscribers is fine.
        let _ = self.inner.events.send(entry);
    }

    /// Records that the master token was rotated or imported (`event`), by `source`, with
    /// the new master's fingerprint only. Goes to the file alone: the ring and subscribers
    /// list mints. Never fails.
    pub fn record_master_change(
        &self,
        event: AuditEvent,
        source: MintSource,
        master: &crate::secret::MasterToken,
    ) {
        self.to_file(AuditRecord {
            event,
            entry: AuditEntry {
                minted_at: crate::clock::now_unix(),
                source,
                client: None,
                expires_at: 0,
                fingerprint: crate::token::fingerprint(master.expose()),
            },
            request: None,
            user_code: None,
        });
    }

    /// Records an access request being opened, approved or denied (`event`), decided
    /// through `source`, for the requester at `peer`. Goes to the file alone. The
    /// fingerprint field is empty: a request carries no token.
    pub fn record_access(
        &self,
        event: AuditEvent,
        source: MintSource,
        request: (u64, Option<&str>),
        peer: Option<String>,
        expires_at: u64,
    ) {
        let (number, user_code) = request;
        self.to_file(AuditRecord {
            event,
            entry: AuditEntry {
                minted_at: crate::clock::now_unix(),
                source,
                client: peer,
                expires_at,
                fingerprint: String::new(),
            },
            request: Some(number),
            user_code: user_code.map(str::to_owned),
        });
    }

    fn to_file(&self, record: AuditRecord) {
        match &self.inner.file {
            None => {}
            Some(FileSink::Direct(path, warned)) => {
                let written = open_append(path).and_then(|mut w| {
                    write_line(&mut w, &record)?;
                    w.flush()
                });
                if let Err(e) = written {
                    if !warned.swap(true, Ordering::Relaxed) {
                        tracing::warn!("cannot write the audit log {}: {e}", path.display());
                    }
                }
            }
            Some(FileSink::Thread(tx)) => match tx.try_send(record) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                    if !self.inner.warned_drop.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "audit file writer is behind; some mints are recorded in memory only"
                        );
                    }
                }
            },
        }
    }

    /// The most recent entries, newest first.
    pub fn recent(&self) -> Vec<AuditEntry> {
        let ring = self.inner.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.iter().rev().cloned().collect()
    }

    /// A stream of new entries as they are recorded.
    pub fn subscribe(&self) -> broadcast::Receiver<AuditEntry> {
        self.inner.events.subscribe()
    }

    /// How many entries could not be queued for the file.
    pub fn dropped_file_entries(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64) -> AuditEntry {
        AuditEntry {
            minted_at: n,
            source: MintSource::Cli,
            client: None,
            expires_at: n + 3600,
            fingerprint: format!("{n:012x}"),
        }
    }

    #[test]
    fn ring_is_bounded_and_newest_first() {
        let log = AuditLog::memory_only();
        for n in 0..(RING_CAPACITY as u64 + 5) {
            log.record(entry(n));
        }
        let recent = log.recent();
        assert_eq!(recent.len(), RING_CAPACITY);
        assert_eq!(recent[0].minted_at, RING_CAPACITY as u64 + 4);
    }

    #[test]
    fn subscribers_see_new_entries() {
        let log = AuditLog::memory_only();
        let mut rx = log.subscribe();
        log.record(entry(7));
        assert_eq!(rx.try_recv().unwrap().minted_at, 7);
    }

    #[test]
    fn entries_reach_the_file_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::with_file(dir.path());
        log.record(entry(1));
        log.record(entry(2));
        let path = dir.path().join("audit.jsonl");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() == 2 {
                let first: AuditEntry = serde_json::from_str(text.lines().next().unwrap()).unwrap();
                assert_eq!(first, entry(1));
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "audit file not written: {text:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn master_changes_reach_the_file_only_and_old_lines_still_parse() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::with_file_sync(dir.path());
        let mut rx = log.subscribe();
        let master = crate::secret::MasterToken::parse("0123456789abcdef-master".into()).unwrap();
        log.record(entry(1));
        log.record_master_change(AuditEvent::Rotate, MintSource::Window, &master);
        // The window's list and live feed show mints only.
        assert_eq!(log.recent(), vec![entry(1)]);
        assert_eq!(rx.try_recv().unwrap(), entry(1));
        assert!(rx.try_recv().is_err());

        let text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(!lines[0].contains("event"), "{text}");
        assert!(!text.contains("master"), "{text}");
        let rotate: AuditRecord = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(rotate.event, AuditEvent::Rotate);
        assert_eq!(rotate.entry.source, MintSource::Window);
        assert_eq!(
            rotate.entry.fingerprint,
            crate::token::fingerprint(master.expose())
        );
        // An old mint line reads as a mint; a new line still reads as an old entry.
        let old: AuditRecord = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(old.event, AuditEvent::Mint);
        assert_eq!(old.entry, entry(1));
        let _: AuditEntry = serde_json::from_str(lines[1]).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_directory_never_fails_a_record() {
        // /proc is never writable, even for root.
        let log = AuditLog::with_file(Path::new("/proc/pawkey-test"));
        log.record(entry(1));
        assert_eq!(log.recent().len(), 1);
    }
}
