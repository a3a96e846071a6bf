//! Micro benchmarks of the hot paths: minting and verifying session tokens, and parsing
//! the `Authorization` header. `make bench` runs them (targets: verify < 1 µs,
//! mint < 2 µs); docs/BENCHMARKS.md records the figures.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pawkey_core::secret::MasterToken;
use pawkey_core::server::auth::parse_bearer;
use pawkey_core::token::{SessionKey, TokenFormat, parse};

const MASTER: &str = "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f";
const EXP: u64 = 2_000_000_000;
const NOW: u64 = 1_900_000_000;

fn key() -> SessionKey {
    SessionKey::new(&MasterToken::parse(MASTER.to_owned()).expect("a valid UUID master"))
}

fn tokens(c: &mut Criterion) {
    let key = key();
    let valid = key.mint(EXP, TokenFormat::Session);
    assert_eq!(
        key.verify(&valid, NOW),
        Ok(EXP),
        "the bench token must verify"
    );
    // Same shape, last hex digit changed: parses, then fails the MAC.
    let mut bad_mac = valid.clone();
    let last = bad_mac.pop().expect("a minted token is not empty");
    bad_mac.push(if last == '0' { '1' } else { '0' });
    assert!(key.verify(&bad_mac, NOW).is_err());
    let malformed = format!("session:02000000000:{}", &valid[valid.len() - 64..]);
    assert!(parse(&malformed).is_err());

    let mut g = c.benchmark_group("token");
    g.bench_function("mint", |b| {
        b.iter(|| key.mint(black_box(EXP), TokenFormat::Session))
    });
    g.bench_function("verify/valid", |b| {
        b.iter(|| key.verify(black_box(&valid), black_box(NOW)))
    });
    g.bench_function("verify/bad_mac", |b| {
        b.iter(|| key.verify(black_box(&bad_mac), black_box(NOW)))
    });
    g.bench_function("verify/malformed", |b| {
        b.iter(|| key.verify(black_box(&malformed), black_box(NOW)))
    });
    g.bench_function("parse/valid", |b| b.iter(|| parse(black_box(&valid))));
    g.finish();
}

fn header(c: &mut Criterion) {
    let key = key();
    let session = format!("Bearer {}", key.mint(EXP, TokenFormat::Session));
    let master = format!("Bearer {MASTER}");
    let mut g = c.benchmark_group("authorization");
    g.bench_function("parse_bearer/session", |b| {
        b.iter(|| parse_bearer(black_box(session.as_bytes())))
    });
    g.bench_function("parse_bearer/master", |b| {
        b.iter(|| parse_bearer(black_box(master.as_bytes())))
    });
    g.bench_function("parse_bearer/basic", |b| {
        b.iter(|| parse_bearer(black_box(b"Basic dXNlcjpwYXNz")))
    });
    g.finish();
}

criterion_group!(benches, tokens, header);
criterion_main!(benches);
