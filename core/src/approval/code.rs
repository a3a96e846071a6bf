//! User codes: eight letters a person reads off one screen and finds on another.

use super::ApprovalError;

/// Letters of a user code: no vowels (no words), no 0/O, 1/I/L.
pub(super) const CODE_ALPHABET: &[u8] = b"BCDFGHJKMNPQRSTVWXZ23456789";

pub(super) fn user_code() -> Result<String, ApprovalError> {
    let mut bytes = [0u8; 8];
    let mut code = String::with_capacity(9);
    let mut i = 0;
    while i < 8 {
        getrandom::fill(&mut bytes).map_err(|e| ApprovalError::Random(e.to_string()))?;
        for b in bytes {
            // Rejection sampling keeps every letter equally likely.
            let limit = 256 - 256 % CODE_ALPHABET.len();
            if usize::from(b) >= limit || i == 8 {
                continue;
            }
            if i == 4 {
                code.push('-');
            }
            code.push(char::from(
                CODE_ALPHABET[usize::from(b) % CODE_ALPHABET.len()],
            ));
            i += 1;
        }
    }
    Ok(code)
}

/// `bcdf2345`, `BCDF 2345` and `BCDF-2345` are the same code.
pub fn normalize_code(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if plain.len() == 8 {
        format!("{}-{}", &plain[..4], &plain[4..])
    } else {
        plain
    }
}
