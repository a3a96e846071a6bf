//! The window is a client process holding no master (issue "The window as a client").
//!
//! The master lives in PawKey's tray process only: the window process's arguments,
//! environment and memory never hold it (checked by reading them, with the tray process as
//! the control that the search finds a master where there is one), and copying the master
//! from the window puts it on the clipboard without passing through the window. The
//! window's one channel is its own pipes: they close when it exits, nothing else can open
//! them, and the server still refuses anyone without a credential.

// /proc, Xvfb, D-Bus: Linux (the CI workflow runs them there).
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use support::{App, Direct, Options, curl, eventually};

/// A master token as PocketPaw makes them (36 characters).
const MASTER: &str = "0f4c2a9e-7b1d-4e8a-9c3f-5d6e7a8b9c0d";

/// Mappings larger than this are reservations, not data.
const RESERVATION: u64 = 1 << 30;
/// How much of a mapping is read at once.
const CHUNK: usize = 4 << 20;

/// Whether `needle` is anywhere in the writable memory of process `pid` (its heap, stacks
/// and anonymous mappings, where a secret it had received would be), or `None` when its
/// memory cannot be read at all.
fn memory_holds(pid: u32, needle: &[u8]) -> Option<bool> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut read_any = false;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        // Address space reserved, not used (JavaScriptCore's cages are many GiB): not where
        // a received string would be.
        if end - start > RESERVATION {
            continue;
        }
        // In chunks, each overlapping the last by the needle's length less one.
        let mut at = start;
        let mut chunk = vec![0u8; CHUNK];
        while at < end {
            let len = (CHUNK as u64).min(end - at) as usize;
            if mem.seek(SeekFrom::Start(at)).is_err() || mem.read_exact(&mut chunk[..len]).is_err()
            {
                break; // guard pages and the like
            }
            read_any = true;
            if chunk[..len].windows(needle.len()).any(|w| w == needle) {
                return Some(true);
            }
            if at + len as u64 >= end {
                break;
            }
            at += (len - (needle.len() - 1)) as u64;
        }
    }
    read_any.then_some(false)
}

/// The NUL-separated strings of `/proc/PID/FILE`.
fn proc_strings(pid: u32, file: &str) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_process_never_holds_the_master() {
    let app = App::launch(Options {
        master: Some(MASTER.into()),
        clipboard_clear_seconds: Some(0),
        ..Options::default()
    })
    .await;
    app.wait_for_attr("#master-status", "data-state", "ok")
        .await;
    let host = app.sandbox.app_pids();
    let window = app.sandbox.window_pids();
    assert_eq!(host.len(), 1, "one tray process");
    assert_eq!(window.len(), 1, "one window process");
    let (host, window) = (host[0], window[0]);

    // Its command line is the mode and nothing else; its environment holds no secret.
    let args = proc_strings(window, "cmdline");
    assert_eq!(args.len(), 2, "{args:?}");
    assert_eq!(args[1], "--window-process");
    assert!(
        proc_strings(window, "environ")
            .iter()
            .all(|kv| !kv.contains(MASTER)),
        "the master in the window's environment"
    );

    // The search finds the master where it is (the tray process holds it)...
    assert_eq!(
        memory_holds(host, MASTER.as_bytes()),
        Some(true),
        "the control: the tray process's memory holds the master"
    );
    // ...and not in the window process, also after the window copied it (the copy goes
    // from the tray process to the clipboard).
    assert_eq!(memory_holds(window, MASTER.as_bytes()), Some(false));
    app.click("#copy-master").await;
    eventually(
        "the master on the clipboard",
        Duration::from_secs(5),
        || support::clipboard_text() == MASTER,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        memory_holds(window, MASTER.as_bytes()),
        Some(false),
        "copying the master passed it through the window process"
    );
    let page = app.execute("return document.body.innerText;").await;
    assert!(!page.as_str().unwrap_or_default().contains(MASTER));
    app.close().await;
}

/// The pipes process `pid` holds open.
fn pipes(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with("pipe:"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_channel_ends_with_it_and_nothing_else_reaches_the_master() {
    let app = Direct::launch(
        Options {
            master: Some(MASTER.into()),
            ..Options::default()
        },
        &["--hidden"],
    )
    .await;
    let port = app.sandbox.port;
    let health = || curl("GET", &format!("http://127.0.0.1:{port}/api/health"), None).status;
    eventually("the server answers", Duration::from_secs(20), || {
        health() == 200
    })
    .await;
    let host = app.pid();
    let before = pipes(host);
    assert!(app.sandbox.window_pids().is_empty(), "no window yet");

    // Opening the window starts its process with a pipe each way, held by the tray process.
    let tray = app.tray.as_ref().expect("a tray");
    tray.click("Open PawKey");
    eventually("a window process", Duration::from_secs(15), || {
        app.sandbox.window_pids().len() == 1
    })
    .await;
    let window = app.sandbox.window_pids()[0];
    // (Spawning opens a short-lived pipe or two of its own; they close within moments.)
    eventually(
        "the tray process holds the window's input and output, nothing more",
        Duration::from_secs(10),
        || pipes(host) == before + 2,
    )
    .await;

    // Ended (as a crash would), the channel goes with it: the tray process holds none of
    // its ends any more, so nothing can write a request where it read them.
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &window.to_string()])
            .status()
            .unwrap()
            .success()
    );
    eventually("the channel is closed", Duration::from_secs(10), || {
        pipes(host) == before && app.sandbox.window_pids().is_empty()
    })
    .await;

    // What is left for any other process is the server, which wants a credential.
    let refused = curl(
        "POST",
        &format!("http://127.0.0.1:{port}/api/auth/session"),
        None,
    );
    assert_eq!(refused.status, 401, "{}", refused.body);

    // A `pawkey --window-process` started by anyone else talks to whoever started it, not
    // to the running PawKey: with nothing on its input it exits at once, minting nothing.
    let stray = std::process::Command::new(support::app_binary())
        .arg("--window-process")
        .envs(
            app.sandbox
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run a stray window process");
    assert!(stray.success(), "{stray:?}");

    // The tray opens a new window, with a new process and a new channel.
    tray.click("Open PawKey");
    eventually("a new window process", Duration::from_secs(15), || {
        app.sandbox
            .window_pids()
            .first()
            .is_some_and(|p| *p != window)
    })
    .await;
    eventually("a new channel", Duration::from_secs(10), || {
        pipes(host) == before + 2
    })
    .await;
    assert_eq!(health(), 200);
}
