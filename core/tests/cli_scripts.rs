//! What users of gh, aws-vault and 1Password expect from `pawkeyd` (the scriptable CLI): help on a
//! bare `pawkeyd`, choices, defaults, variables and exit codes in `--help`, `--json`
//! output, `sessions`, shell completions, the systemd unit and `master delete`. The real
//! binary; keychain tests run inside `scripts/with-keyring.sh`.

mod common;

use common::Pawkeyd;

/// Every `PAWKEY_*` name the core's source mentions.
fn pawkey_variables() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(i) = rest.find("PAWKEY_") {
                    let tail = &rest[i..];
                    let end = tail
                        .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                        .unwrap_or(tail.len());
                    let name = tail[..end].trim_end_matches('_');
                    if name.len() > "PAWKEY_".len() && !out.iter().any(|n| n == name) {
                        out.push(name.to_owned());
                    }
                    rest = &tail[end..];
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[test]
fn bare_pawkeyd_prints_its_help_to_stderr_and_exits_2() {
    let p = Pawkeyd::new();
    let run = p.run(&[], None);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.contains("Usage: pawkeyd"), "{run:?}");
    assert!(run.stderr.contains("Commands:"), "{run:?}");
    assert!(!run.stderr.contains("error:"), "{run:?}");
}

#[test]
fn hidden_belongs_to_the_desktop_app_and_is_refused_with_a_subcommand() {
    let p = Pawkeyd::new();
    let run = p.run(&["--hidden", "status"], None);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(
        run.stderr
            .contains("--hidden starts the desktop app in the tray"),
        "{run:?}"
    );
}

#[test]
fn help_lists_choices_defaults_variables_and_exit_codes() {
    let p = Pawkeyd::new();
    let help = p.ok(&["--help"]);
    let config_default = if cfg!(windows) {
        "[default: %APPDATA%\\pawkey\\config\\config.toml]"
    } else {
        "[default: $XDG_CONFIG_HOME/pawkey/config.toml"
    };
    assert!(help.contains(config_default), "{help}");
    let vars = pawkey_variables();
    assert!(vars.len() >= 12, "{vars:?}");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for v in &vars {
        assert!(help.contains(v), "--help lacks {v}: {help}");
        assert!(readme.contains(&format!("`{v}`")), "README lacks {v}");
    }
    for line in [
        "0  success",
        "1  the token is invalid",
        "2  the command line is wrong",
        "3  the keychain",
        "4  no PawKey is running",
        "5  the config file",
    ] {
        assert!(
            help.contains(line),
            "--help lacks exit code {line:?}: {help}"
        );
    }

    // One flag name for the token form, with its values listed.
    for cmd in ["token", "serve"] {
        let help = p.ok(&[cmd, "--help"]);
        assert!(help.contains("--token-format <FORMAT>"), "{cmd}: {help}");
        assert!(help.contains("session:"), "{cmd}: {help}");
        assert!(help.contains("pocketpaw:"), "{cmd}: {help}");
        assert!(!help.contains("--format"), "{cmd}: {help}");
    }
    // The old spelling still works; a wrong value lists the right ones.
    let bad = p.run(&["token", "--format", "nope"], None);
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr.contains("[possible values: session, pocketpaw]"),
        "{bad:?}"
    );
    let bad = p.run(&["serve", "--token-format", "nope"], None);
    assert_eq!(bad.code, Some(2), "{bad:?}");
}

