//! Session tokens: `session:<exp>:<sig>` (or PocketPaw's bare `<exp>:<sig>`), where `<exp>`
//! is the expiry in Unix seconds and `<sig>` the lowercase hex HMAC-SHA256 of the `<exp>`
//! string keyed with the master token. There is no server-side session table: rotating the
//! master token revokes every session token at once.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::MasterToken;

/// The prefix of the documented token form.
pub const SESSION_PREFIX: &str = "session:";
/// Length of the hex MAC in a token.
const SIG_HEX_LEN: usize = 64;
/// Longest canonical expiry (u64::MAX has 20 digits).
const MAX_EXP_DIGITS: usize = 20;

/// Which form newly minted tokens take. Verification always accepts both.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// `session:<exp>:<sig>`, as PocketPaw's API documentation shows.
    #[default]
    Session,
    /// `<exp>:<sig>`, what PocketPaw's own verifier accepts.
    Pocketpaw,
}

impl TokenFormat {
    /// The name used in config files, flags and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Session => "session",
            TokenFormat::Pocketpaw => "pocketpaw",
        }
    }
}

impl std::str::FromStr for TokenFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "session" => Ok(TokenFormat::Session),
            "pocketpaw" => Ok(TokenFormat::Pocketpaw),
            other => Err(format!(
                "unknown token format {other:?}: use \"session\" or \"pocketpaw\""
            )),
        }
    }
}

/// Why a presented session token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `[session:]<exp>:<64 lowercase hex>` in canonical encoding.
    #[error("malformed session token ({0})")]
    Malformed(&'static str),
    /// Well formed, but the MAC does not match the current master token.
    #[error("session token signature does not match (wrong or rotated master token)")]
    BadSignature,
    /// The MAC matches but the expiry has passed.
    #[error("session token expired at {0} (Unix seconds)")]
    Expired(u64),
    /// The MAC matches but the expiry is further out than the longest lifetime allowed.
    #[error(
        "session token expiry {0} (Unix seconds) is further out than the longest lifetime PawKey allows"
    )]
    TooFarAhead(u64),
}

/// A parsed, not yet verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedToken<'a> {
    /// The expiry exactly as written (the MAC's message).
    pub exp_str: &'a str,
    /// The expiry in Unix seconds.
    pub exp: u64,
    /// The MAC bytes.
    pub sig: [u8; 32],
}

/// Parses the one canonical form; anything else is `Malformed`, never a panic.
pub fn parse(token: &str) -> Result<ParsedToken<'_>, TokenError> {
    let body = token.strip_prefix(SESSION_PREFIX).unwrap_or(token);
    let (exp_str, sig_hex) = body
        .split_once(':')
        .ok_or(TokenError::Malformed("expected <expiry>:<signature>"))?;
    if exp_str.is_empty() || exp_str.len() > MAX_EXP_DIGITS {
        return Err(TokenError::Malformed("expiry must be 1 to 20 digits"));
    }
    if !exp_str.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TokenError::Malformed("expiry must be decimal digits only"));
    }
    if exp_str.len() > 1 && exp_str.starts_with('0') {
        return Err(TokenError::Malformed("expiry must not have leading zeros"));
    }
    let exp: u64 = exp_str
        .parse()
        .map_err(|_| TokenError::Malformed("expiry out of range"))?;
    if sig_hex.len() != SIG_HEX_LEN {
        return Err(TokenError::Malformed("signature must be 64 hex characters"));
    }
    let mut sig = [0u8; 32];
    for (i, pair) in sig_hex.as_bytes().chunks_exact(2).enumerate() {
        sig[i] = (lower_hex_val(pair[0])? << 4) | lower_hex_val(pair[1])?;
    }
    Ok(ParsedToken { exp_str, exp, sig })
}

fn lower_hex_val(b: u8) -> Result<u8, TokenError> {
    match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        _ => Err(TokenError::Malformed(
            "signature must be lowercase hexadecimal",
        )),
    }
}

/// The master token's HMAC key, prepared once so that minting and verifying only hash
/// the expiry. Derived from the master token; zeroized on drop.
#[derive(Clone)]
pub struct SessionKey {
    mac: Hmac<Sha256>,
}

impl SessionKey {
    /// The key for `master`.
    pub fn new(master: &MasterToken) -> Self {
        Self { mac: master.hmac() }
    }

    fn mac_of(&self, exp_str: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(exp_str.as_bytes());
        mac
    }

    /// Mints a token that expires at `exp` (Unix seconds).
    pub fn mint(&self, exp: u64, format: TokenFormat) -> String {
        let exp_str = exp.to_string();
        let sig = self.mac_of(&exp_str).finalize().into_bytes();
        let prefix = match format {
            TokenFormat::Session => SESSION_PREFIX,
            TokenFormat::Pocketpaw => "",
        };
        let mut out = String::with_capacity(prefix.len() + exp_str.len() + 1 + SIG_HEX_LEN);
        out.push_str(prefix);
        out.push_str(&exp_str);
        out.push(':');
        out.push_str(&hex::encode(sig));
        out
    }

