//! Reading a secret from stdin: without echo on a terminal, whole (up to 64 KiB) from a
//! pipe.

use std::io::{BufRead, IsTerminal, Read};

use super::CliError;

/// Reads a secret: on a terminal, one line after `prompt` with echo off; otherwise all of
/// stdin (a pipe or a file).
pub fn read_stdin_token(prompt: &str) -> Result<String, CliError> {
    let mut line = String::new();
    if std::io::stdin().is_terminal() {
        // Echo goes off before the prompt shows, so nothing typed after it is displayed
        // (nor left in the scrollback); it comes back when this guard drops.
        let _echo_off = EchoOff::new();
        eprintln!("{prompt}");
        std::io::stdin().lock().read_line(&mut line)?;
    } else {
        std::io::stdin()
            .lock()
            .take(64 * 1024)
            .read_to_string(&mut line)?;
    }
    Ok(line)
}

/// Reads one visible line after `prompt` (a user code: shown on the requester's screen
/// anyway, so echoed), from a terminal or a pipe.
pub fn read_line(prompt: &str) -> Result<String, CliError> {
    let mut line = String::new();
    if std::io::stdin().is_terminal() {
        eprintln!("{prompt}");
    }
    std::io::stdin().lock().take(1024).read_line(&mut line)?;
    Ok(line)
}

/// Terminal echo on stdin switched off until this is dropped (also on an error return).
#[cfg(unix)]
struct EchoOff(rustix::termios::Termios);

#[cfg(unix)]
impl EchoOff {
    /// `None` when stdin is not a terminal whose echo could be switched off.
    fn new() -> Option<Self> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // Keep the newline visible so the prompt does not look stuck.
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(&stdin, OptionalActions::Flush, &quiet).ok()?;
        Some(Self(saved))
    }
}

#[cfg(unix)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.0,
        );
    }
}

#[cfg(not(unix))]
struct EchoOff;

#[cfg(not(unix))]
impl EchoOff {
    fn new() -> Option<Self> {
        None
    }
}
