//! Clipboard hygiene: a copied token is marked as a password (clipboard managers that honour
//! the hint skip it) and is later cleared — after `clipboard_clear_seconds` and on quit —
//! but only if the clipboard still holds that token, so nothing the user copied since is
//! ever wiped. A copied master token is always cleared ([`clear_after_seconds`]).
//!
//! The "only if still ours" rule lives in [`ClipboardGuard`], written against the small
//! [`ClipboardText`] trait so it is unit-tested without a display; [`SystemClipboard`] is
//! the real clipboard (arboard). All calls block briefly on the display server: call them
//! from a blocking thread.
//!
//! Checking and clearing are two steps, so a copy made between them could be wiped. On X11
//! the clear itself is conditional: it hands the selection to nobody *as of the moment of
//! our copy* (`SetSelectionOwner(None, CLIPBOARD, t)`), which the X server ignores when
//! anyone took the selection after `t` — compare and clear in one step, done by the server.
//! Windows and macOS offer no such call through arboard; there the window between the check
//! and the clear is the two calls back to back (well under a millisecond).

use std::sync::Mutex;

use zeroize::Zeroizing;

/// The three clipboard operations PawKey needs.
pub trait ClipboardText: Send {
    /// The text on the clipboard, or `None` when it is empty or holds no text.
    fn read_text(&mut self) -> Option<String>;
    /// Puts `text` on the clipboard, marked as a secret for clipboard managers.
    fn write_secret(&mut self, text: &str) -> Result<(), String>;
    /// Empties the clipboard — where the platform can tell, only if nobody has written it
    /// since our last [`write_secret`](Self::write_secret).
    fn clear(&mut self) -> Result<(), String>;
}

/// How long a copied master token stays on the clipboard when `clipboard_clear_seconds` is
/// 0 ("never" is for session tokens only).
pub const MASTER_CLEAR_SECONDS: u32 = 30;

/// What a copied secret is: session tokens follow the setting, the master always clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A session token.
    Session,
    /// The master token.
    Master,
}

/// Seconds until a copied secret of `kind` is cleared (0 = never), given the configured
/// `clipboard_clear_seconds`: a master token is never left on the clipboard for good.
pub fn clear_after_seconds(kind: SecretKind, configured: u32) -> u32 {
    match (kind, configured) {
        (SecretKind::Master, 0) => MASTER_CLEAR_SECONDS,
        (_, seconds) => seconds,
    }
}

/// Identifies one copy, so a timer started for an earlier copy leaves a later one alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyTicket(u64);

/// What a clear attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClearOutcome {
    /// The clipboard still held our token and is now empty.
    Cleared,
    /// The clipboard holds something else now (the user copied since): left alone.
    NotOurs,
    /// A newer copy replaced this one; its own timer clears it.
    Superseded,
    /// Nothing of ours was on the clipboard.
    NothingToClear,
    /// Clearing failed (the display went away, for instance).
    Failed(String),
}

/// Remembers the last secret PawKey copied and clears it only while it is still there.
pub struct ClipboardGuard<C> {
    inner: Mutex<Inner<C>>,
}

struct Inner<C> {
    clipboard: C,
    ours: Option<Zeroizing<String>>,
    ticket: u64,
}

