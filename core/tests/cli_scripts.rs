//! What users of gh, aws-vault and 1Password expect from `pawkeyd` (issue 12): help on a
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
fn help_lists_choices_defaults_variables_and_exit_codes() {
    let p = Pawkeyd::new();
    let help = p.ok(&["--help"]);
    assert!(
        help.contains("[default: $XDG_CONFIG_HOME/pawkey/config.toml"),
        "{help}"
    );
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
