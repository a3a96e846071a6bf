//! What the packages ship besides the programs: `pawkeyd`'s manual pages and shell
//! completions (written by the real `pawkey-gen-docs`, rendered by groff and man, sourced by
//! bash), the files lists that install them, and the macOS launchd agent.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Pawkeyd, workspace_root};
use pawkey_core::cli::docs;

/// `pawkey-gen-docs DIR`, as `make dist` runs it.
fn generate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pawkey-gen-docs"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    dir
}

/// Every page the command line should have: `pawkeyd` and each (nested) subcommand.
fn expected_pages() -> Vec<(String, String)> {
    fn walk(cmd: &clap::Command, words: Vec<String>, out: &mut Vec<(String, String)>) {
        out.push((format!("{}.1", words.join("-")), words.join(" ")));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut w = words.clone();
            w.push(sub.get_name().to_owned());
            walk(sub, w, out);
        }
    }
    let mut out = Vec::new();
    walk(&docs::command(), vec!["pawkeyd".into()], &mut out);
    out
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
#[cfg_attr(
    windows,
    ignore = "groff and man are Linux tools; the man pages ship in the Linux packages only"
)]
fn a_manual_page_per_subcommand_that_groff_and_man_render() {
    let dir = generate();
    let man1 = dir.path().join("man1");
    let mut written: Vec<String> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let expected = expected_pages();
    let mut names: Vec<String> = expected.iter().map(|(f, _)| f.clone()).collect();
    names.sort();
    assert_eq!(written, names, "one page per subcommand, no more");
    assert!(names.len() >= 15, "{names:?}");

    for (file, words) in &expected {
        let roff = std::fs::read_to_string(man1.join(file)).unwrap();
        assert!(roff.contains(".SH NAME"), "{file}");
        assert!(roff.contains(".SH SYNOPSIS"), "{file}");
        let synopsis = format!("\\fB{}\\fR", words.replace('-', "\\-"));
        assert!(roff.contains(&synopsis), "{file} lacks {synopsis}");
    }
    let top = std::fs::read_to_string(man1.join("pawkeyd.1")).unwrap();
    for section in [".SH ENVIRONMENT", ".SH \"EXIT STATUS\"", ".SH SUBCOMMANDS"] {
        assert!(top.contains(section), "pawkeyd.1 lacks {section}");
    }
    assert!(
        top.contains(".SH \"HTTP API\""),
        "pawkeyd.1 lacks the HTTP API section"
    );
    assert!(
        top.contains("\\fBhttp://localhost:8000/docs\\fR"),
        "pawkeyd.1 lacks the docs page"
    );
    for var in ["PAWKEY_CONFIG", "PAWKEY_DATA_DIR", "NO_COLOR", "RUST_LOG"] {
        assert!(
            top.contains(&format!("\\fB{var}\\fR")),
            "pawkeyd.1 lacks {var}"
        );
    }

    // Missing tools fail the test rather than skip it (`scripts/install.sh test` installs them).
    assert!(
        have("groff"),
        "groff is not installed, so the pages cannot be rendered: scripts/install.sh deps-test installs it (Debian package `groff-base`)"
    );
    // groff: every page renders without a single warning (-ww), UTF-8 input (-k).
    for (file, _) in &expected {
        let out = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww"])
            .arg(man1.join(file))
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{file}: {stderr}"
        );
        assert!(!out.stdout.is_empty(), "{file}");
    }
    // man, as a user runs it on the installed (gzipped) page.
    assert!(
        have("man"),
        "man is not installed: scripts/install.sh deps-test installs it (Debian package `man-db`)"
    );
    let gz = Command::new("gzip")
        .args(["-9n"])
        .arg(man1.join("pawkeyd.1"))
        .status()
        .unwrap();
    assert!(gz.success());
    let out = Command::new("man")
        .arg("-l")
        .arg(man1.join("pawkeyd.1.gz"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    for line in ["NAME", "SYNOPSIS", "ENVIRONMENT", "EXIT STATUS"] {
        assert!(page.lines().any(|l| l == line), "no {line} heading: {page}");
    }
    for (file, words) in &expected[1..] {
        if !words.contains("master ") {
            let reference = format!("{}(1)", file.trim_end_matches(".1"));
            assert!(page.contains(&reference), "no {reference}: {page}");
        }
    }
}

#[test]
#[cfg_attr(windows, ignore = "sources the scripts in bash, zsh and fish")]
fn completions_for_bash_zsh_and_fish_are_what_pawkeyd_prints() {
    let dir = generate();
    let p = Pawkeyd::new();
    for (shell, file, _) in docs::COMPLETIONS {
        let written = std::fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
        let printed = p.ok(&["completions", &shell.to_string()]);
        assert_eq!(written, printed, "{shell}: the packaged script differs");
    }
    // bash: sourcing it registers a completion function for pawkeyd.
    let bash = dir.path().join("completions/bash/pawkeyd");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p pawkeyd",
            bash.display()
        ))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("-F _pawkeyd pawkeyd"),
        "{out:?}"
    );
    let zsh = std::fs::read_to_string(dir.path().join("completions/zsh/_pawkeyd")).unwrap();
    assert!(zsh.starts_with("#compdef pawkeyd"), "{zsh}");
    let fish = std::fs::read_to_string(dir.path().join("completions/fish/pawkeyd.fish")).unwrap();
    assert!(fish.contains("complete -c pawkeyd"), "{fish}");
    // Not skipped when a shell is missing: a check that silently does not run proves nothing
    // (`scripts/install.sh test`, which `make test` runs first, installs both).
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        assert!(
            have(shell),
            "{shell} is not installed, so its completion script cannot be checked: \
             scripts/install.sh deps-test installs it (Debian package `{shell}`)"
        );
        let file = dir.path().join(match shell {
            "zsh" => "completions/zsh/_pawkeyd",
            _ => "completions/fish/pawkeyd.fish",
        });
        let out = Command::new(shell).arg(check).arg(&file).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
    }
}

