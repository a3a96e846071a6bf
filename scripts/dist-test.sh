#!/usr/bin/env bash
# `make dist-test`: installs the .deb that `make dist` made into this machine, runs
# `pawkey --version` and `pawkeyd serve` from the installed paths, checks the manual pages
# and shell completions, mints a token over HTTP
# (in a private D-Bus session with a real gnome-keyring), then removes the package and
# checks that nothing it installed is left.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb=$PWD/target/release/bundle/deb/pawkey_${version}_amd64.deb
[ -f "$deb" ] || { echo "error: $deb missing: run make dist first" >&2; exit 1; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive

fail() { echo "dist-test FAILED: $*" >&2; exit 1; }

if dpkg-query -W -f='${Status}' pawkey 2>/dev/null | grep -q 'install ok installed'; then
  $sudo apt-get remove -y -qq pawkey >/dev/null
fi

echo "--> installing $deb"
$sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
files=$(dpkg -L pawkey)
for f in /usr/bin/pawkey /usr/bin/pawkeyd /usr/share/applications/pawkey.desktop \
         /usr/share/icons/hicolor/128x128/apps/pawkey.png /usr/lib/systemd/user/pawkeyd.service \
         /usr/share/man/man1/pawkeyd.1.gz /usr/share/man/man1/pawkeyd-serve.1.gz \
         /usr/share/man/man1/pawkeyd-master-rotate.1.gz \
         /usr/share/bash-completion/completions/pawkeyd /usr/share/zsh/vendor-completions/_pawkeyd \
         /usr/share/fish/vendor_completions.d/pawkeyd.fish; do
  grep -qx "$f" <<<"$files" || fail "$f is not in the package"
  [ -e "$f" ] || fail "$f was not installed"
done
grep -q '^Name=PawKey$' /usr/share/applications/pawkey.desktop || fail "desktop entry has no Name=PawKey"
grep -q '^Exec=pawkey' /usr/share/applications/pawkey.desktop || fail "desktop entry does not run pawkey"

echo "--> manual pages and completions"
# A page for every subcommand the installed pawkeyd has (its bash completion lists them).
for sub in serve token verify master status sessions completions requests approve deny; do
  grep -qx "/usr/share/man/man1/pawkeyd-$sub.1.gz" <<<"$files" || fail "no manual page for pawkeyd $sub"
done
if command -v man >/dev/null; then
  page=$(MANPAGER=cat MANWIDTH=100 man -l /usr/share/man/man1/pawkeyd.1.gz 2>&1) || fail "man pawkeyd: $page"
  grep -q '^SYNOPSIS' <<<"$page" && grep -q 'pawkeyd-serve(1)' <<<"$page" && grep -q '^EXIT STATUS' <<<"$page" \
    || fail "the installed pawkeyd(1) lacks SYNOPSIS, its subcommands or EXIT STATUS: $page"
else
  echo "SKIPPED rendering pawkeyd(1): man is not installed"
fi
# The installed bash completion registers for pawkeyd and offers its subcommands.
bash -c 'source /usr/share/bash-completion/completions/pawkeyd && complete -p pawkeyd' | grep -q pawkeyd \
  || fail "the bash completion does not register pawkeyd"
grep -q '^#compdef pawkeyd' /usr/share/zsh/vendor-completions/_pawkeyd || fail "zsh completion lacks #compdef pawkeyd"
grep -q 'complete -c pawkeyd' /usr/share/fish/vendor_completions.d/pawkeyd.fish || fail "fish completion is not for pawkeyd"

echo "--> installed versions"
got=$(/usr/bin/pawkey --version) ; [ "$got" = "pawkey $version" ] || fail "pawkey --version said '$got'"
got=$(/usr/bin/pawkeyd --version); [ "$got" = "pawkeyd $version" ] || fail "pawkeyd --version said '$got'"
echo "$got"

echo "--> installed pawkeyd serve mints over HTTP (real gnome-keyring)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
PAWKEY_CONFIG=$scratch/config.toml PAWKEY_DATA_DIR=$scratch/data \
PAWKEY_KEYRING_SERVICE=pawkey-dist-test-$$ \
scripts/with-keyring.sh bash -c '
  set -euo pipefail
  port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])")
  /usr/bin/pawkeyd serve --port "$port" 2>"$PAWKEY_DATA_DIR.log" & pid=$!
  trap "kill -TERM $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.05; done
  # No secret on any command line: curl reads the header from stdin (-H @-), python and
  # pawkeyd verify read the token from stdin; printf is a bash builtin (no process).
  body=$(/usr/bin/pawkeyd master show | sed "s/^/Authorization: Bearer /" |
    curl -fsS -X POST "http://localhost:$port/api/auth/session" -H @-)
  token=$(printf "%s" "$body" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"session_token\"])")
  case "$token" in session:*) ;; *) echo "unexpected answer (no session token)" >&2; exit 1;; esac
  printf "Authorization: Bearer %s\n" "$token" |
    curl -fsS "http://localhost:$port/api/auth/verify" -H @- | grep -q "\"valid\":true"
  printf "%s\n" "$token" | /usr/bin/pawkeyd verify -
  kill -TERM $pid; wait $pid
  trap - EXIT
  /usr/bin/pawkeyd master show >/dev/null
' || fail "installed pawkeyd did not serve and mint"

echo "--> removing the package"
$sudo apt-get remove -y -qq pawkey >/dev/null
dpkg-query -W -f='${Status}' pawkey 2>/dev/null | grep -q 'install ok installed' && fail "pawkey still installed"
for f in $files; do
  [ -d "$f" ] && continue
  [ -e "$f" ] && fail "$f left behind after removal"
done
echo "dist-test passed: installed, ran, minted, removed cleanly"
