//! Clipboard hygiene: a copied token is marked as a password (clipboard managers that honour
//! the hint skip it) and is later cleared — after `clipboard_clear_seconds` and on quit —
//! but only if the clipboard still holds that token, so nothing the user copied since is
//! ever wiped.
//!
//! The "only if still ours" rule lives in [`ClipboardGuard`], written against the small
//! [`ClipboardText`] trait so it is unit-tested without a display; [`SystemClipboard`] is
//! the real clipboard (arboard). All calls block briefly on the display server: call them
//! from a blocking thread.

use std::sync::Mutex;

use zeroize::Zeroizing;

/// The three clipboard operations PawKey needs.
pub trait ClipboardText: Send {
    /// The text on the clipboard, or `None` when it is empty or holds no text.
    fn read_text(&mut self) -> Option<String>;
    /// Puts `text` on the clipboard, marked as a secret for clipboard managers.
    fn write_secret(&mut self, text: &str) -> Result<(), String>;
    /// Empties the clipboard.
    fn clear(&mut self) -> Result<(), String>;
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
            .map_err(|e| format!("could not copy to the clipboard: {e}"))
    }

    fn clear(&mut self) -> Result<(), String> {
        self.open()?
            .clear()
            .map_err(|e| format!("could not clear the clipboard: {e}"))
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
