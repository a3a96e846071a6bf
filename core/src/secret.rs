//! The master access token: generated from the OS RNG or imported, held in memory that is
//! zeroized on drop, and never printed by `Debug` or `Display`.

use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Smallest master token accepted on import (PocketPaw's UUID4 is 36 characters).
pub const MIN_MASTER_LEN: usize = 16;
/// Largest master token accepted on import.
pub const MAX_MASTER_LEN: usize = 512;

/// Why a candidate master token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterTokenError {
    /// Fewer than [`MIN_MASTER_LEN`] characters.
    #[error("the master token is too short ({0} characters; at least {MIN_MASTER_LEN} are needed)")]
    TooShort(usize),
    /// More than [`MAX_MASTER_LEN`] characters.
    #[error("the master token is too long ({0} characters; at most {MAX_MASTER_LEN} are allowed)")]
    TooLong(usize),
    /// Contains whitespace, control or non-ASCII characters (position is 1-based).
    #[error(
        "the master token contains a character that is not printable ASCII at position {0} (whitespace, control and non-ASCII characters are not allowed)"
    )]
    BadCharacter(usize),
}

/// The PocketPaw master access token.
///
/// It deliberately implements neither `Debug` nor `Display`; the only way to see it is
/// [`MasterToken::expose`], so every place that reveals it is easy to find.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterToken(String);

impl MasterToken {
    /// A fresh master token: 32 bytes from the OS RNG as 64 lowercase hex characters.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let token = hex::encode(bytes);
        bytes.zeroize();
        Ok(Self(token))
    }

    /// Accepts an imported token if it is 16–512 printable ASCII characters with no
    /// whitespace. Surrounding whitespace (a trailing newline from a file or a pipe) is
    /// trimmed first; the input is zeroized either way.
    pub fn parse(mut candidate: String) -> Result<Self, MasterTokenError> {
        let result = Self::validate(candidate.trim());
        let token = result.map(|()| Self(candidate.trim().to_owned()));
        candidate.zeroize();
        token
    }

    fn validate(s: &str) -> Result<(), MasterTokenError> {
        if let Some(pos) = s.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(MasterTokenError::BadCharacter(pos + 1));
        }
        match s.len() {
            n if n < MIN_MASTER_LEN => Err(MasterTokenError::TooShort(n)),
            n if n > MAX_MASTER_LEN => Err(MasterTokenError::TooLong(n)),
            _ => Ok(()),
        }
    }

    /// The token itself. Call only where the user asked to see, copy or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC-SHA256 keyed with this token, ready to be cloned per use.
    pub(crate) fn hmac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_bytes())
            .expect("HMAC-SHA256 accepts keys of any length")
    }

    /// Constant-time equality with a presented token.
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        // Length is not secret (it is fixed for generated tokens); the content is.
        self.0.len() == presented.len() && bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_64_hex_and_distinct() {
        let a = MasterToken::generate().unwrap();
        let b = MasterToken::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn import_accepts_pocketpaw_uuid_and_trims_newline() {
        let t = MasterToken::parse("0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f\n".into()).unwrap();
        assert_eq!(t.expose(), "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f");
    }

    #[test]
    fn import_refuses_with_reason() {
        assert_eq!(
            MasterToken::parse("short".into()).err(),
            Some(MasterTokenError::TooShort(5))
        );
        assert_eq!(
            MasterToken::parse("a".repeat(513)).err(),
            Some(MasterTokenError::TooLong(513))
        );
        assert_eq!(
            MasterToken::parse("abcdefgh ijklmnopq".into()).err(),
            Some(MasterTokenError::BadCharacter(9))
        );
        assert_eq!(
            MasterToken::parse("abcdefghijklmnopé".into()).err(),
            Some(MasterTokenError::BadCharacter(17))
        );
        assert!(MasterToken::parse("".into()).is_err());
    }

    #[test]
    fn matches_is_exact() {
        let t = MasterToken::parse("0123456789abcdef".into()).unwrap();
        assert!(t.matches("0123456789abcdef"));
        assert!(!t.matches("0123456789abcdeF"));
        assert!(!t.matches("0123456789abcdef0"));
        assert!(!t.matches(""));
    }
}
