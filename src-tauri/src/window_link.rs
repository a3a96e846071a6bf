//! The host's end of the channel: the window as a child process.
//!
//! [`WindowProcess`] is the [`WindowPort`] the host drives. Showing the window starts
//! `pawkey --window-process` with its standard input and output as the channel (one JSON
//! line per message, [`crate::link`]); later shows, hides and events are lines down that
//! pipe. Letting the window go closes its input, on which it exits and gives every byte of
//! WebKit back. The window's requests are read from its output only — the one connection
//! this host made for it — and answered by [`crate::commands::dispatch`], so the window
//! holds no master and no credential: the pipe is its authority, and it ends with it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Manager};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::host::Host;
use crate::link::{Call, Down, Push, Up, WINDOW_PROCESS_ARG, WindowPort};

/// The window process, started when first shown and ended when let go.
pub struct WindowProcess {
    app: AppHandle,
    link: Arc<Mutex<Option<Link>>>,
}

/// A running window process, as the host sees it.
struct Link {
    /// Lines to its input; dropping it closes the input, and the process exits.
    down: mpsc::UnboundedSender<Down>,
    /// Whether it is on screen (as last told).
    shown: bool,
    /// Which process this is, so a late end of an old one does not clear a new one.
    id: u64,
}

impl WindowProcess {
    /// The window of the host in `app`.
    pub fn new(app: AppHandle) -> Self {
        Self {
            app,
            link: Arc::new(Mutex::new(None)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Link>> {
        self.link.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the window process and the tasks that carry its channel.
    fn spawn(&self, id: u64) -> std::io::Result<mpsc::UnboundedSender<Down>> {
        let exe = std::env::current_exe()?;
        // The child's pipes register with tokio's reactor, which the caller (the tray's
        // menu, start-up on the main thread) may not be running in.
        let runtime = tauri::async_runtime::handle();
        let _inside = runtime.inner().enter();
        let mut child = tokio::process::Command::new(exe)
            .arg(WINDOW_PROCESS_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(mut input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("the window process has no pipes"));
        };
        tracing::debug!(pid = child.id(), "window process started");
        let (down, mut lines) = mpsc::unbounded_channel::<Down>();
        tauri::async_runtime::spawn(async move {
            while let Some(message) = lines.recv().await {
                if input.write_all(message.line().as_bytes()).await.is_err() {
                    break;
                }
                let _ = input.flush().await;
            }
            // Dropping `input` closes the pipe: the window process exits.
        });
        let app = self.app.clone();
        // Weak: only the host's `Link` keeps the input open, so letting it go ends the process.
        let answers = down.downgrade();
        let slot = self.link.clone();
        tauri::async_runtime::spawn(async move {
            let mut output = BufReader::new(output).lines();
            while let Ok(Some(line)) = output.next_line().await {
                match serde_json::from_str::<Up>(&line) {
                    Ok(Up::Call { id, call }) => {
                        let app = app.clone();
                        let answers = answers.clone();
                        tauri::async_runtime::spawn(async move {
                            let result = answer(&app, call).await;
                            if let Some(answers) = answers.upgrade() {
                                let _ = answers.send(Down::Answer { id, result });
                            }
                        });
                    }
                    Ok(Up::Closed) => app.state::<Host>().on_window_closed(&app),
                    // Not ours (a library writing to standard output): not a request.
                    Err(_) => {
                        tracing::debug!("the window process wrote a line that is not a message")
                    }
                }
            }
            let status = child.wait().await;
            tracing::debug!(?status, "window process ended");
            let mut link = slot.lock().unwrap_or_else(|p| p.into_inner());
            if link.as_ref().is_some_and(|l| l.id == id) {
                *link = None;
            }
        });
        Ok(down)
    }
}

/// Reads and runs one request from the window.
async fn answer(
    app: &AppHandle,
    call: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let result = match serde_json::from_value::<Call>(call) {
        Ok(call) => crate::commands::dispatch(app, call).await,
        Err(e) => Err(crate::error::CommandError::BadCall(e.to_string())),
    };
    result.map_err(|e| serde_json::to_value(&e).unwrap_or_default())
}

/// Numbers the window processes of this host.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl WindowPort for WindowProcess {
    fn show(&self) -> bool {
        let mut link = self.lock();
        if let Some(l) = link.as_mut()
            && l.down.send(Down::Show).is_ok()
        {
            l.shown = true;
            return false;
        }
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.spawn(id) {
            Ok(down) => {
                *link = Some(Link {
                    down,
                    shown: true,
                    id,
                });
            }
            Err(e) => tracing::error!("could not open PawKey's window: {e}"),
        }
        true
    }

    fn push(&self, push: Push) {
        if let Some(l) = self.lock().as_ref() {
            let _ = l.down.send(Down::Event {
                event: push.event().to_string(),
                payload: push.payload(),
            });
        }
    }

    fn ask_attention(&self) -> bool {
        match self.lock().as_ref() {
            Some(l) if l.shown => l.down.send(Down::Attention).is_ok(),
            _ => false,
        }
    }

    fn hide(&self) {
        if let Some(l) = self.lock().as_mut() {
            l.shown = false;
            let _ = l.down.send(Down::Hide);
        }
    }

    fn drop_if_hidden(&self) {
        let mut link = self.lock();
        if link.as_ref().is_some_and(|l| !l.shown) {
            tracing::debug!("letting the hidden window's process go");
            // Closes its input: it exits, and every byte of WebKit with it.
            *link = None;
        }
    }
}