    /// Verifies `token` at time `now`: canonical form, MAC (constant time), then expiry.
    /// Returns the expiry. A token is valid iff its MAC verifies and `now <= exp`.
    pub fn verify(&self, token: &str, now: u64) -> Result<u64, TokenError> {
        let parsed = parse(token)?;
        self.mac_of(parsed.exp_str)
            .verify_slice(&parsed.sig)
            .map_err(|_| TokenError::BadSignature)?;
        if now > parsed.exp {
            return Err(TokenError::Expired(parsed.exp));
        }
        Ok(parsed.exp)
    }
}

/// A short, non-reversible fingerprint of a token for logs and the audit trail: the first
/// 12 hex characters of its SHA-256.
pub fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    hex::encode(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(master: &str) -> SessionKey {
        SessionKey::new(&MasterToken::parse(master.to_owned()).unwrap())
    }

    const MASTER: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";

    #[test]
    fn known_answer_matches_openssl() {
        // echo -n 1705312200 | openssl dgst -sha256 -hmac 0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f
        assert_eq!(
            key(MASTER).mint(1_705_312_200, TokenFormat::Pocketpaw),
            "1705312200:95335eb8b0b737814a41f41de62c0def9b37efece70ad4b798617d5756e46365"
        );
    }

    #[test]
    fn both_forms_verify_and_prefix_is_the_only_difference() {
        let k = key(MASTER);
        let a = k.mint(2_000_000_000, TokenFormat::Session);
        let b = k.mint(2_000_000_000, TokenFormat::Pocketpaw);
        assert_eq!(a.strip_prefix("session:"), Some(b.as_str()));
        assert_eq!(k.verify(&a, 1_000), Ok(2_000_000_000));
        assert_eq!(k.verify(&b, 1_000), Ok(2_000_000_000));
    }

    #[test]
    fn valid_until_and_including_expiry() {
        let k = key(MASTER);
        let t = k.mint(100, TokenFormat::Session);
        assert_eq!(k.verify(&t, 100), Ok(100));
        assert_eq!(k.verify(&t, 101), Err(TokenError::Expired(100)));
    }

    #[test]
    fn bad_tokens_table() {
        let k = key(MASTER);
        let good = k.mint(2_000_000_000, TokenFormat::Session);
        let sig = good.rsplit(':').next().unwrap().to_owned();
        let other = key("another-master-token-000").mint(2_000_000_000, TokenFormat::Session);
        let cases: Vec<(&str, String, TokenError)> = vec![
            (
                "empty",
                String::new(),
                TokenError::Malformed("expected <expiry>:<signature>"),
            ),
            (
                "prefix only",
                "session:".into(),
                TokenError::Malformed("expected <expiry>:<signature>"),
            ),
            (
                "truncated sig",
                good[..good.len() - 1].into(),
                TokenError::Malformed("signature must be 64 hex characters"),
            ),
            (
                "extra char",
                format!("{good}0"),
                TokenError::Malformed("signature must be 64 hex characters"),
            ),
            (
                "uppercase sig",
                format!("2000000000:{}", sig.to_uppercase()),
                TokenError::Malformed("signature must be lowercase hexadecimal"),
            ),
            (
                "leading zero",
                format!("02000000000:{sig}"),
                TokenError::Malformed("expiry must not have leading zeros"),
            ),
            (
                "plus sign",
                format!("+2000000000:{sig}"),
                TokenError::Malformed("expiry must be decimal digits only"),
            ),
            (
                "minus sign",
                format!("-2000000000:{sig}"),
                TokenError::Malformed("expiry must be decimal digits only"),
            ),
            (
                "space",
                format!(" 2000000000:{sig}"),
                TokenError::Malformed("expiry must be decimal digits only"),
            ),
            (
                "trailing space",
                format!("{good} "),
                TokenError::Malformed("signature must be 64 hex characters"),
            ),
            (
                "double prefix",
                format!("session:{good}"),
                TokenError::Malformed("expiry must be decimal digits only"),
            ),
            (
                "capital prefix",
                format!("Session:2000000000:{sig}"),
                TokenError::Malformed("expiry must be decimal digits only"),
            ),
            (
                "overflow",
                format!("99999999999999999999:{sig}"),
                TokenError::Malformed("expiry out of range"),
            ),
            (
                "too long exp",
                format!("{}:{sig}", "1".repeat(21)),
                TokenError::Malformed("expiry must be 1 to 20 digits"),
            ),
            (
                "empty exp",
                format!(":{sig}"),
                TokenError::Malformed("expiry must be 1 to 20 digits"),
            ),
            (
                "bad mac",
                format!("2000000001:{sig}"),
                TokenError::BadSignature,
            ),
            ("wrong master", other, TokenError::BadSignature),
            (
                "non-ascii",
                format!("2000000000:{}é", &sig[..62]),
                TokenError::Malformed("signature must be lowercase hexadecimal"),
            ),
        ];
        for (name, token, want) in cases {
            assert_eq!(k.verify(&token, 1_000), Err(want), "case {name}: {token:?}");
        }
    }

    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(fingerprint("abc"), "ba7816bf8f01");
        assert_ne!(fingerprint("abd"), fingerprint("abc"));
    }
}
