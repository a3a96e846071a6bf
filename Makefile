# PawKey — the two commands are `make run` and `make test` (see README.md).
# `make prove` runs the heavy proofs (fuzzing, schemathesis, 1M-request load, faults);
# everything else here is a helper for working on PawKey.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test prove build release lint fmt deps bench bench-desktop fuzz clean dist dist-test \
	windows test-windows dist-windows dist-test-windows install

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

## Everything `make test` installs (Debian packages, axe-core, Python venvs);
## scripts/install.sh lists the other parts (tauri-cli, cargo-fuzz, prove).
deps:
	scripts/install.sh test

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

## fmt check, clippy -D warnings (for Linux and for x86_64-pc-windows-gnu), the
## macOS/Windows dependency check (scripts/check-targets.sh), `cargo check` of the whole
## workspace for both macOS targets (scripts/check-macos.sh) and actionlint on
## .github/workflows. Installs what it needs first (scripts/install.sh lint mingw: build
## packages, shellcheck, actionlint, mingw-w64, the rustup targets), so it runs from a clean
## clone.
ACTIONLINT = $(or $(CARGO_TARGET_DIR),target)/lint/venv-actionlint/bin/actionlint
lint:
	scripts/install.sh lint mingw
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
	  $(CARGO) clippy --workspace --all-targets --locked --target x86_64-pc-windows-gnu -- -D warnings
	scripts/check-targets.sh
	scripts/check-macos.sh
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
	scripts/install.sh test bench-desktop
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

## Windows, cross-built here with mingw-w64 and tested under Wine (README.md "Platforms").
## Release pawkeyd.exe and pawkey.exe for x86_64-pc-windows-gnu, with WebView2Loader.dll,
## in target/windows (scripts/build-windows.sh; installs the toolchain first).
windows:
	scripts/build-windows.sh

## The core's tests built for Windows and run under Wine; a black-box suite against
## pawkeyd.exe under Wine; pawkey.exe --hidden under Wine and Xvfb (scripts/test-windows.sh).
test-windows:
	scripts/test-windows.sh

## The per-user NSIS installer, built offline: target/windows/bundle/PawKey_<v>_x64-setup.exe.
dist-windows:
	scripts/dist-windows.sh

## Install the installer silently under Wine, run pawkeyd from it, mint and verify a token,
## uninstall silently, check that nothing is left.
dist-test-windows: dist-windows
	scripts/dist-test-windows.sh

clean:
	$(CARGO) clean
