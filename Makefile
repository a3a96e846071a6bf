# PawKey — the two commands are `make run` and `make test` (see README.md).
# `make prove` runs the heavy proofs (fuzzing, schemathesis, 1M-request load, faults);
# everything else here is a helper for working on PawKey.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test prove build release lint fmt deps bench bench-desktop fuzz clean dist dist-test
.PHONY: install

## Build and start PawKey: the desktop app when a display is available, otherwise the
## headless server inside a D-Bus session with an unlocked gnome-keyring.
run:
	scripts/run.sh

## pawkeyd (and pawkey, when built) into ~/.local/bin (BINDIR=DIR for another), so any
## terminal can type them (scripts/install-local.sh; says so when it is not on PATH).
install:
	scripts/install-local.sh

## Install what the tests need, then fmt check, clippy -D warnings, build, every Rust test
## (unit, integration, desktop end-to-end under Xvfb, keychain tests against a real
## gnome-keyring), the PocketPaw interop test (scripts/test-extra-pocketpaw.sh) and the
## first five minutes of a newcomer (scripts/test-first-run.sh). Prints each step's seconds (README.md has the times).
test:
	scripts/test.sh

## The heavy proofs, not in `make test`: fuzzing (60 s per target), schemathesis, 1M-request
## load, limiter bound, SIGTERM, keychain/port/config/data-dir faults (README.md has the
## times).
prove:
	scripts/prove.sh

## Everything `make test` installs (Debian packages, tauri-driver, Python venvs);
## scripts/install.sh lists the other parts (tauri-cli, cargo-fuzz, prove).
deps:
	scripts/install.sh test

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

## fmt check, clippy -D warnings, the macOS/Windows dependency check
## (scripts/check-targets.sh) and actionlint on .github/workflows. Installs what it needs
## first (scripts/install.sh lint: build packages, shellcheck, actionlint), so it runs from
## a clean clone.
ACTIONLINT = $(or $(CARGO_TARGET_DIR),target)/lint/venv-actionlint/bin/actionlint
lint:
	scripts/install.sh lint
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	scripts/check-targets.sh
	$(ACTIONLINT)

fmt:
	$(CARGO) fmt --all

## Benchmarks, side by side with PocketPaw 0.4.18 (docs/BENCHMARKS.md); not part of `make test`.
bench:
	scripts/bench.sh

## The desktop app's memory (RSS/PSS with WebKit's processes) and timings (launch, first
## paint, reopen, tray copy, --hidden): release build, Xvfb, real keychain, 5 runs
## (PAWKEY_BENCH_RUNS=N); docs/BENCHMARKS.md.
bench-desktop:
	scripts/install.sh test
	xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
	  $(CARGO) bench -p pawkey --bench desktop

## Each cargo-fuzz target for FUZZ_SECONDS (default 300); `make prove` runs 60 s of each.
FUZZ_SECONDS ?= 300
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

## Release bundles (.deb and .rpm) with the Tauri bundler (scripts/bundle.sh, which the CI
## workflow also runs on macOS and Windows for .app/.dmg and .msi/NSIS).
dist:
	scripts/dist.sh

## Install the .deb into this machine, run it, mint a token, remove it.
dist-test: dist
	scripts/dist-test.sh

clean:
	$(CARGO) clean
