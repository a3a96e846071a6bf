//! `pawkeyd`'s manual pages and shell completion scripts, generated from the same clap
//! definitions as `--help` (clap_mangen, clap_complete), so they never drift from the
//! program. `make dist` writes them with the `pawkey-gen-docs` program and the packages
//! install them (see `packaging/tauri.dist.json`).

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The program the pages and scripts describe.
pub const PROGRAM: &str = "pawkeyd";

/// Each shell, with the file its completion script is written to under `completions/`
/// and where a package installs it.
pub const COMPLETIONS: [(Shell, &str, &str); 3] = [
    (
        Shell::Bash,
        "bash/pawkeyd",
        "/usr/share/bash-completion/completions/pawkeyd",
    ),
    (
        Shell::Zsh,
        "zsh/_pawkeyd",
        "/usr/share/zsh/vendor-completions/_pawkeyd",
    ),
    (
        Shell::Fish,
        "fish/pawkeyd.fish",
        "/usr/share/fish/vendor_completions.d/pawkeyd.fish",
    ),
];

/// `pawkeyd`'s clap command, built (so subcommands carry their full names).
pub fn command() -> clap::Command {
    let mut cmd = Cli::command().name(PROGRAM).bin_name(PROGRAM);
    cmd.build();
    cmd
}

/// Every manual page: `pawkeyd.1` and one per subcommand (but clap's `help`) (`pawkeyd-serve.1`,
/// `pawkeyd-master-rotate.1`, …), as (file name, roff text).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        // After `build`, a subcommand's display name is its page name (`pawkeyd-serve`).
        // `--help`'s closing text (variables, exit codes) becomes proper sections.
        let after_help = cmd.get_after_help().map(|t| t.to_string());
        let man = clap_mangen::Man::new(cmd.clone().after_help(None::<&'static str>))
            .source(format!("{PROGRAM} {}", crate::VERSION))
            .manual("PawKey Manual");
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        if let Some(text) = after_help {
            roff.extend(sections_from_help(&text).into_bytes());
        }
        out.push((man.get_filename(), roff));
        // `help` is clap's own, described on every page as --help.
        let pages = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help");
        for sub in pages {
            walk(sub, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&command(), &mut out)?;
    Ok(out)
}

/// Turns `--help`'s closing text — headings ending in `:` (`Environment (…):`, `Exit
/// codes:`), each followed by `  NAME   meaning` lines — into man sections.
fn sections_from_help(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let heading = line.trim_end_matches(':');
            let (title, note) = match heading.split_once(" (") {
                Some((t, n)) => (t, Some(n.trim_end_matches(')'))),
                None => (heading, None),
            };
            let title = match title {
                "Exit codes" => "EXIT STATUS".to_owned(),
                t => t.to_uppercase(),
            };
            if title.contains(' ') {
                out.push_str(&format!(".SH \"{title}\"\n"));
            } else {
                out.push_str(&format!(".SH {title}\n"));
            }
            if let Some(note) = note {
                out.push_str(&format!("{}\n", escape(&capitalise(note))));
            }
            continue;
        }
        let item = line.trim();
        let (name, meaning) = item.split_once("  ").unwrap_or((item, ""));
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            escape(name),
            escape(meaning.trim())
        ));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Escapes text for a roff line: backslashes, minus signs, and a leading `.` or `'`.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), PROGRAM, &mut script);
    script
}

/// Writes `out/man1/*.1` and `out/completions/{bash/pawkeyd,zsh/_pawkeyd,fish/pawkeyd.fish}`;
/// returns every file written.
pub fn write_all(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man_dir = out.join("man1");
    std::fs::create_dir_all(&man_dir)?;
    for (name, roff) in man_pages()? {
        let path = man_dir.join(name);
        std::fs::write(&path, roff)?;
        written.push(path);
    }
    for (shell, file, _) in COMPLETIONS {
        let path = out.join("completions").join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, completion(shell))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_per_subcommand_with_name_and_synopsis() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "pawkeyd.1",
            "pawkeyd-serve.1",
            "pawkeyd-token.1",
            "pawkeyd-master.1",
            "pawkeyd-master-rotate.1",
            "pawkeyd-sessions.1",
        ] {
            assert!(names.contains(&expected), "{expected} missing: {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
        for (name, roff) in &pages {
            let text = String::from_utf8(roff.clone()).unwrap();
            assert!(text.contains(".SH NAME"), "{name}");
            assert!(text.contains(".SH SYNOPSIS"), "{name}");
        }
    }
}
