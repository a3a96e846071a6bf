//! The login entry's text on each platform — a freedesktop `.desktop` file, a Windows
//! `Run` command line, a macOS launch agent — quoted and escaped by their rules, and
//! refused for names no rule can carry. Pure functions, tested on every platform.

/// The name of the login entry (the file name on Linux and macOS, the value on Windows).
pub(super) const NAME: &str = "PawKey";

/// Refuses what no entry format can carry safely: control characters (line breaks would
/// start a new key in a desktop file; XML 1.0 forbids most of them).
fn check_plain(what: &str, s: &str) -> Result<(), String> {
    if s.chars().any(char::is_control) {
        return Err(format!(
            "the {what} {s:?} contains a control character; move PawKey to a plainly named folder"
        ));
    }
    Ok(())
}

/// Characters that make the Desktop Entry spec require quoting an argument ("The Exec key").
const DESKTOP_RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '`', '(',
    ')',
];

/// The value of `Exec=` for `program args…`, by the Desktop Entry spec: an argument with a
/// reserved character goes in double quotes with `"`, `` ` ``, `$` and `\` backslash-escaped;
/// `%` is written `%%`; then the string-value rule doubles every backslash (so a literal `\`
/// in a quoted argument is `\\\\` and a `$` is `\\$`, as the spec's own examples say).
pub fn desktop_exec(program: &str, args: &[&str]) -> Result<String, String> {
    check_plain("path", program)?;
    let mut words = Vec::with_capacity(args.len() + 1);
    for arg in std::iter::once(program).chain(args.iter().copied()) {
        check_plain("argument", arg)?;
        let quoted = if arg.is_empty() || arg.contains(DESKTOP_RESERVED) {
            let mut q = String::with_capacity(arg.len() + 2);
            q.push('"');
            for c in arg.chars() {
                if matches!(c, '"' | '`' | '$' | '\\') {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        } else {
            arg.to_owned()
        };
        words.push(quoted.replace('%', "%%").replace('\\', "\\\\"));
    }
    Ok(words.join(" "))
}

/// The whole autostart desktop entry.
pub fn desktop_entry(program: &str, args: &[&str]) -> Result<String, String> {
    Ok(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Version=1.0\n\
         Name={NAME}\n\
         Comment=Start PawKey at login\n\
         Exec={}\n\
         StartupNotify=false\n\
         Terminal=false\n",
        desktop_exec(program, args)?
    ))
}

/// The Run key's command line: the program always in double quotes (Windows paths cannot
/// contain `"`), each argument quoted by the rules `CommandLineToArgvW` and the C runtime
/// parse (backslashes are literal except before a `"`).
pub fn windows_command_line(program: &str, args: &[&str]) -> Result<String, String> {
    check_plain("path", program)?;
    if program.contains('"') {
        return Err(format!("the path {program:?} contains a double quote"));
    }
    let mut line = format!("\"{program}\"");
    for arg in args {
        check_plain("argument", arg)?;
        line.push(' ');
        if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
            line.push_str(arg);
            continue;
        }
        line.push('"');
        let mut backslashes = 0;
        for c in arg.chars() {
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    // Each backslash before a quote is doubled, and the quote escaped.
                    line.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                    line.push('"');
                    backslashes = 0;
                }
                _ => {
                    line.extend(std::iter::repeat_n('\\', backslashes));
                    line.push(c);
                    backslashes = 0;
                }
            }
        }
        // Backslashes before the closing quote are doubled so it stays a closing quote.
        line.extend(std::iter::repeat_n('\\', backslashes * 2));
        line.push('"');
    }
    Ok(line)
}

/// `s` escaped for XML character data and attribute values.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// The macOS launch agent: `ProgramArguments` is an argv (no shell), each element escaped.
pub fn launch_agent_plist(program: &str, args: &[&str]) -> Result<String, String> {
    check_plain("path", program)?;
    let mut arguments = String::new();
    for arg in std::iter::once(program).chain(args.iter().copied()) {
        check_plain("argument", arg)?;
        arguments.push_str(&format!("\t\t<string>{}</string>\n", xml_escape(arg)));
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \
         \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>Label</key>\n\
         \t<string>{NAME}</string>\n\
         \t<key>ProgramArguments</key>\n\
         \t<array>\n\
         {arguments}\
         \t</array>\n\
         \t<key>RunAtLoad</key>\n\
         \t<true/>\n\
         </dict>\n\
         </plist>\n"
    ))
}
