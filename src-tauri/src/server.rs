//! The embedded server's life inside the app: started on launch, a failed bind reported
//! (the app keeps running), moved to another port from the settings without a restart, and
//! shut down gracefully on quit.

use pawkey_core::config::Config;
use pawkey_core::server::{self, RunningServer, ServeError};
use pawkey_core::state::AppState;
use serde::Serialize;

use crate::error::CommandError;

/// What the window and the tray show about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ServerStatus {
    /// Waiting for the master token to load.
    Starting,
    /// Serving.
    Listening {
        /// E.g. `http://127.0.0.1:8000`.
        urls: Vec<String>,
        /// The port.
        port: u16,
    },
    /// Could not listen; the message says why and what to do.
    Failed {
        /// The port that was tried.
        port: u16,
        /// [`ServeError`]'s message.
        message: String,
        /// True when another program holds the port.
        port_in_use: bool,
    },
    /// Shut down (quitting).
    Stopped,
}

impl ServerStatus {
    fn listening(server: &RunningServer) -> Self {
        ServerStatus::Listening {
            urls: server
                .addrs()
                .iter()
                .map(|a| format!("http://{a}"))
                .collect(),
            port: server.port(),
        }
    }

    fn failed(port: u16, error: &ServeError) -> Self {
        ServerStatus::Failed {
            port,
            message: error.to_string(),
            port_in_use: matches!(error, ServeError::PortInUse { .. }),
        }
    }
}

/// The running server, if any, and its status.
pub struct ServerSlot {
    running: tokio::sync::Mutex<Option<RunningServer>>,
    status: std::sync::Mutex<ServerStatus>,
}

impl Default for ServerSlot {
    fn default() -> Self {
        Self {
            running: tokio::sync::Mutex::new(None),
            status: std::sync::Mutex::new(ServerStatus::Starting),
        }
    }
}

impl ServerSlot {
    /// The current status.
    pub fn status(&self) -> ServerStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_status(&self, status: ServerStatus) -> ServerStatus {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }

    /// Starts the server on the configured port (stopping a running one first).
    pub async fn start(&self, state: &AppState) -> ServerStatus {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            old.shutdown().await;
        }
        match server::start(state.clone(), false).await {
            Ok(started) => {
                let status = ServerStatus::listening(&started);
                *running = Some(started);
                self.set_status(status)
            }
            Err(e) => {
                tracing::warn!("{e}");
                self.set_status(ServerStatus::failed(state.config().port, &e))
            }
        }
    }

    /// Saves `config` and, when its port differs from the one being served (or nothing is
    /// being served), moves the server there. The new port is bound before anything is
    /// saved or stopped, so a taken port changes nothing and is reported on the field.
    pub async fn apply_config(
        &self,
        state: &AppState,
        config: Config,
    ) -> Result<ServerStatus, CommandError> {
        let mut running = self.running.lock().await;
        let current = state.config();
        let rebind = running.is_none()
            || config.port != state.listening_port()
            || config.bind != current.bind;
        if !rebind {
            state.save_config(config)?;
            return Ok(self.status());
        }
        let listeners = server::bind(config.bind, config.port, false)
            .await
            .map_err(|e| CommandError::field("port", e.to_string()))?;
        // Dropping `listeners` on a failed save releases the new port again.
        state.save_config(config)?;
        if let Some(old) = running.take() {
            old.shutdown().await;
        }
        let started = server::serve(state.clone(), listeners);
        let status = ServerStatus::listening(&started);
        *running = Some(started);
        Ok(self.set_status(status))
    }

    /// Stops accepting, lets in-flight requests finish, and returns when the server is gone.
    pub async fn shutdown(&self) {
        let mut running = self.running.lock().await;
        if let Some(server) = running.take() {
            server.shutdown().await;
        }
        self.set_status(ServerStatus::Stopped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::store::MemoryStore;
    use std::sync::Arc;

    /// These tests take ephemeral ports and check that a stopped server's port no longer
    /// answers: run in parallel, one could be handed the port the other just freed.
    static PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    fn state_on(port: u16, dir: &std::path::Path) -> AppState {
        let config = Config {
            port,
            ..Config::default()
        };
        AppState::builder(config, Arc::new(MemoryStore::default()))
            .config_path(dir.join("config.toml"))
            .open()
    }

    #[tokio::test]
    async fn a_taken_port_is_reported_and_a_settings_change_moves_the_server() {
        let _ports = PORTS.lock().await;
        let dir = tempfile::tempdir().unwrap();
        let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = squatter.local_addr().unwrap().port();
        let state = state_on(taken, dir.path());
        let slot = ServerSlot::default();

        match slot.start(&state).await {
            ServerStatus::Failed {
                port,
                port_in_use,
                message,
            } => {
                assert_eq!(port, taken);
                assert!(port_in_use);
                assert!(message.contains("already in use"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }

        // Moving to another taken port is refused on the port field and saves nothing.
        let err = slot
            .apply_config(&state, state.config().as_ref().clone())
            .await
            .unwrap_err();
        assert_eq!(err.field_name(), Some("port"));
        assert!(!dir.path().join("config.toml").exists());

        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = state.config().as_ref().clone();
        config.port = free;
        let status = slot.apply_config(&state, config).await.unwrap();
        assert!(matches!(status, ServerStatus::Listening { port, .. } if port == free));
        assert_eq!(state.listening_port(), free);
        let saved = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
        assert!(saved.contains(&format!("port = {free}")), "{saved}");
        // The new port really answers.
        tokio::net::TcpStream::connect(("127.0.0.1", free))
            .await
            .unwrap();

        slot.shutdown().await;
        assert_eq!(slot.status(), ServerStatus::Stopped);
        // The port stops answering (within moments on a loaded machine, where the
        // listener's last task may still be unwinding).
        let mut closed = false;
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(("127.0.0.1", free))
                .await
                .is_err()
            {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        }
        assert!(closed, "port {free} still answers after the shutdown");
    }

    #[tokio::test]
    async fn saving_with_the_same_port_keeps_the_server() {
        let _ports = PORTS.lock().await;
        let dir = tempfile::tempdir().unwrap();
        let state = state_on(0, dir.path());
        let slot = ServerSlot::default();
        let ServerStatus::Listening { port, .. } = slot.start(&state).await else {
            panic!("port 0 always binds")
        };
        let mut config = state.config().as_ref().clone();
        config.port = port;
        config.ttl_hours = 8;
        let status = slot.apply_config(&state, config).await.unwrap();
        assert!(matches!(status, ServerStatus::Listening { port: p, .. } if p == port));
        assert_eq!(state.config().ttl_hours, 8);
        slot.shutdown().await;
    }
}
