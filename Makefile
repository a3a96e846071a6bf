# PawKey — the two commands are `make run` and `make test` (see README.md).
# Everything else here is a helper for working on PawKey.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test build release lint fmt deps bench fuzz clean dist dist-test

## Build and start PawKey: the desktop app when a display is available, otherwise the
## headless server inside a D-Bus session with an unlocked gnome-keyring.
run:
	scripts/run.sh

## Install what the tests need, then fmt check, clippy -D warnings and every test
## (keychain tests against a real gnome-keyring, desktop tests under Xvfb).
test:
	scripts/test.sh

deps:
	scripts/install-deps.sh all

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Benchmarks, side by side with PocketPaw 0.4.18 (docs/BENCHMARKS.md); not part of `make test`.
bench:
	scripts/bench.sh

## Each cargo-fuzz target for FUZZ_SECONDS (default 300); `make test` runs 60 s of each.
FUZZ_SECONDS ?= 300
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

## Release bundles (.deb and .rpm) with the Tauri bundler.
dist:
	scripts/dist.sh

## Install the .deb into this machine, run it, mint a token, remove it.
dist-test: dist
	scripts/dist-test.sh

clean:
	$(CARGO) clean
