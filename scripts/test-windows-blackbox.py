#!/usr/bin/python3
"""Black-box tests of pawkeyd.exe under Wine, driven from Linux over 127.0.0.1.

Usage: scripts/test-windows-blackbox.py PAWKEYD_EXE
Run by scripts/test-windows.sh in a fresh Wine prefix (WINEPREFIX, with the
bcryptprimitives.dll shim in its system32). Standard library only (Debian's python3).

The master token reaches pawkeyd on stdin (`master import`) and the server in request
headers, never on a command line or in the environment. Each check prints `ok:` or
`FAILED:`; the exit status is 1 when any failed.
"""

import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

EXE = sys.argv[1]
PREFIX = os.environ["WINEPREFIX"]
PORT = 0
passed = 0
failures = []


def check(what, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print(f"    ok: {what}")
    else:
        failures.append(what)
        print(f"    FAILED: {what}" + (f": {detail}" if detail else ""), file=sys.stderr)


def section(title):
    print(f"\n--- {title}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PAWKEY_")}
    e.update(WINEDEBUG="-all", PAWKEY_PORT=str(PORT), NO_COLOR="1")
    e.update(extra or {})
    return e


def pawkeyd(*args, stdin=None, extra_env=None, timeout=60):
    """Runs `pawkeyd.exe ARGS` under Wine; returns (exit code, stdout, stderr)."""
    run = subprocess.run(
        ["wine", EXE, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env(extra_env),
        timeout=timeout,
    )
    # Wine writes Windows line ends for console output.
    return run.returncode, run.stdout.replace("\r\n", "\n"), run.stderr.replace("\r\n", "\n")


def win_user_dir():
    """The Linux path of %USERPROFILE% in the prefix (C:\\users\\<name>)."""
    users = os.path.join(PREFIX, "drive_c", "users")
    names = [n for n in os.listdir(users) if n != "Public"]
    assert len(names) == 1, names
    return os.path.join(users, names[0]), names[0]


def request(method, path, headers=None, body=None, host=None):
    """An HTTP request to the server; returns (status, headers dict, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    hdrs = {"Host": host or f"localhost:{PORT}"}
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    res = conn.getresponse()
    text = res.read().decode()
    out = (res.status, {k.lower(): v for k, v in res.getheaders()}, text)
    conn.close()
    return out


def mint(master, content_type=False):
    headers = {"Authorization": f"Bearer {master}"}
    if content_type:
        headers["Content-Type"] = "application/json"
    return request("POST", "/api/auth/session", headers)


def verify(token):
    return request("GET", "/api/auth/verify", {"Authorization": f"Bearer {token}"})[0]


def pocketpaw_accepts(master, token):
    """PocketPaw 0.4.18's verifier: `<exp>:<hex>` (our token minus its `session:` prefix),
    HMAC-SHA256 keyed with the master over the expiry string, not expired."""
    bare = token.removeprefix("session:")
    exp, _, sig = bare.partition(":")
    want = hmac.new(master.encode(), exp.encode(), hashlib.sha256).hexdigest()
    return exp.isdigit() and int(exp) >= time.time() and hmac.compare_digest(want, sig)


class Server:
    """`pawkeyd.exe serve` under Wine; stderr collected as it comes."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["wine", EXE, "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\r\n"))
            if f"listening on http://127.0.0.1:{PORT}" in line:
                self.ready.set()

    def stderr(self):
        return "\n".join(self.lines)

    def stop(self):
        # No SIGTERM or console Ctrl+C to send a Wine process from Linux: it is killed
        # (graceful shutdown is tested on Linux; on Windows it is Ctrl+C in its console).
        self.proc.kill()
        self.proc.wait(timeout=30)


def main():
    global PORT
    PORT = free_port()
    profile, user = win_user_dir()
    appdata = os.path.join(profile, "AppData", "Roaming", "pawkey")
    config_file = os.path.join(appdata, "config", "config.toml")
    audit_file = os.path.join(appdata, "data", "audit.jsonl")
    win_profile = f"C:\\users\\{user}"

    section("the CLI as a console program: version, usage errors, exit codes")
    code, out, err = pawkeyd("--version")
    check("--version prints the version, exit 0", code == 0 and re.match(r"pawkeyd \d+\.\d+\.\d+", out), (code, out, err))
    code, out, err = pawkeyd()
    check("no command: help on stderr, exit 2", code == 2 and "Usage" in err, (code, err[:200]))
    code, out, err = pawkeyd("--no-such-flag")
    check("unknown flag: exit 2", code == 2, (code, err[:200]))
    code, out, err = pawkeyd("status", extra_env={"PAWKEY_TTL_HOURS": "abc"})
    check("invalid PAWKEY_TTL_HOURS: exit 5, names the variable", code == 5 and "PAWKEY_TTL_HOURS" in err, (code, err[:300]))
    code, out, err = pawkeyd("requests")
    check("requests with no PawKey running: exit 4", code == 4, (code, err[:300]))

    section("status --json before any master: the %APPDATA% paths, the Credential Manager")
    code, out, err = pawkeyd("status", "--json")
    status = json.loads(out) if code in (0, 1) and out.strip() else {}
    check("status --json answers one JSON object", bool(status), (code, out, err[:300]))
    check(
        "config file is %APPDATA%\\pawkey\\config\\config.toml",
        status.get("config_file", {}).get("path") == f"{win_profile}\\AppData\\Roaming\\pawkey\\config\\config.toml",
        status.get("config_file"),
    )
    check(
        "audit log is %APPDATA%\\pawkey\\data\\audit.jsonl",
        status.get("audit_log") == f"{win_profile}\\AppData\\Roaming\\pawkey\\data\\audit.jsonl",
        status.get("audit_log"),
    )
    check("no master yet: state missing", status.get("master_token", {}).get("state") == "missing", status.get("master_token"))
    check(
        "the master's place: the OS keychain (the Credential Manager), service pawkey",
        status.get("master_token", {}).get("location") == "OS keychain (service pawkey, account master-token)",
        status.get("master_token"),
    )
    code, out, err = pawkeyd("master", "show")
    check("master show with none stored fails and prints nothing", code != 0 and out == "", (code, out, err[:200]))

    section("master import from stdin, kept in Wine's Credential Manager")
    master = str(uuid.uuid4())
    code, out, err = pawkeyd("master", "import", stdin=master + "\n")
    check("master import - (stdin): exit 0", code == 0, (code, err[:300]))
    code, out, err = pawkeyd("master", "show")
    check("another process (master show) reads it back from the Credential Manager",
          code == 0 and out.strip() == master, (code, err[:200]))
    code, out, err = pawkeyd("status", "--json")
    status = json.loads(out) if out.strip() else {}
    check("status: master state ok", code == 0 and status.get("master_token", {}).get("state") == "ok", (code, out))
    reg = open(os.path.join(PREFIX, "user.reg"), encoding="utf-8", errors="replace").read()
    check("the master is not in Wine's registry in clear text", master not in reg)

    section("pawkeyd.exe serve: the seed API page's examples over 127.0.0.1")
    server = Server()
    if not server.ready.wait(60):
        check("serve says where it listens within 60 s", False, server.stderr())
        return
    check("serve listens on 127.0.0.1", True)
    for ct in (False, True):
        what = "with" if ct else "without"
        status_code, headers, body = mint(master, content_type=ct)
        data = json.loads(body) if status_code == 200 else {}
        token = data.get("session_token", "")
        check(
            f"POST /api/auth/session {what} Content-Type: 200 {{session_token, expires_in_hours: 24}}",
            status_code == 200 and data.get("expires_in_hours") == 24 and re.fullmatch(r"session:[1-9]\d*:[0-9a-f]{64}", token),
            (status_code, body),
        )
        check(f"  its token passes PocketPaw's verifier ({what} Content-Type)", pocketpaw_accepts(master, token))
        check(f"  its token verifies on the server ({what} Content-Type)", verify(token) == 200)
    status_code, headers, body = mint(str(uuid.uuid4()))
    check(
        "wrong master: 401 {\"detail\":\"Invalid master token\"}, JSON, WWW-Authenticate: Bearer",
        status_code == 401
        and body == '{"detail":"Invalid master token"}'
        and headers.get("content-type", "").startswith("application/json")
        and headers.get("www-authenticate") == "Bearer",
        (status_code, headers, body),
    )
    status_code, _, body = request("GET", "/api/auth/session")
    check("GET /api/auth/session: 405 JSON", status_code == 405 and json.loads(body).get("detail"), (status_code, body))
    status_code, _, body = mint(master.upper())
    check("a master differing in case is refused (401)", status_code == 401, (status_code, body))
    status_code, _, body = request("POST", "/api/auth/session", {"Authorization": f"Bearer {master}"}, host="evil.example")
    check("a foreign Host is refused (403)", status_code == 403, (status_code, body))

    section("token, verify, status --json with the server running")
    code, out, err = pawkeyd("token")
    cli_token = out.strip()
    check("token prints a session token, exit 0", code == 0 and cli_token.startswith("session:"), (code, out, err[:200]))
    check("  the server accepts it", verify(cli_token) == 200)
    check("  PocketPaw's verifier accepts it", pocketpaw_accepts(master, cli_token))
    code, out, err = pawkeyd("verify", "-", stdin=cli_token + "\n")
    check("verify - (stdin): valid, exit 0", code == 0 and out.startswith("valid"), (code, out, err[:200]))
    code, out, err = pawkeyd("verify", "--json", "-", stdin=cli_token + "\n")
    check("verify --json -: {valid: true}", code == 0 and json.loads(out).get("valid") is True, (code, out))
    bad = cli_token[:-1] + ("0" if cli_token[-1] != "0" else "1")
    code, out, err = pawkeyd("verify", "-", stdin=bad + "\n")
    check("verify of a token with a bad MAC: invalid, exit 1", code == 1 and out.startswith("invalid"), (code, out))
    code, out, err = pawkeyd("token", "--ttl-hours", "0")
    check("token --ttl-hours 0 is refused (exit 1)", code == 1, (code, err[:200]))
    code, out, err = pawkeyd("status", "--json")
    check("status --json: server running on the port", code == 0 and str(PORT) in out, (code, out))

    section("approval: request, approve with pawkeyd.exe, poll, the token verifies")
    status_code, _, body = request(
        "POST", "/api/auth/request", {"Content-Type": "application/json"}, json.dumps({"client": "wine test"})
    )
    asked = json.loads(body) if status_code == 202 else {}
    check("POST /api/auth/request: 202 with request_id and user_code", bool(asked.get("request_id") and asked.get("user_code")), (status_code, body))
    if asked:
        poll_path = f"/api/auth/request/{asked['request_id']}"
        status_code, _, body = request("POST", poll_path)
        check("collect before approval: 202 pending", status_code == 202, (status_code, body))
        status_code, _, body = request("GET", poll_path)
        check("GET on the collect URL: 405, nothing handed out", status_code == 405, (status_code, body))
        code, out, err = pawkeyd("requests", "--json")
        listed = json.loads(out).get("requests", []) if code == 0 else []
        check("requests --json lists the request by number, never its code",
              any(r.get("number") == asked.get("number") for r in listed) and asked["user_code"] not in out,
              (code, out, err[:200]))
        code, out, err = pawkeyd("approve", "BCDF-2345")
        check("approve of a code no browser shows fails (exit 1)", code == 1, (code, err[:200]))
        status_code, _, body = request("POST", poll_path)
        check("  and nothing was approved", status_code == 202, (status_code, body))
        code, out, err = pawkeyd("approve", asked["user_code"])
        check("approve CODE (the code the browser shows): exit 0", code == 0, (code, out, err[:300]))
        status_code, _, body = request("POST", poll_path)
        got = json.loads(body) if status_code == 200 else {}
        check("collect after approval: 200 approved with a session token", got.get("status") == "approved", (status_code, body))
        check("  the approved token verifies", verify(got.get("session_token", "x")) == 200)
        status_code, _, body = request("POST", poll_path)
        check("  handed out once: 410 on the next collect", status_code == 410, (status_code, body))

    section("master rotate reaches the running server")
    old_token = cli_token
    code, out, err = pawkeyd("master", "rotate")
    check("master rotate: exit 0", code == 0, (code, err[:300]))
    code, out, err = pawkeyd("master", "show")
    rotated = out.strip()
    check("the master changed", code == 0 and rotated and rotated != master)
    check("old session tokens stop verifying at once", verify(old_token) == 401)
    check("the old master mints no more (401)", mint(master)[0] == 401)
    check("the new master mints (200)", mint(rotated)[0] == 200)

    section("linked rotation writes %USERPROFILE%\\.pocketpaw\\access_token")
    pocketpaw_file = os.path.join(profile, ".pocketpaw", "access_token")
    os.makedirs(os.path.dirname(pocketpaw_file), exist_ok=True)
    pocketpaw_master = str(uuid.uuid4())
    with open(pocketpaw_file, "w") as f:
        f.write(pocketpaw_master)
    code, out, err = pawkeyd("master", "import", "--from-pocketpaw")
    check("master import --from-pocketpaw: exit 0, linked", code == 0 and "in step" in err, (code, err[:300]))
    check("the running server took PocketPaw's master", mint(pocketpaw_master)[0] == 200)
    config = open(config_file).read() if os.path.exists(config_file) else ""
    check("config.toml written under %APPDATA%\\pawkey\\config, sync_pocketpaw = true", "sync_pocketpaw = true" in config, config)
    code, out, err = pawkeyd("master", "rotate")
    check("master rotate (linked): exit 0, PocketPaw follows", code == 0 and "so does PocketPaw" in err, (code, err[:300]))
    code, out, err = pawkeyd("master", "show")
    check("%USERPROFILE%\\.pocketpaw\\access_token holds the new master", open(pocketpaw_file).read() == out.strip() != pocketpaw_master)

    section("files where the README's platform table says")
    audit = open(audit_file).read() if os.path.exists(audit_file) else ""
    events = [json.loads(line) for line in audit.splitlines() if line.strip()]
    check("audit log at %APPDATA%\\pawkey\\data\\audit.jsonl with mint, approve and rotate lines",
          any(e.get("event") == "rotate" for e in events) and any(e.get("event") == "approve" for e in events)
          and any("event" not in e for e in events), audit[-500:])
    secrets = [master, rotated, pocketpaw_master, cli_token]
    check("no master or token in the audit log", not any(s in audit for s in secrets))
    check("no master or token in serve's stderr", not any(s in server.stderr() for s in secrets))
    server.stop()

    section("with the server stopped")
    code, out, err = pawkeyd("requests")
    check("requests: exit 4 (no PawKey running)", code == 4, (code, err[:200]))
    code, out, err = pawkeyd("token")
    check("token still mints from the Credential Manager", code == 0 and out.startswith("session:"), (code, err[:200]))


if __name__ == "__main__":
    try:
        main()
    finally:
        print(f"\nblack-box pawkeyd.exe under Wine: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
