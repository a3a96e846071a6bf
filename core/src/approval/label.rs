//! The label a requester gives itself ("Browser on http://localhost:8000"): shown to the
//! person deciding in the window, the notification and `pawkeyd requests`, so it must not
//! be able to disguise itself there.

use super::{ApprovalError, MAX_CLIENT_LABEL};

/// Characters that change how the text around them is shown without being visible
/// themselves: bidirectional embeddings, overrides and isolates (which can make
/// `moc.elgoog` read as `google.com`), directional marks, zero-width characters and the
/// byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}'                  // Arabic letter mark
        | '\u{180E}'                // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // LRE, RLE, PDF, LRO, RLO
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'   // LRI, RLI, FSI, PDI
        | '\u{FEFF}'                // zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
    )
}

/// Trims the label; an empty one is no label. Refused: longer than [`MAX_CLIENT_LABEL`]
/// characters, control characters, and invisible formatting characters (bidi overrides
/// and friends).
pub fn check_label(label: Option<String>) -> Result<Option<String>, ApprovalError> {
    match label.map(|c| c.trim().to_owned()) {
        Some(c)
            if c.chars().count() > MAX_CLIENT_LABEL
                || c.chars()
                    .any(|ch| ch.is_control() || is_invisible_format(ch)) =>
        {
            Err(ApprovalError::BadLabel)
        }
        Some(c) if c.is_empty() => Ok(None),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_invisible_characters_are_refused() {
        for bad in [
            "Browser on \u{202E}moc.elgoog",
            "\u{202A}embedded",
            "isolate \u{2066}x\u{2069}",
            "mark\u{200F}",
            "zero\u{200B}width",
            "\u{FEFF}bom",
            "arabic mark \u{061C}",
            "tab\tinside",
            "line\nbreak",
            "c1 \u{0085} control",
        ] {
            assert_eq!(
                check_label(Some(bad.into())),
                Err(ApprovalError::BadLabel),
                "{bad:?}"
            );
        }
        for ok in [
            "Browser on http://localhost:8000",
            "Café ü ñ 日本",
            "עברית",
            "a-b_c",
        ] {
            assert_eq!(check_label(Some(ok.into())), Ok(Some(ok.into())), "{ok:?}");
        }
        assert_eq!(check_label(Some("  ".into())), Ok(None));
        assert_eq!(check_label(None), Ok(None));
    }
}
