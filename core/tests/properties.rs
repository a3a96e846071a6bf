//! Properties over arbitrary input: the token parser, the `Authorization` parser and the
//! config parser never panic; mint → verify round-trips for any expiry; and any one
//! character changed in a valid token makes it fail.

use std::path::Path;

use pawkey_core::config::Config;
use pawkey_core::secret::MasterToken;
use pawkey_core::server::auth::parse_bearer;
use pawkey_core::token::{self, SessionKey, TokenError, TokenFormat};
use proptest::prelude::*;

fn key(master: &str) -> SessionKey {
    SessionKey::new(&MasterToken::parse(master.to_owned()).expect("valid master"))
}

/// Masters as they occur: PocketPaw's UUIDs, PawKey's 64 hex characters, any printable
/// ASCII of an allowed length.
fn master() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        "[0-9a-f]{64}",
        "[!-~]{16,80}",
    ]
}

fn format() -> impl Strategy<Value = TokenFormat> {
    prop_oneof![Just(TokenFormat::Session), Just(TokenFormat::Pocketpaw)]
}

/// Text that looks like a token often enough to reach every branch of the parser.
fn token_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(session:|Session:|session:session:)?[0-9+ -]{0,22}:[0-9a-fA-F ]{0,66}",
        "(session:)?[0-9]{1,20}:[0-9a-f]{64}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn token_parse_never_panics(s in token_like()) {
        let _ = token::parse(&s);
        let _ = key("0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f").verify(&s, 1_700_000_000);
    }

    #[test]
    fn parse_bearer_never_panics(bytes in prop_oneof![
        any::<Vec<u8>>(),
        "[ \t]*(Bearer|bearer|BEARER|Basic)?[ \t]*[!-~ \t]{0,40}".prop_map(String::into_bytes),
    ]) {
        if let Some(token) = parse_bearer(&bytes) {
            // What it returns is a non-empty run of visible ASCII.
            prop_assert!(!token.is_empty());
            prop_assert!(token.bytes().all(|b| b.is_ascii_graphic()));
        }
    }

    #[test]
    fn config_from_toml_never_panics(text in prop_oneof![
        any::<String>(),
        "([a-z_]{1,16} = (\"[^\"\n]{0,12}\"|[0-9-]{1,6}|\\[\\]|true)\n){0,6}",
        "(port|ttl_hours|bind|token_format|allowed_origins|extra_hosts|clipboard_clear_seconds) = [^\n]{0,24}\n?[^\n]{0,24}",
    ]) {
        if let Err(e) = Config::from_toml(&text, Path::new("/tmp/pawkey-prop.toml")) {
            // Every error names the file.
            prop_assert!(e.to_string().contains("pawkey-prop.toml") || e.to_string().contains("config file"), "{e}");
        }
    }

    #[test]
    fn mint_then_verify_round_trips(m in master(), exp in any::<u64>(), fmt in format(), before in 0u64..=1_000_000) {
        let k = key(&m);
        let t = k.mint(exp, fmt);
        let now = exp.saturating_sub(before);
        prop_assert_eq!(k.verify(&t, now), Ok(exp));
        if exp < u64::MAX {
            prop_assert_eq!(k.verify(&t, exp + 1), Err(TokenError::Expired(exp)));
        }
        // The bare form is the prefixed one minus its prefix, and both verify.
        let other = k.mint(exp, match fmt {
            TokenFormat::Session => TokenFormat::Pocketpaw,
            TokenFormat::Pocketpaw => TokenFormat::Session,
        });
        prop_assert_eq!(k.verify(&other, now), Ok(exp));
    }

    #[test]
    fn any_single_character_change_fails(
        m in master(),
        exp in 1_700_000_000u64..=u64::MAX,
        fmt in format(),
        position in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let k = key(&m);
        let t = k.mint(exp, fmt);
        let chars: Vec<char> = t.chars().collect();
        let i = position.index(chars.len());
        prop_assume!(chars[i] != replacement);
        let mut changed = chars.clone();
        changed[i] = replacement;
        let changed: String = changed.into_iter().collect();
        prop_assert!(k.verify(&changed, 1_600_000_000).is_err(), "{} verified", changed);
    }

    #[test]
    fn a_token_from_another_master_fails(a in master(), b in master(), exp in any::<u64>()) {
        prop_assume!(a != b);
        let t = key(&a).mint(exp, TokenFormat::Session);
        prop_assert_eq!(key(&b).verify(&t, 0), Err(TokenError::BadSignature));
    }
}