fn json_of(stdout: &str) -> serde_json::Value {
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn token_verify_and_status_speak_json() {
    let p = Pawkeyd::new();
    let before = common::now();
    let token = json_of(&p.ok(&["token", "--json", "--ttl-hours", "2"]));
    let keys: Vec<&String> = token.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "expires_at",
            "expires_in_hours",
            "fingerprint",
            "session_token"
        ],
        "{token}"
    );
    let session = token["session_token"].as_str().unwrap();
    let exp = common::assert_token_shape(session, true);
    assert_eq!(token["expires_at"], exp);
    assert!((before + 2 * 3600..=common::now() + 2 * 3600).contains(&exp));
    assert_eq!(token["expires_in_hours"], 2);
    assert_eq!(
        token["fingerprint"],
        pawkey_core::token::fingerprint(session)
    );

    // verify: same exit codes as the text form; the token comes from stdin.
    let valid = p.run(&["verify", "--json", "-"], Some(session));
    assert_eq!(valid.code, Some(0), "{valid:?}");
    let v = json_of(&valid.stdout);
    assert_eq!(
        v,
        serde_json::json!({"valid": true, "state": "valid", "expires_at": exp, "reason": null})
    );

    let master = p.master();
    let old = common::sign(&master, 1_000, pawkey_core::token::TokenFormat::Session);
    let expired = p.run(&["verify", "--json", "-"], Some(&old));
    assert_eq!(expired.code, Some(1), "{expired:?}");
    let v = json_of(&expired.stdout);
    assert_eq!(v["valid"], false);
    assert_eq!(v["state"], "expired");
    assert_eq!(v["expires_at"], 1_000);
    assert!(v["reason"].as_str().unwrap().contains("expired"), "{v}");

    let bad = p.run(&["verify", "--json", "-"], Some("session:123:nothex"));
    assert_eq!(bad.code, Some(1), "{bad:?}");
    let v = json_of(&bad.stdout);
    assert_eq!(v["valid"], false);
    assert_eq!(v["state"], "invalid");
    assert_eq!(v["expires_at"], serde_json::Value::Null);
    assert!(v["reason"].as_str().unwrap().contains("malformed"), "{v}");
    for out in [&valid, &expired, &bad] {
        assert!(!out.stdout.contains(&master) && !out.stderr.contains(&master));
    }

    // status: the facts the text form prints.
    let s = json_of(&p.ok(&["status", "--json"]));
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["master_token"]["state"], "ok");
    assert_eq!(s["master_token"]["error"], serde_json::Value::Null);
    assert!(
        s["master_token"]["location"]
            .as_str()
            .unwrap()
            .contains(&p.keyring.service),
        "{s}"
    );
    assert_eq!(
        s["config_file"],
        serde_json::json!({"path": p.config_file().display().to_string(), "present": false})
    );
    assert_eq!(s["port"], p.port);
    assert_eq!(s["bind"], "127.0.0.1");
    assert_eq!(s["server"], format!("http://127.0.0.1:{}", p.port));
    assert_eq!(s["ttl_hours"], 24);
    assert_eq!(s["token_format"], "session");
    assert_eq!(
        s["audit_log"],
        p.data_dir().join("audit.jsonl").display().to_string()
    );
    assert!(!s.to_string().contains(&master));
}

