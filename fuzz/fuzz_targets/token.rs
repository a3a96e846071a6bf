//! Any bytes into the token parser and verifier: never a panic; whatever parses is in the
//! one canonical form (it re-encodes to the same text), and a token only verifies if it is
//! exactly what minting its expiry produces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pawkey_core::secret::MasterToken;
use pawkey_core::token::{SESSION_PREFIX, SessionKey, TokenFormat, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = SessionKey::new(
        &MasterToken::parse("0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f".to_owned())
            .expect("a valid UUID master token"),
    );
    if let Ok(parsed) = parse(text) {
        let body = text.strip_prefix(SESSION_PREFIX).unwrap_or(text);
        let canonical = format!("{}:{}", parsed.exp, hex_lower(&parsed.sig));
        assert_eq!(body, canonical, "parse accepted a non-canonical token");
        assert_eq!(parsed.exp_str, parsed.exp.to_string());
    }
    match key.verify(text, 0) {
        Ok(exp) => {
            let minted = key.mint(exp, TokenFormat::Pocketpaw);
            assert_eq!(text.strip_prefix(SESSION_PREFIX).unwrap_or(text), minted);
        }
        Err(_) => {
            // A valid expiry with a forged MAC must never verify; nothing more to check.
        }
    }
    // The minted form of any expiry in the input round-trips.
    if let Some(exp) = data.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))) {
        for format in [TokenFormat::Session, TokenFormat::Pocketpaw] {
            let t = key.mint(exp, format);
            assert_eq!(key.verify(&t, exp), Ok(exp));
        }
    }
});

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
