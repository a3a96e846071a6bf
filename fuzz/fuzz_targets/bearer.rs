//! Any bytes as an `Authorization` header value: never a panic; what comes out is a
//! non-empty run of visible ASCII that appears in the input after a case-insensitive
//! `Bearer` scheme.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pawkey_core::server::auth::parse_bearer;

fuzz_target!(|data: &[u8]| {
    if let Some(token) = parse_bearer(data) {
        assert!(!token.is_empty());
        assert!(token.bytes().all(|b| b.is_ascii_graphic()), "{token:?}");
        let text = std::str::from_utf8(data).expect("a token came out, so the input was UTF-8");
        let trimmed = text.trim_matches([' ', '\t']);
        assert!(trimmed.len() > 6 && trimmed[..6].eq_ignore_ascii_case("bearer"));
        assert!(text.contains(token));
    }
});