#[test]
fn sessions_lists_every_mint_from_both_audit_files_newest_first() {
    let p = Pawkeyd::new();
    let token = json_of(&p.ok(&["token", "--json"]));
    let now = common::now();
    let dir = p.data_dir();
    // The rotated file holds older lines: a window mint still active and an expired one.
    std::fs::write(
        dir.join("audit.jsonl.1"),
        format!(
            concat!(
                r#"{{"minted_at":1000,"source":"http","client":"127.0.0.1","expires_at":2000,"fingerprint":"aaaaaaaaaaaa"}}"#,
                "\n",
                r#"{{"minted_at":{},"source":"window","client":null,"expires_at":{},"fingerprint":"bbbbbbbbbbbb"}}"#,
                "\n",
            ),
            now - 100,
            now + 3600
        ),
    )
    .unwrap();
    // Other events and unparsable lines in the current file are skipped.
    let mut current = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    current.push_str(&format!(
        concat!(
            r#"{{"event":"rotate","minted_at":{0},"source":"cli","client":null,"expires_at":0,"fingerprint":"cccccccccccc"}}"#,
            "\n",
            "not json\n",
            r#"{{"minted_at":{0},"source":"approval","client":"10.0.0.2","expires_at":{1},"fingerprint":"dddddddddddd"}}"#,
            "\n",
        ),
        now + 5,
        now + 7200
    ));
    std::fs::write(dir.join("audit.jsonl"), current).unwrap();

    let all = json_of(&p.ok(&["sessions", "--json"]));
    let list = all["sessions"].as_array().unwrap();
    let fps: Vec<&str> = list
        .iter()
        .map(|s| s["fingerprint"].as_str().unwrap())
        .collect();
    let cli_fp = token["fingerprint"].as_str().unwrap();
    assert_eq!(
        fps,
        ["dddddddddddd", cli_fp, "bbbbbbbbbbbb", "aaaaaaaaaaaa"],
        "{all}"
    );
    assert_eq!(
        list[0],
        serde_json::json!({"minted_at": now + 5, "source": "approval", "client": "10.0.0.2",
            "expires_at": now + 7200, "fingerprint": "dddddddddddd", "status": "active"})
    );
    assert_eq!(list[1]["source"], "cli");
    assert_eq!(list[1]["expires_at"], token["expires_at"]);
    assert_eq!(list[3]["status"], "expired");

    let active = json_of(&p.ok(&["sessions", "--active", "--json"]));
    assert_eq!(active["sessions"].as_array().unwrap().len(), 3, "{active}");

    // The table: a header, one line per session, sources and statuses in words; never a
    // token.
    let text = p.ok(&["sessions"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("MINTED"), "{text}");
    assert!(
        lines[1].contains("approval") && lines[1].contains("10.0.0.2"),
        "{text}"
    );
    assert!(
        lines[2].contains("cli") && lines[2].contains(cli_fp),
        "{text}"
    );
    assert!(
        lines[4].contains("http") && lines[4].ends_with("expired"),
        "{text}"
    );
    assert!(lines[1].ends_with("active"), "{text}");
    assert!(!text.contains(token["session_token"].as_str().unwrap()));
    let active = p.ok(&["sessions", "--active"]);
    assert!(!active.contains("expired"), "{active}");

    // No audit log yet: an empty list, not an error.
    let fresh = Pawkeyd::new();
    assert_eq!(
        json_of(&fresh.ok(&["sessions", "--json"])),
        serde_json::json!({"sessions": []})
    );
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let p = Pawkeyd::new();
    // A broken config does not stop completions.
    std::fs::write(p.config_file(), "port = \"many\"\n").unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pawkeyd"),
        ("fish", "complete -c pawkeyd"),
    ] {
        let run = p.run(&["completions", shell], None);
        assert_eq!(run.code, Some(0), "{shell}: {run:?}");
        assert!(!run.stdout.trim().is_empty(), "{shell}");
        assert!(run.stdout.contains("pawkeyd"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for word in ["sessions", "token-format", "session\\:", "pocketpaw"] {
            let word = if shell == "zsh" {
                word
            } else {
                word.trim_end_matches("\\:")
            };
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
        assert_eq!(run.stderr, "", "{shell}");
    }
    let bad = p.run(&["completions", "cmd.exe"], None);
    assert_eq!(bad.code, Some(2), "{bad:?}");
}

/// `systemd-analyze verify --user` on a unit file, finding manual pages in `manpath`:
/// (success, everything it printed).
fn systemd_verify(
    unit: &std::path::Path,
    runtime: &std::path::Path,
    manpath: &std::path::Path,
) -> (bool, String) {
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(unit)
        // The user manager it simulates needs a runtime directory.
        .env("XDG_RUNTIME_DIR", runtime)
        // It runs `man` for each `man:` page in Documentation=.
        .env("MANPATH", manpath)
        .output()
        .expect("systemd-analyze runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
#[cfg_attr(
    windows,
    ignore = "systemd-analyze is a Linux tool; the unit ships in the Linux packages only"
)]
fn the_systemd_user_unit_verifies() {
    let unit_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/pawkeyd.service");
    let unit = std::fs::read_to_string(unit_path).unwrap();
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    for line in [
        "ExecStart=/usr/bin/pawkeyd serve",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectSystem=strict",
        "WantedBy=default.target",
    ] {
        assert!(lines.contains(&line), "the unit lacks {line}");
    }
    // The session bus (the keychain) must stay reachable.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("RestrictAddressFamilies=") && l.contains("AF_UNIX")),
        "{unit}"
    );
    // Packaged where systemd's user manager looks.
    let dist = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/tauri.dist.json"
    ))
    .unwrap();
    let dist: serde_json::Value = serde_json::from_str(&dist).unwrap();
    for kind in ["deb", "rpm"] {
        assert_eq!(
            dist["bundle"]["linux"][kind]["files"]["/usr/lib/systemd/user/pawkeyd.service"],
            "../packaging/pawkeyd.service",
            "{kind}"
        );
    }

    let have = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    // Fails rather than skips: `scripts/install.sh test` installs it.
    assert!(
        have,
        "systemd-analyze is not installed, so the unit cannot be verified: scripts/install.sh deps-test installs it (Debian package `systemd`)"
    );
    // verify checks that ExecStart's program exists: point it at the binary just built.
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    let copy = dir.path().join("pawkeyd.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/bin/pawkeyd", env!("CARGO_BIN_EXE_pawkeyd")),
    )
    .unwrap();
    // Documentation=man:pawkeyd(1) must name a page the packages install.
    let docs = dir.path().join("docs");
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_pawkey-gen-docs"))
        .arg(&docs)
        .output()
        .unwrap();
    assert!(generated.status.success(), "{generated:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Documentation=man:pawkeyd(1)"))
    );
    let (ok, said) = systemd_verify(&copy, &runtime, &docs);
    assert!(ok && said.trim().is_empty(), "systemd-analyze: {said}");
    let (ok, said) = systemd_verify(&copy, &runtime, &dir.path().join("no-docs"));
    assert!(
        !ok && said.contains("man pawkeyd(1)"),
        "systemd-analyze: {said}"
    );

    // It would notice a mistake (an unknown key is only a warning, hence "prints nothing").
    std::fs::write(&copy, unit.replace("PrivateTmp=yes", "PrivateTemp=yes")).unwrap();
    let (_, said) = systemd_verify(&copy, &runtime, &docs);
    assert!(said.contains("PrivateTemp"), "systemd-analyze: {said}");
}

