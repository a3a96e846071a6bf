# PawKey — the two commands are `make run` and `make test` (see README.md).
# Everything else here is a helper for working on PawKey.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test build release lint fmt deps bench fuzz clean

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

clean:
	$(CARGO) clean