#[test]
fn the_packages_install_the_pages_and_completions_where_man_and_shells_look() {
    let dist = std::fs::read_to_string(workspace_root().join("packaging/tauri.dist.json")).unwrap();
    let dist: serde_json::Value = serde_json::from_str(&dist).unwrap();
    let script = std::fs::read_to_string(workspace_root().join("scripts/dist.sh")).unwrap();
    assert!(
        script.contains("pawkey-gen-docs -- target/dist-docs")
            && script.contains("gzip -9n target/dist-docs/man1/*.1"),
        "dist.sh no longer writes target/dist-docs"
    );
    for kind in ["deb", "rpm"] {
        let files = &dist["bundle"]["linux"][kind]["files"];
        assert_eq!(
            files["/usr/share/man/man1"], "../target/dist-docs/man1",
            "{kind}"
        );
        for (_, file, installed) in docs::COMPLETIONS {
            assert_eq!(
                files[installed],
                format!("../target/dist-docs/completions/{file}"),
                "{kind}: {installed}"
            );
        }
    }
}

/// The launchd agent, read by Python's plistlib (the format macOS's own tools write).
fn read_plist(path: &Path) -> serde_json::Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "plistlib: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(windows, ignore = "parses the plist with Linux's python3")]
fn the_launchd_agent_parses_and_runs_pawkeyd_serve_at_login_restarting_on_failure() {
    let path = workspace_root().join("packaging/app.pawkey.pawkeyd.plist");
    let agent = read_plist(&path);
    assert_eq!(agent["Label"], "app.pawkey.pawkeyd");
    assert_eq!(
        agent["ProgramArguments"],
        serde_json::json!(["/usr/local/bin/pawkeyd", "serve"])
    );
    assert_eq!(agent["RunAtLoad"], true);
    // Restarted after a failure, not after a clean stop.
    assert_eq!(
        agent["KeepAlive"],
        serde_json::json!({"SuccessfulExit": false})
    );
    for key in ["StandardOutPath", "StandardErrorPath"] {
        assert_eq!(
            agent[key], "__HOME__/Library/Logs/PawKey/pawkeyd.log",
            "{key}"
        );
    }
    // The README's install line fills in the home directory; the result still parses.
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    assert!(
        readme.contains(
            "launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/app.pawkey.pawkeyd.plist"
        ),
        "README does not say how to load the agent"
    );
    let filled = tempfile::NamedTempFile::new().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(filled.path(), text.replace("__HOME__", "/Users/alice")).unwrap();
    assert_eq!(
        read_plist(filled.path())["StandardErrorPath"],
        "/Users/alice/Library/Logs/PawKey/pawkeyd.log"
    );
    // A broken file is noticed.
    std::fs::write(filled.path(), text.replace("</dict>\n</plist>", "</plist>")).unwrap();
    let broken = Command::new("python3")
        .args([
            "-c",
            "import plistlib, sys; plistlib.load(open(sys.argv[1], 'rb'))",
        ])
        .arg(filled.path())
        .output()
        .unwrap();
    assert!(!broken.status.success(), "a truncated plist parsed");
}