fn stored(p: &Pawkeyd) -> Option<String> {
    use pawkey_core::store::MasterStore;
    p.keyring
        .store()
        .load()
        .unwrap()
        .map(|m| m.expose().to_owned())
}

#[test]
#[cfg_attr(windows, ignore = "needs a pseudo-terminal (util-linux script)")]
fn master_delete_asks_on_a_terminal_and_needs_yes_in_scripts() {
    let p = Pawkeyd::new();
    let master = p.master();

    // A script without --yes: refused, exit 2, nothing deleted.
    let run = p.run(&["master", "delete"], Some(""));
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("master delete --yes"), "{run:?}");
    assert_eq!(stored(&p).as_deref(), Some(master.as_str()));

    // While PawKey runs: refused, whatever the flags.
    let mut serve = p.command();
    serve.arg("serve");
    let server = common::ServeProcess::spawn(serve).expect("serve starts");
    let run = p.run(&["master", "delete", "--yes"], None);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("PawKey is running"), "{run:?}");
    drop(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", p.port)).is_ok() {
        assert!(std::time::Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(stored(&p).as_deref(), Some(master.as_str()));

    // On a terminal: anything but "delete" keeps it.
    let prompt = "Type \"delete\" to confirm:";
    let (code, shown) = p.on_a_terminal("master delete", prompt, "yes\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("Not deleted."), "{shown}");
    assert_eq!(stored(&p).as_deref(), Some(master.as_str()));
    let (code, shown) = p.on_a_terminal("master delete", prompt, "delete\n");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("Deleted the master token"), "{shown}");
    assert!(!shown.contains(&master), "{shown}");
    assert_eq!(stored(&p), None);

    // --yes in a script; then there is nothing left to delete.
    let master = p.master();
    let run = p.run(&["master", "delete", "--yes"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(stored(&p), None);
    assert!(!run.stderr.contains(&master), "{run:?}");
    let run = p.run(&["master", "delete", "--yes"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("nothing to delete"), "{run:?}");
    let show = p.run(&["master", "show"], None);
    assert_eq!(show.code, Some(1), "{show:?}");
}

/// `pawkeyd token` with an audit log it cannot write, so it logs a warning (and mints):
/// on a pseudo-terminal (util-linux `script`) with `NO_COLOR` as given, or, without a
/// terminal, through a pipe. Returns (exit code, everything it wrote).
#[cfg(target_os = "linux")] // util-linux `script` for the terminal, /proc as unwritable
fn warning_run(p: &Pawkeyd, terminal: bool, no_color: Option<&str>) -> (Option<i32>, String) {
    use std::os::unix::fs::PermissionsExt;
    let file = p.dir.path().join("master-token");
    std::fs::write(&file, "0b6f3c1e-8d2a-4c55-9e1f-2a3b4c5d6e7f").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let args = ["token", "--master-token-file", file.to_str().unwrap()];
    let mut cmd = if terminal {
        let mut cmd = p.command_for("script");
        let line = format!("{} {}", env!("CARGO_BIN_EXE_pawkeyd"), args.join(" "));
        cmd.env("SHELL", "/bin/sh")
            .args(["-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::null());
        cmd
    } else {
        let mut cmd = p.command();
        cmd.args(args);
        cmd
    };
    // /proc is never writable, even for root.
    cmd.env("PAWKEY_DATA_DIR", "/proc/pawkey-test/data");
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let run = common::run_command(&mut cmd, None);
    (run.code, format!("{}{}", run.stdout, run.stderr))
}

#[cfg(target_os = "linux")] // see warning_run
#[test]
fn log_lines_are_plain_with_no_color_or_without_a_terminal() {
    let p = Pawkeyd::new();
    // The control: on a terminal, the level is coloured.
    let (code, shown) = warning_run(&p, true, None);
    assert_eq!(code, Some(0), "{shown:?}");
    assert!(shown.contains("cannot write the audit log"), "{shown:?}");
    assert!(shown.contains('\x1b'), "no colour on a terminal: {shown:?}");

    for (terminal, no_color) in [(true, Some("1")), (false, None), (false, Some("1"))] {
        let (code, shown) = warning_run(&p, terminal, no_color);
        assert_eq!(code, Some(0), "{shown:?}");
        assert!(
            shown.contains("WARN cannot write the audit log"),
            "{shown:?}"
        );
        assert!(
            !shown.contains('\x1b'),
            "escape codes (terminal {terminal}, NO_COLOR {no_color:?}): {shown:?}"
        );
    }
    // no-color.org: an empty NO_COLOR does not count.
    let (_, shown) = warning_run(&p, true, Some(""));
    assert!(shown.contains('\x1b'), "{shown:?}");
}
