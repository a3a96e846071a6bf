//! The `copy_shortcut` setting's syntax: `Modifier+...+Key`, e.g. `Ctrl+Alt+K`, checked
//! and written one canonical way ([`KeyShortcut`]) that the desktop app hands to the OS.
//! Pure text: registering the shortcut is the desktop shell's job.

use std::fmt;

/// A modifier, in the order the canonical form writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Modifier {
    /// Control on Windows and Linux, Command on macOS.
    CmdOrCtrl,
    Ctrl,
    Alt,
    Shift,
    /// The Windows/Super key; Command on macOS.
    Super,
}

impl Modifier {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "cmdorctrl" | "commandorcontrol" | "commandorctrl" | "cmdorcontrol" => {
                Modifier::CmdOrCtrl
            }
            "ctrl" | "control" => Modifier::Ctrl,
            "alt" | "option" => Modifier::Alt,
            "shift" => Modifier::Shift,
            "super" | "meta" | "win" | "cmd" | "command" => Modifier::Super,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Modifier::CmdOrCtrl => "CmdOrCtrl",
            Modifier::Ctrl => "Ctrl",
            Modifier::Alt => "Alt",
            Modifier::Shift => "Shift",
            Modifier::Super => "Super",
        }
    }
}

/// A valid shortcut: one or more modifiers (at least one besides Shift) and one key, a
/// letter, a digit or F1–F24.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShortcut {
    modifiers: Vec<Modifier>,
    key: String,
}

impl fmt::Display for KeyShortcut {
    /// The canonical form, e.g. `Ctrl+Alt+K`: modifiers in a fixed order, key upper-case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.modifiers {
            write!(f, "{}+", m.name())?;
        }
        f.write_str(&self.key)
    }
}

fn key_name(word: &str) -> Option<String> {
    let upper = word.to_ascii_uppercase();
    let one = upper.len() == 1 && upper.bytes().all(|b| b.is_ascii_alphanumeric());
    let function = upper
        .strip_prefix('F')
        .filter(|n| !n.starts_with('0'))
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=24).contains(&n));
    (one || function).then_some(upper)
}

/// What [`parse_shortcut`] says when it refuses.
const FORM: &str = "write it as modifiers and one key joined by +, e.g. Ctrl+Alt+K \
                    (modifiers Ctrl, Alt, Shift, Super, CmdOrCtrl; keys A–Z, 0–9, F1–F24), \
                    or leave it empty for none";

/// Parses a shortcut, case-insensitively and ignoring spaces around `+`. An empty (or
/// blank) text means no shortcut: `Ok(None)`.
pub fn parse_shortcut(text: &str) -> Result<Option<KeyShortcut>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let words: Vec<&str> = text.split('+').map(str::trim).collect();
    if words.iter().any(|w| w.is_empty()) {
        return Err(format!("{text:?}: a + with nothing on one side; {FORM}"));
    }
    let (key, modifier_words) = words.split_last().expect("split yields at least one word");
    let key = key_name(key).ok_or_else(|| {
        if Modifier::parse(key).is_some() {
            format!("{text:?} has no key after its modifiers; {FORM}")
        } else {
            format!("{text:?}: unknown key {key:?}; {FORM}")
        }
    })?;
    let mut modifiers = Vec::new();
    for word in modifier_words {
        let m = Modifier::parse(word).ok_or_else(|| {
            if key_name(word).is_some() {
                format!("{text:?} has more than one key; {FORM}")
            } else {
                format!("{text:?}: unknown modifier {word:?}; {FORM}")
            }
        })?;
        if modifiers.contains(&m) {
            return Err(format!("{text:?} names {} twice", m.name()));
        }
        modifiers.push(m);
    }
    // A shortcut without Ctrl, Alt or Super would take a key (or a capital letter) away from
    // typing in every application.
    if modifiers.iter().all(|m| *m == Modifier::Shift) {
        return Err(format!(
            "{text:?} needs Ctrl, Alt or Super, or it would take the key from every \
             application; {FORM}"
        ));
    }
    modifiers.sort();
    Ok(Some(KeyShortcut { modifiers, key }))
}

/// A shortcut's canonical text (`""` for none), or why the text is not one.
pub fn canonical_shortcut(text: &str) -> Result<String, String> {
    parse_shortcut(text).map(|s| s.map(|s| s.to_string()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_shortcuts_have_one_canonical_form() {
        for (text, canonical) in [
            ("Ctrl+Alt+K", "Ctrl+Alt+K"),
            ("alt + ctrl + k", "Ctrl+Alt+K"),
            ("Control+Option+k", "Ctrl+Alt+K"),
            ("Shift+Super+F12", "Shift+Super+F12"),
            ("meta+1", "Super+1"),
            ("CmdOrCtrl+Shift+P", "CmdOrCtrl+Shift+P"),
            ("ctrl+alt+shift+f24", "Ctrl+Alt+Shift+F24"),
            ("", ""),
            ("  ", ""),
        ] {
            assert_eq!(
                canonical_shortcut(text).as_deref(),
                Ok(canonical),
                "{text:?}"
            );
        }
        // The canonical form parses to itself.
        let s = parse_shortcut("Ctrl+Alt+K").unwrap().unwrap();
        assert_eq!(parse_shortcut(&s.to_string()).unwrap(), Some(s));
    }

    #[test]
    fn invalid_shortcuts_say_what_is_wrong() {
        for (text, says) in [
            ("K", "needs Ctrl, Alt or Super"),
            ("Shift+K", "needs Ctrl, Alt or Super"),
            ("Ctrl+Alt", "no key after its modifiers"),
            ("Ctrl+", "nothing on one side"),
            ("+K", "nothing on one side"),
            ("Ctrl++K", "nothing on one side"),
            ("Ctrl+K+L", "more than one key"),
            ("Hyper+K", "unknown modifier \"Hyper\""),
            ("Ctrl+Enter", "unknown key \"Enter\""),
            ("Ctrl+F25", "unknown key"),
            ("Ctrl+F0", "unknown key"),
            ("Ctrl+F01", "unknown key"),
            ("Ctrl+é", "unknown key"),
            ("Ctrl+Control+K", "names Ctrl twice"),
        ] {
            let e = parse_shortcut(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