impl<C: ClipboardText> ClipboardGuard<C> {
    /// A guard over `clipboard`.
    pub fn new(clipboard: C) -> Self {
        Self {
            inner: Mutex::new(Inner {
                clipboard,
                ours: None,
                ticket: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<C>> {
        // A panic mid-call leaves at worst a stale `ours`, which the next copy replaces.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Copies `secret` (marked as a password) and remembers it as ours.
    pub fn copy_secret(&self, secret: &str) -> Result<CopyTicket, String> {
        let mut inner = self.lock();
        inner.clipboard.write_secret(secret)?;
        inner.ticket += 1;
        inner.ours = Some(Zeroizing::new(secret.to_owned()));
        Ok(CopyTicket(inner.ticket))
    }

    /// The timer's clear: only for the latest copy, and only if the clipboard still holds it.
    pub fn clear_if_current(&self, ticket: CopyTicket) -> ClearOutcome {
        let mut inner = self.lock();
        if inner.ticket != ticket.0 {
            return ClearOutcome::Superseded;
        }
        inner.clear_if_ours()
    }

    /// The quit-time clear: only if the clipboard still holds what we copied last.
    pub fn clear_if_ours(&self) -> ClearOutcome {
        self.lock().clear_if_ours()
    }
}

impl<C: ClipboardText> Inner<C> {
    fn clear_if_ours(&mut self) -> ClearOutcome {
        let Some(ours) = self.ours.take() else {
            return ClearOutcome::NothingToClear;
        };
        let now = self.clipboard.read_text().map(Zeroizing::new);
        if now.as_deref().map(String::as_str) != Some(ours.as_str()) {
            return ClearOutcome::NotOurs;
        }
        match self.clipboard.clear() {
            Ok(()) => ClearOutcome::Cleared,
            Err(e) => {
                // Keep it as ours so the quit-time clear tries again.
                self.ours = Some(ours);
                ClearOutcome::Failed(e)
            }
        }
    }
}

/// The OS clipboard through arboard, opened on first use and kept open: on X11 the
/// clipboard's content lives in the process that copied it.
#[derive(Default)]
pub struct SystemClipboard {
    clipboard: Option<arboard::Clipboard>,
    /// X11: our own connection and the server time of our last copy.
    #[cfg(all(unix, not(target_os = "macos")))]
    x11: Option<x11::CopyStamp>,
}

impl SystemClipboard {
    fn open(&mut self) -> Result<&mut arboard::Clipboard, String> {
        if self.clipboard.is_none() {
            let opened = arboard::Clipboard::new()
                .map_err(|e| format!("the clipboard is not available: {e}"))?;
            self.clipboard = Some(opened);
        }
        // Just set above when it was empty.
        Ok(self.clipboard.as_mut().expect("clipboard opened above"))
    }
}

impl ClipboardText for SystemClipboard {
    fn read_text(&mut self) -> Option<String> {
        self.open().ok()?.get_text().ok()
    }

    fn write_secret(&mut self, text: &str) -> Result<(), String> {
        let clipboard = self.open()?;
        let set = clipboard.set();
        #[cfg(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        ))]
        let set = {
            use arboard::SetExtLinux;
            // Adds the x-kde-passwordManagerHint=secret target.
            set.exclude_from_history()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        #[cfg(windows)]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_history().exclude_from_cloud()
        };
        set.text(text)
            .map_err(|e| format!("could not copy to the clipboard: {e}"))?;
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            // A read through arboard's own connection makes sure the X server has processed
            // its SetSelectionOwner before we take the time: the stamp is never before it.
            let _ = self.open()?.get_text().map(Zeroizing::new);
            self.x11 = x11::CopyStamp::after_copy()
                .inspect_err(|e| tracing::debug!("no X11 copy time ({e}); plain clear"))
                .ok();
        }
        Ok(())
    }

    fn clear(&mut self) -> Result<(), String> {
        #[cfg(all(unix, not(target_os = "macos")))]
        if let Some(stamp) = self.x11.take() {
            match stamp.release_unless_taken() {
                Ok(x11::Released::Done) => return Ok(()),
                // Someone copied after us: theirs stays.
                Ok(x11::Released::TakenSince) => return Ok(()),
                Ok(x11::Released::StillOurs) | Err(_) => {}
            }
        }
        self.open()?
            .clear()
            .map_err(|e| format!("could not clear the clipboard: {e}"))
    }
}

/// X11's compare-and-clear: the selection is released as of the server time of our copy.
#[cfg(all(unix, not(target_os = "macos")))]
mod x11 {
    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{
        Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, CreateWindowAux, EventMask,
        PropMode, Timestamp, Window, WindowClass,
    };
    use x11rb::rust_connection::RustConnection;
    use x11rb::wrapper::ConnectionExt as _;

    /// What releasing the selection did.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum Released {
        /// Nobody owns the clipboard now.
        Done,
        /// Another client took the clipboard after our copy: left alone.
        TakenSince,
        /// The server kept the owner of our copy (its time was not after ours): the caller
        /// clears it the plain way.
        StillOurs,
    }

    /// Our own connection, the clipboard's owner right after our copy, and the time then.
    pub(super) struct CopyStamp {
        conn: RustConnection,
        clipboard: Atom,
        owner: Window,
        time: Timestamp,
    }

    fn err(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    impl CopyStamp {
        /// Records the clipboard's owner (arboard's window) and the X server's time now,
        /// read from a zero-length property append on a window of our own (ICCCM 2.1).
        pub(super) fn after_copy() -> Result<Self, String> {
            std::env::var_os("DISPLAY").ok_or("no DISPLAY")?;
            let (conn, screen) = x11rb::connect(None).map_err(err)?;
            let root = conn.setup().roots[screen].root;
            let clipboard = conn
                .intern_atom(false, b"CLIPBOARD")
                .map_err(err)?
                .reply()
                .map_err(err)?
                .atom;
            let window = conn.generate_id().map_err(err)?;
            conn.create_window(
                0,
                window,
                root,
                0,
                0,
                1,
                1,
                0,
                WindowClass::INPUT_ONLY,
                0,
                &CreateWindowAux::new(),
            )
            .map_err(err)?;
            conn.change_window_attributes(
                window,
                &ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE),
            )
            .map_err(err)?;
            let owner = conn
                .get_selection_owner(clipboard)
                .map_err(err)?
                .reply()
                .map_err(err)?
                .owner;
            conn.change_property8(
                PropMode::APPEND,
                window,
                AtomEnum::WM_NAME,
                AtomEnum::STRING,
                &[],
            )
            .map_err(err)?;
            conn.flush().map_err(err)?;
            let time = loop {
                if let Event::PropertyNotify(e) = conn.wait_for_event().map_err(err)?
                    && e.window == window
                {
                    break e.time;
                }
            };
            conn.destroy_window(window).map_err(err)?;
            conn.flush().map_err(err)?;
            Ok(Self {
                conn,
                clipboard,
                owner,
                time,
            })
        }

        /// Gives the clipboard to nobody as of our copy's time. The X server ignores that
        /// when the selection changed hands after then, so a later copy is never wiped.
        pub(super) fn release_unless_taken(self) -> Result<Released, String> {
            self.conn
                .set_selection_owner(x11rb::NONE, self.clipboard, self.time)
                .map_err(err)?;
            let now = self
                .conn
                .get_selection_owner(self.clipboard)
                .map_err(err)?
                .reply()
                .map_err(err)?
                .owner;
            Ok(if now == x11rb::NONE {
                Released::Done
            } else if now == self.owner {
                Released::StillOurs
            } else {
                Released::TakenSince
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;

    /// An in-memory clipboard that records whether the last write was marked secret.
    #[derive(Clone, Default)]
    pub(crate) struct FakeClipboard(pub Arc<Mutex<FakeState>>);

    #[derive(Default)]
    pub(crate) struct FakeState {
        pub text: Option<String>,
        pub marked_secret: bool,
        pub clears: usize,
    }

    impl FakeClipboard {
        pub fn text(&self) -> Option<String> {
            self.0.lock().unwrap().text.clone()
        }
        /// What a user copying something in another app does.
        pub fn user_copies(&self, text: &str) {
            let mut s = self.0.lock().unwrap();
            s.text = Some(text.into());
            s.marked_secret = false;
        }
        pub fn marked_secret(&self) -> bool {
            self.0.lock().unwrap().marked_secret
        }
    }

    impl ClipboardText for FakeClipboard {
        fn read_text(&mut self) -> Option<String> {
            self.text()
        }
        fn write_secret(&mut self, text: &str) -> Result<(), String> {
            let mut s = self.0.lock().unwrap();
            s.text = Some(text.into());
            s.marked_secret = true;
            Ok(())
        }
        fn clear(&mut self) -> Result<(), String> {
            let mut s = self.0.lock().unwrap();
            s.text = None;
            s.clears += 1;
            Ok(())
        }
    }

    fn guard() -> (ClipboardGuard<FakeClipboard>, FakeClipboard) {
        let fake = FakeClipboard::default();
        (ClipboardGuard::new(fake.clone()), fake)
    }

    #[test]
    fn a_copied_master_is_always_cleared() {
        assert_eq!(
            clear_after_seconds(SecretKind::Master, 0),
            MASTER_CLEAR_SECONDS
        );
        assert_eq!(clear_after_seconds(SecretKind::Master, 10), 10);
        assert_eq!(clear_after_seconds(SecretKind::Session, 0), 0);
        assert_eq!(clear_after_seconds(SecretKind::Session, 45), 45);
    }

    /// The real X11 clipboard (the tests run under Xvfb): a copy another program makes after
    /// ours — here between the "still ours?" check and the clear — survives the clear; with
    /// nobody copying in between, the clear empties the clipboard.
    #[cfg(target_os = "linux")]
    #[test]
    fn on_x11_a_copy_made_after_ours_survives_the_clear() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "needs an X display: run under xvfb-run (make test does)"
        );
        let xclip_out = || {
            Command::new("xclip")
                .args(["-o", "-selection", "clipboard"])
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let mut ours = SystemClipboard::default();
        ours.write_secret("pawkey-test-secret").unwrap();
        assert_eq!(ours.read_text().as_deref(), Some("pawkey-test-secret"));
        assert_eq!(xclip_out().as_deref(), Some("pawkey-test-secret"));

        // Another program copies (xclip keeps running to own the selection).
        let mut xclip = Command::new("xclip")
            .args(["-i", "-selection", "clipboard"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip (scripts/install.sh deps-test)");
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(b"the person's own copy")
            .unwrap();
        xclip.wait().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while xclip_out().as_deref() != Some("the person's own copy") {
            assert!(std::time::Instant::now() < deadline, "xclip never copied");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        ours.clear().unwrap();
        assert_eq!(xclip_out().as_deref(), Some("the person's own copy"));

        // Copying again takes the clipboard back (and ends xclip); this clear empties it.
        ours.write_secret("pawkey-test-secret-2").unwrap();
        assert_eq!(xclip_out().as_deref(), Some("pawkey-test-secret-2"));
        ours.clear().unwrap();
        assert_eq!(xclip_out(), None);
        assert_eq!(ours.read_text(), None);
    }

    #[test]
    fn copy_marks_the_text_as_a_secret() {
        let (guard, fake) = guard();
        guard.copy_secret("session:1:abc").unwrap();
        assert_eq!(fake.text().as_deref(), Some("session:1:abc"));
        assert!(fake.marked_secret());
    }

    #[test]
    fn timer_clears_our_token() {
        let (guard, fake) = guard();
        let ticket = guard.copy_secret("tok").unwrap();
        assert_eq!(guard.clear_if_current(ticket), ClearOutcome::Cleared);
        assert_eq!(fake.text(), None);
    }

    #[test]
    fn timer_leaves_what_the_user_copied_since() {
        let (guard, fake) = guard();
        let ticket = guard.copy_secret("tok").unwrap();
        fake.user_copies("my shopping list");
        assert_eq!(guard.clear_if_current(ticket), ClearOutcome::NotOurs);
        assert_eq!(fake.text().as_deref(), Some("my shopping list"));
        // And quitting later does not wipe it either.
        assert_eq!(guard.clear_if_ours(), ClearOutcome::NothingToClear);
        assert_eq!(fake.text().as_deref(), Some("my shopping list"));
        assert_eq!(fake.0.lock().unwrap().clears, 0);
    }

    #[test]
    fn an_earlier_timer_leaves_a_later_copy_to_its_own_timer() {
        let (guard, fake) = guard();
        let first = guard.copy_secret("one").unwrap();
        let second = guard.copy_secret("two").unwrap();
        assert_eq!(guard.clear_if_current(first), ClearOutcome::Superseded);
        assert_eq!(fake.text().as_deref(), Some("two"));
        assert_eq!(guard.clear_if_current(second), ClearOutcome::Cleared);
        assert_eq!(fake.text(), None);
    }

    #[test]
    fn quit_clears_only_our_token() {
        let (guard, fake) = guard();
        assert_eq!(guard.clear_if_ours(), ClearOutcome::NothingToClear);
        guard.copy_secret("tok").unwrap();
        assert_eq!(guard.clear_if_ours(), ClearOutcome::Cleared);
        assert_eq!(fake.text(), None);
    }

    #[test]
    fn an_emptied_clipboard_is_not_cleared_again() {
        let (guard, fake) = guard();
        let ticket = guard.copy_secret("tok").unwrap();
        fake.0.lock().unwrap().text = None;
        assert_eq!(guard.clear_if_current(ticket), ClearOutcome::NotOurs);
        assert_eq!(fake.0.lock().unwrap().clears, 0);
    }
}
