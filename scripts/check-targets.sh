#!/usr/bin/env bash
# Checks that the macOS and Windows builds resolve and that no Linux-only crate (D-Bus,
# Secret Service, GTK, WebKitGTK, X11, AppIndicator) reaches them, and that each gets its
# own keychain store. Reads the lock file only (`cargo tree --locked`, no compiler for those
# targets needed, no network once the crates are in the registry cache): under a second.
# Run by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."

linux_only='^(dbus|libdbus-sys|zbus|zbus_macros|zbus_names|secret-service|zbus-secret-service-keyring-store|dbus-secret-service-keyring-store|linux-keyutils-keyring-store|gtk|gtk-sys|gdk|gdk-sys|gdkx11|gdkx11-sys|webkit2gtk|webkit2gtk-sys|javascriptcore-rs|soup3|libappindicator|libappindicator-sys|x11|x11-dl|x11rb|x11rb-protocol|xkeysym) '

status=0
check() { # target keychain-store
  local target=$1 store=$2 tree leaked ok=1
  # Normal and build dependencies of everything that ships, dev-dependencies included, so
  # that the workflow's test builds on that OS pull in nothing Linux-only either.
  if ! tree=$(cargo tree --locked --workspace --target "$target" -e normal,build,dev \
    --prefix none --format '{p}' 2>&1); then
    printf '%s\n' "$tree" >&2
    echo "check-targets: cargo tree failed for $target" >&2
    status=1
    return
  fi
  leaked=$(grep -E "$linux_only" <<<"$tree" | sort -u || true)
  if [ -n "$leaked" ]; then
    echo "check-targets: Linux-only crates in the $target build:" >&2
    while IFS= read -r crate; do echo "  $crate"; done <<<"$leaked" >&2
    ok=0
  fi
  if ! grep -q "^$store " <<<"$tree"; then
    echo "check-targets: $target has no $store (its keychain)" >&2
    ok=0
  fi
  [ "$ok" -eq 1 ] || { status=1; return; }
  echo "check-targets: $target resolves, its keychain is $store, nothing Linux-only"
}

check x86_64-pc-windows-msvc windows-native-keyring-store
check aarch64-apple-darwin apple-native-keyring-store
check x86_64-apple-darwin apple-native-keyring-store
# And the check itself can fail: Linux does get the Secret Service store.
if ! cargo tree --locked -p pawkey-core --target x86_64-unknown-linux-gnu -e normal \
  --prefix none --format '{p}' | grep -q '^zbus-secret-service-keyring-store '; then
  echo "check-targets: the Linux build has no Secret Service store: this check is blind" >&2
  status=1
fi
exit $status
